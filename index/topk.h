// Bounded top-k collector: keeps the k best hits by (score desc, doc asc).
// A binary min-heap on "worst first", so the admission threshold is the root.
#pragma once
#include <algorithm>
#include <vector>

#include "index/types.h"

namespace m3 {

class TopK {
 public:
  explicit TopK(size_t k) : k_(k) { heap_.reserve(k + 1); }

  size_t k() const { return k_; }
  size_t size() const { return heap_.size(); }
  bool full() const { return heap_.size() >= k_; }
  // The hit a newcomer has to beat; only meaningful when full().
  const ScoredDoc& worst() const { return heap_.front(); }

  // Offers a hit; returns true when it was kept.
  bool push(int64_t doc, float score) {
    if (k_ == 0) return false;
    ScoredDoc h{doc, score};
    if (heap_.size() < k_) {
      heap_.push_back(h);
      std::push_heap(heap_.begin(), heap_.end(), ranks_before);
      return true;
    }
    if (!ranks_before(h, heap_.front())) return false;
    std::pop_heap(heap_.begin(), heap_.end(), ranks_before);
    heap_.back() = h;
    std::push_heap(heap_.begin(), heap_.end(), ranks_before);
    return true;
  }

  // Best first. Leaves the collector empty.
  std::vector<ScoredDoc> take() {
    std::sort(heap_.begin(), heap_.end(), ranks_before);
    return std::move(heap_);
  }

 private:
  size_t k_;
  std::vector<ScoredDoc> heap_;  // with ranks_before as "less", the root is the worst hit
};

// Merges per-segment top-k lists (each already exact) into the global top-k.
inline std::vector<ScoredDoc> merge_topk(const std::vector<std::vector<ScoredDoc>>& lists, size_t k) {
  std::vector<ScoredDoc> all;
  for (const auto& l : lists) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end(), ranks_before);
  if (all.size() > k) all.resize(k);
  return all;
}

}  // namespace m3
