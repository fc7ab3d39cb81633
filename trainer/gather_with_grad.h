// Rows of a tensor from every rank, concatenated in rank order: how each query meets the passages of
// all ranks (cross-device negatives, M3-SPEC §4). Ranks may hold different numbers of rows (a batch
// that does not divide evenly; a rank with none): every rank knows `rows_per_rank`, so the rows are
// padded to the largest count for the collective and the padding is cut out again — no extra
// round trip to exchange sizes. All other dimensions must be equal on every rank.
//
// gather_rows_with_grad is differentiable: the backward all-reduces (sums) the gradient of the whole
// gathered tensor — every rank's loss contributes to every rank's rows — and returns this rank's
// slice (the "gather with grad" of DPR / GradCache / FlagEmbedding). Each rank's backward therefore
// runs one collective per call, so every rank must back-propagate through the same calls in the
// same order (the training step makes one such call per step).
#pragma once
#include <vector>

#include "trainer/distributed.h"

namespace m3::trainer {

torch::Tensor gather_rows(const torch::Tensor& local, const std::vector<int64_t>& rows_per_rank, Distributed& dist);

torch::Tensor gather_rows_with_grad(const torch::Tensor& local, const std::vector<int64_t>& rows_per_rank,
                                    Distributed& dist);

}  // namespace m3::trainer
