// One training step's forward pass and loss for each stage, on already-sampled texts.
//   mlm:     masked-token cross-entropy (stage a)
//   pairs:   dense-only InfoNCE with in-batch negatives, group size 1 (stage b)
//   unified: all three heads with hard negatives, optionally self-distilled (stage c, M3-SPEC §4)
// A batch is encoded sub_batch texts at a time and the loss is computed once over the whole batch
// (the reference's split-batch encoding); with activation checkpointing on, this bounds the peak
// activation memory by one sub-batch's layer. sub_batch <= 0 encodes everything at once.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "encoder/m3_model.h"
#include "trainer/distributed.h"
#include "trainer/mlm.h"
#include "trainer/rank_share.h"
#include "trainer/token_corpus.h"

namespace m3::trainer {

// Right-padded ids (pad 1) and mask, CPU int64. A text longer than max_len keeps its first
// max_len-1 ids and its final </s>, as the tokenizer's truncation would.
struct PaddedTexts {
  torch::Tensor ids, mask;
  int64_t real_tokens = 0;
};
PaddedTexts pad_texts(const std::vector<TokenSpan>& texts, int max_len, int pad_id = 1);

// The heads' outputs for a whole batch (each sub-batch's rows concatenated). A batch of no texts (a
// data-parallel rank without rows) gives empty outputs of the right widths.
struct EncodedTexts {
  torch::Tensor ids;           // [N,T] on the device
  torch::Tensor dense;         // [N,H]
  torch::Tensor sparse;        // [N,T]
  torch::Tensor colbert;       // [N,T-1,D]
  torch::Tensor colbert_mask;  // [N,T-1]
};
EncodedTexts encode_texts(M3Model& model, const PaddedTexts& texts, int64_t sub_batch, const torch::Device& device);

// Data-parallel training (distributed.h): this rank's queries of the global batch. The contrastive
// stages then gather every rank's passages (cross_rank_passages.h) so each query scores all of the
// batch's passages, and return this rank's share of the batch's mean loss (see data_parallel.h).
struct CrossRankBatch {
  Distributed* dist = nullptr;
  RankShare queries;
};

struct StepSettings {
  double temperature = 0.02;
  int64_t sub_batch = 0;
  int64_t passage_chunk = 256;  // multivec scoring chunk (memory bound)
  torch::Device device = torch::kCPU;
  const CrossRankBatch* cross = nullptr;  // null: one process
};

struct StepLoss {
  torch::Tensor loss;                                 // scalar, to back-propagate
  // Named components for the progress line, detached; read (.item) only when a line is printed, so
  // a step does not wait for the GPU.
  std::vector<std::pair<std::string, torch::Tensor>> parts;
};

StepLoss mlm_step(M3Model& model, MlmHead& head, const PaddedTexts& masked_inputs, const torch::Tensor& labels,
                  const StepSettings& s);
StepLoss pairs_step(M3Model& model, const PaddedTexts& queries, const PaddedTexts& passages, const StepSettings& s);
StepLoss unified_step(M3Model& model, const PaddedTexts& queries, const PaddedTexts& passages, int64_t group_size,
                      bool self_distill, const StepSettings& s);

}  // namespace m3::trainer
