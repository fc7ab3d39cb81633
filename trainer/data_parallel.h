// Data parallelism on top of distributed.h: which part of every global batch a rank trains on
// (rank_share.h), and how the ranks' gradients become the gradient of the whole batch.
//
// Every rank samples the same global batch (sampling is a pure function of seed, epoch and batch, so
// the data position is kept in global terms and a checkpoint resumes under any world size), pads it
// as one process would, and keeps a contiguous run of its queries (rank r: rows
// [r·B/W, (r+1)·B/W)) with their passages. Ranks' counts differ by at most one; a rank may hold
// none when B < W and still takes part in every collective.
//
// Gradients: each rank's loss is its queries' share of the whole batch's mean loss (mean over its
// rows × rows / B), so the ranks' gradients SUM to the single-process gradient of the combined batch.
#pragma once
#include <vector>

#include "trainer/distributed.h"
#include "trainer/rank_share.h"
#include "trainer/train_step.h"

namespace m3::trainer {

// Rows [first, first + count) of already padded texts (the width stays the batch's).
PaddedTexts rows_of(const PaddedTexts& texts, int64_t first, int64_t count);

// Sums the gradients of `params` over the ranks, in flat buckets (one collective per ~32 MiB). A
// parameter that has a gradient on some rank gets one on all (zeros where it had none), so every rank
// hands the optimiser the same set; one without a gradient anywhere keeps none (as in one process).
void all_reduce_gradients(const std::vector<torch::Tensor>& params, Distributed& dist);

// Copies rank 0's values into every rank's tensors (parameters after initialisation or resume).
void broadcast_from_main(const std::vector<torch::Tensor>& tensors, Distributed& dist);

}  // namespace m3::trainer
