// Length-bucketed, fixed-seed batching (M3-SPEC §4 "Efficient batching").
// Every unit (an example, or a text for MLM) goes to the first length bucket whose bound holds its
// longest text; a batch takes units of ONE dataset and ONE bucket, so padding is small and in-batch
// negatives come from the same source, as the reference's SameDatasetTrainDataset. The batch size
// of a bucket follows a padded-token budget. The order of an epoch is a pure function of
// (seed, epoch): resuming at (epoch, batch index) replays exactly.
#pragma once
#include <cstdint>
#include <vector>

#include "trainer/token_corpus.h"

namespace m3::trainer {

enum class BatchKind {
  Texts,   // raw texts (MLM): units are texts
  Pairs,   // query + one positive (group size 1, in-batch negatives only)
  Groups,  // query + one positive + (group_size - 1) hard negatives
};

struct BatchPlanOptions {
  BatchKind kind = BatchKind::Groups;
  int group_size = 8;            // passages per query for Groups (1 positive + negatives)
  int query_max_len = 64;        // tokens incl. specials
  int passage_max_len = 256;     // also the text length for Texts
  int64_t tokens_per_batch = 1 << 16;  // padded tokens of all texts of a batch
  int max_batch = 1024;          // units per batch at most
  int min_batch = 2;             // smaller leftovers are dropped (in-batch negatives need company)
  std::vector<int> bucket_bounds;  // ascending upper bounds; empty: powers of two from 16 to the max length
  uint64_t seed = 42;
};

struct PlannedBatch {
  uint16_t dataset = 0;
  int bucket = 0;
  std::vector<uint32_t> units;  // example indices (Pairs, Groups) or text indices (Texts)
};

class BatchPlan {
 public:
  BatchPlan(const TokenCorpus& corpus, BatchPlanOptions options);

  // The batches of one epoch, in training order.
  std::vector<PlannedBatch> epoch(uint64_t epoch_index) const;
  size_t batches_per_epoch() const { return batches_per_epoch_; }
  int batch_size(int bucket) const { return batch_sizes_[static_cast<size_t>(bucket)]; }
  const std::vector<int>& bucket_bounds() const { return options_.bucket_bounds; }
  const BatchPlanOptions& options() const { return options_; }
  size_t num_units() const { return num_units_; }

 private:
  BatchPlanOptions options_;
  std::vector<int> batch_sizes_;
  // units_[dataset][bucket]: the units of one cell, in corpus order.
  std::vector<std::vector<std::vector<uint32_t>>> units_;
  size_t batches_per_epoch_ = 0;
  size_t num_units_ = 0;
};

}  // namespace m3::trainer
