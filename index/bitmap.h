// A fixed-size bitset over a segment's rows: the tombstones ("deleted") of one commit, or the rows a
// filtered search must skip (deleted or not matching the filter, index_store.h RowMask).
#pragma once
#include <cstdint>
#include <vector>

namespace m3 {

class Bitmap {
 public:
  Bitmap() = default;
  explicit Bitmap(size_t n) : n_(n), words_((n + 63) / 64, 0) {}
  size_t size() const { return n_; }
  bool test(size_t i) const { return (words_[i >> 6] >> (i & 63)) & 1; }
  void set(size_t i) {
    if (!test(i)) ++count_;
    words_[i >> 6] |= uint64_t(1) << (i & 63);
  }
  size_t count() const { return count_; }  // bits set
  const std::vector<uint64_t>& words() const { return words_; }

  // Word-wise set algebra for filters (operands of the same size); each recounts once.
  Bitmap& operator|=(const Bitmap& o) {
    for (size_t w = 0; w < words_.size(); ++w) words_[w] |= o.words_[w];
    return recount();
  }
  Bitmap& operator&=(const Bitmap& o) {
    for (size_t w = 0; w < words_.size(); ++w) words_[w] &= o.words_[w];
    return recount();
  }
  Bitmap& flip() {
    for (auto& w : words_) w = ~w;
    if (n_ & 63) words_.back() &= (uint64_t(1) << (n_ & 63)) - 1;  // bits past size() stay clear
    return recount();
  }
  // Calls fn(i) for every clear bit, ascending (the rows a mask allows).
  template <class Fn>
  void for_each_clear(Fn&& fn) const {
    for (size_t w = 0; w < words_.size(); ++w) {
      uint64_t bits = ~words_[w];
      if (w + 1 == words_.size() && (n_ & 63)) bits &= (uint64_t(1) << (n_ & 63)) - 1;
      for (; bits; bits &= bits - 1) fn(w * 64 + size_t(__builtin_ctzll(bits)));
    }
  }

 private:
  Bitmap& recount() {
    count_ = 0;
    for (uint64_t w : words_) count_ += size_t(__builtin_popcountll(w));
    return *this;
  }
  size_t n_ = 0;
  size_t count_ = 0;
  std::vector<uint64_t> words_;
};

}  // namespace m3
