// Which rows of a global batch one rank trains on: a contiguous, balanced run (rank r of W takes
// rows [r·B/W, (r+1)·B/W)), so rows gathered from all ranks in rank order are the batch in its
// single-process order. Counts differ by at most one; a rank holds none when B < W.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace m3::trainer {

struct RankShare {
  int64_t first = 0;            // this rank's first row of the global batch
  int64_t count = 0;            // its rows
  int64_t total = 0;            // rows of the global batch
  std::vector<int64_t> counts;  // every rank's rows, in rank order
  // This rank's share of a mean over the whole batch.
  double weight() const { return total > 0 ? static_cast<double>(count) / static_cast<double>(total) : 0.0; }
  std::vector<int64_t> scaled(int64_t per_row) const;  // counts × per_row (e.g. passages per query)
};

RankShare share_rows(int64_t total, int rank, int world_size);

}  // namespace m3::trainer
