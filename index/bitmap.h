// A fixed-size bitset over a segment's rows: the tombstones ("deleted") of one commit.
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

 private:
  size_t n_ = 0;
  size_t count_ = 0;
  std::vector<uint64_t> words_;
};

}  // namespace m3
