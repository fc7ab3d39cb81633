#include "trainer/rank_share.h"

namespace m3::trainer {

std::vector<int64_t> RankShare::scaled(int64_t per_row) const {
  std::vector<int64_t> out;
  for (auto c : counts) out.push_back(c * per_row);
  return out;
}

RankShare share_rows(int64_t total, int rank, int world_size) {
  RankShare s;
  s.total = total;
  const int64_t w = world_size;
  for (int64_t r = 0; r < w; ++r) s.counts.push_back((r + 1) * total / w - r * total / w);
  s.first = rank * total / w;
  s.count = s.counts[static_cast<size_t>(rank)];
  return s;
}

}  // namespace m3::trainer
