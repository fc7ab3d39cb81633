#include "trainer/group_sampler.h"

#include <algorithm>

#include "trainer/rng.h"

namespace m3::trainer {

GroupSampler::GroupSampler(const TokenCorpus& corpus, const BatchPlanOptions& options)
    : corpus_(corpus), options_(options) {
  if (options_.kind == BatchKind::Pairs) options_.group_size = 1;
  if (options_.kind != BatchKind::Groups) return;
  passages_by_dataset_.resize(std::max<size_t>(1, corpus.datasets().size()));
  for (size_t i = 0; i < corpus.num_examples(); ++i) {
    auto e = corpus.example(i);
    auto& pool = passages_by_dataset_[e.dataset];
    pool.insert(pool.end(), e.pos.begin(), e.pos.end());
  }
  for (auto& pool : passages_by_dataset_) {  // a text shared by many examples counts once
    std::sort(pool.begin(), pool.end());
    pool.erase(std::unique(pool.begin(), pool.end()), pool.end());
  }
}

SampledBatch GroupSampler::sample(const PlannedBatch& batch, uint64_t epoch, uint64_t index) const {
  SampledBatch out;
  out.group_size = options_.group_size;
  if (options_.kind == BatchKind::Texts) {
    for (auto t : batch.units) out.queries.push_back(corpus_.text(t));
    return out;
  }
  Rng rng = Rng::derive(options_.seed ^ 0x5A3D1E, epoch, index);
  const size_t need = static_cast<size_t>(options_.group_size - 1);
  for (auto unit : batch.units) {
    auto e = corpus_.example(unit);
    out.queries.push_back(corpus_.text(e.query));
    const uint32_t pos = e.pos[rng.below(e.pos.size())];
    out.passages.push_back(corpus_.text(pos));
    if (need == 0) continue;
    std::vector<uint32_t> negs;
    if (e.neg.size() >= need) {
      auto pool = e.neg;
      for (size_t k = 0; k < need; ++k) std::swap(pool[k], pool[k + rng.below(pool.size() - k)]);
      negs.assign(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(need));
    } else if (!e.neg.empty()) {
      negs = e.neg;
      while (negs.size() < need) negs.push_back(e.neg[rng.below(e.neg.size())]);
      rng.shuffle(negs);
    } else {
      const auto& pool = passages_by_dataset_[e.dataset];
      while (negs.size() < need) {
        uint32_t t = pool[rng.below(pool.size())];
        // Skip the example's own positives, unless the pool holds nothing else.
        for (int tries = 0; tries < 8 && std::find(e.pos.begin(), e.pos.end(), t) != e.pos.end(); ++tries)
          t = pool[rng.below(pool.size())];
        negs.push_back(t);
      }
    }
    for (auto t : negs) out.passages.push_back(corpus_.text(t));
  }
  return out;
}

}  // namespace m3::trainer
