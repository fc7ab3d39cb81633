// Turns a planned batch into the texts one training step encodes: B queries and B·G passages laid
// out as the reference does (passages [i·G, i·G+G) belong to query i, positive first; M3-SPEC §4).
// The positive is drawn at random from "pos"; the G-1 negatives without replacement from "neg", with
// repetition when there are fewer. An example with no negatives at all (parallel or STS pairs) gets
// random passages of its own dataset instead. All draws use Rng::derive(seed, epoch, batch), so a
// resumed run draws the same texts.
#pragma once
#include <cstdint>
#include <vector>

#include "trainer/batch_plan.h"
#include "trainer/token_corpus.h"

namespace m3::trainer {

struct SampledBatch {
  std::vector<TokenSpan> queries;   // B (for BatchKind::Texts: the texts)
  std::vector<TokenSpan> passages;  // B·G (empty for Texts)
  int group_size = 1;
};

class GroupSampler {
 public:
  GroupSampler(const TokenCorpus& corpus, const BatchPlanOptions& options);
  SampledBatch sample(const PlannedBatch& batch, uint64_t epoch, uint64_t index) const;

 private:
  const TokenCorpus& corpus_;
  BatchPlanOptions options_;
  std::vector<std::vector<uint32_t>> passages_by_dataset_;  // random-negative pools
};

}  // namespace m3::trainer
