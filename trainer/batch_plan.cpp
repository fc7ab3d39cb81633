#include "trainer/batch_plan.h"

#include <algorithm>

#include "common/error.h"
#include "trainer/rng.h"

namespace m3::trainer {

namespace {
int clipped(size_t n, int max_len) { return static_cast<int>(std::min<size_t>(n, static_cast<size_t>(max_len))); }

std::vector<int> default_bounds(int max_len) {
  std::vector<int> b;
  for (int v = 16; v < max_len; v *= 2) b.push_back(v);
  b.push_back(max_len);
  return b;
}
}  // namespace

BatchPlan::BatchPlan(const TokenCorpus& corpus, BatchPlanOptions options) : options_(std::move(options)) {
  auto& o = options_;
  if (o.group_size < 1) throw UsageError("group size must be at least 1");
  if (o.kind == BatchKind::Pairs) o.group_size = 1;
  if (o.query_max_len < 2 || o.passage_max_len < 2) throw UsageError("max lengths must be at least 2");
  if (o.min_batch < 1 || o.max_batch < o.min_batch) throw UsageError("need 1 <= min batch <= max batch");
  const int longest = o.kind == BatchKind::Texts ? o.passage_max_len : std::max(o.query_max_len, o.passage_max_len);
  if (o.bucket_bounds.empty()) o.bucket_bounds = default_bounds(longest);
  if (!std::is_sorted(o.bucket_bounds.begin(), o.bucket_bounds.end()) || o.bucket_bounds.front() < 2)
    throw UsageError("bucket bounds must be ascending and at least 2");
  if (o.bucket_bounds.back() < longest) o.bucket_bounds.push_back(longest);

  // Texts per unit and the padded-token cost of one unit in a bucket of bound L.
  const int texts_per_unit = o.kind == BatchKind::Texts ? 1 : 1 + o.group_size;
  for (int bound : o.bucket_bounds) {
    const int64_t per_unit = static_cast<int64_t>(bound) * texts_per_unit;
    const int64_t b = std::max<int64_t>(1, o.tokens_per_batch / per_unit);
    batch_sizes_.push_back(static_cast<int>(std::clamp<int64_t>(b, o.min_batch, o.max_batch)));
  }

  const size_t num_datasets = std::max<size_t>(1, corpus.datasets().size());
  units_.assign(num_datasets, std::vector<std::vector<uint32_t>>(o.bucket_bounds.size()));
  auto bucket_of = [&](int len) {
    auto it = std::lower_bound(o.bucket_bounds.begin(), o.bucket_bounds.end(), len);
    return static_cast<size_t>(it - o.bucket_bounds.begin());
  };
  if (o.kind == BatchKind::Texts) {
    for (size_t t = 0; t < corpus.num_texts(); ++t) {
      const int len = clipped(corpus.text(static_cast<uint32_t>(t)).size, o.passage_max_len);
      if (len < 3) continue;  // "<s></s>" alone teaches nothing
      units_[0][bucket_of(len)].push_back(static_cast<uint32_t>(t));
    }
  } else {
    for (size_t i = 0; i < corpus.num_examples(); ++i) {
      auto e = corpus.example(i);
      if (e.pos.empty()) continue;  // a query without a positive cannot train a contrastive head
      int len = clipped(corpus.text(e.query).size, o.query_max_len);
      auto longest_of = [&](const std::vector<uint32_t>& ts) {
        for (auto t : ts) len = std::max(len, clipped(corpus.text(t).size, o.passage_max_len));
      };
      longest_of(e.pos);
      if (o.kind == BatchKind::Groups) longest_of(e.neg);
      units_[e.dataset][bucket_of(len)].push_back(static_cast<uint32_t>(i));
    }
  }
  for (auto& per_bucket : units_)
    for (size_t b = 0; b < per_bucket.size(); ++b) {
      const size_t n = per_bucket[b].size(), bs = static_cast<size_t>(batch_sizes_[b]);
      num_units_ += n;
      batches_per_epoch_ += n / bs + (n % bs >= static_cast<size_t>(o.min_batch) ? 1 : 0);
    }
  if (batches_per_epoch_ == 0)
    throw UsageError("the training data gives no batch (" + std::to_string(num_units_) + " usable units, at least " +
                     std::to_string(o.min_batch) + " per dataset and length bucket needed)");
}

std::vector<PlannedBatch> BatchPlan::epoch(uint64_t epoch_index) const {
  std::vector<PlannedBatch> out;
  out.reserve(batches_per_epoch_);
  for (size_t d = 0; d < units_.size(); ++d)
    for (size_t b = 0; b < units_[d].size(); ++b) {
      auto units = units_[d][b];
      if (units.empty()) continue;
      Rng rng = Rng::derive(options_.seed, epoch_index, d * 1000003u + b);
      rng.shuffle(units);
      const size_t bs = static_cast<size_t>(batch_sizes_[b]);
      for (size_t at = 0; at < units.size(); at += bs) {
        const size_t end = std::min(units.size(), at + bs);
        if (end - at < static_cast<size_t>(options_.min_batch)) break;
        out.push_back({static_cast<uint16_t>(d), static_cast<int>(b), {units.begin() + at, units.begin() + end}});
      }
    }
  Rng order = Rng::derive(options_.seed, epoch_index, 0xBA7C4u);
  order.shuffle(out);
  return out;
}

}  // namespace m3::trainer
