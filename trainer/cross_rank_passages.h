// Cross-device negatives for the contrastive stages: every rank's encoded passages gathered (with
// gradient) so each rank's queries score the passages of the whole global batch, exactly as one
// process holding the combined batch would. Used for all three heads — dense, sparse (lexical) and
// multi-vector — since each score is a function of one query and one passage only: the gathered
// rows are the single-process rows (same padded width), so the score matrices' columns are too.
//
// One gather of the float outputs (dense | sparse weights | ColBERT vectors packed per row: one
// collective forward, one in backward) and one of the integer ones (ids | ColBERT mask, no gradient).
#pragma once
#include "trainer/distributed.h"
#include "trainer/rank_share.h"
#include "trainer/train_step.h"

namespace m3::trainer {

// `local`: this rank's passages (share.count · group_size rows, possibly none); `heads`: which
// outputs to exchange (the pairs stage needs the dense vectors only).
enum class PassageHeads { DenseOnly, All };
EncodedTexts gather_passages(const EncodedTexts& local, const RankShare& queries, int64_t group_size,
                             PassageHeads heads, Distributed& dist);

}  // namespace m3::trainer
