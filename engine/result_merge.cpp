#include "engine/result_merge.h"

#include <algorithm>

namespace m3 {

std::vector<Hit> merge_shard_hits(std::vector<std::vector<Hit>> shards, int k, int offset) {
  std::vector<Hit> all;
  for (auto& s : shards)
    for (auto& h : s) all.push_back(std::move(h));
  const size_t begin = std::min(all.size(), static_cast<size_t>(std::max(offset, 0)));
  const size_t end = std::min(all.size(), begin + static_cast<size_t>(std::max(k, 0)));
  auto before = [](const Hit& a, const Hit& b) { return a.score > b.score || (a.score == b.score && a.docid < b.docid); };
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(end), all.end(), before);
  std::vector<Hit> page(std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(begin)),
                        std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(end)));
  for (auto& h : page) h.doc = -1;
  return page;
}

}  // namespace m3
