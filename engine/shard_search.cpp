#include "engine/shard_search.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "engine/metadata_filter.h"

namespace m3 {

using json = nlohmann::json;

namespace {
bool pooled(SearchMode m) { return m == SearchMode::Multivec || m == SearchMode::DenseSparse || m == SearchMode::All; }

std::vector<float> scores_of(const std::vector<ScoredDoc>& hits) {
  std::vector<float> s;
  s.reserve(hits.size());
  for (const auto& h : hits) s.push_back(h.score);
  return s;
}

// The depth-th best of every shard's top-depth list: the whole collection's depth-th score of that
// head. Fewer than depth scores in all: no floor (every shard pools all it found).
std::optional<float> global_floor(const std::vector<ShardStats>& shards, std::vector<float> ShardStats::*head, int depth) {
  std::vector<float> all;
  for (const auto& s : shards) all.insert(all.end(), (s.*head).begin(), (s.*head).end());
  if (depth <= 0 || all.size() < static_cast<size_t>(depth)) return std::nullopt;
  std::nth_element(all.begin(), all.begin() + (depth - 1), all.end(), std::greater<float>());
  return all[static_cast<size_t>(depth - 1)];
}

}  // namespace

void check_shardable(const SearchParams& p) {
  if (p.fusion == Fusion::Rrf && (pooled(p.mode)))
    throw UsageError("fusion rrf is not available on a sharded collection: it ranks each candidate against the whole "
                     "candidate pool, which no shard holds (use weighted fusion)");
}

bool needs_shard_stats(const SearchParams& p) {
  check_shardable(p);
  return pooled(p.mode) || p.mode == SearchMode::Bm25;
}

int pool_depth(const SearchParams& p) { return std::max(p.effective_depth(), p.k + p.offset); }

ShardStats collect_shard_stats(const Snapshot& snap, const Embedding& q, const SearchParams& p) {
  ShardStats s;
  std::shared_ptr<const RowMask> mask;
  if (p.filter)
    mask = snap.mask(*p.filter, p.filter_exact_scan_rows ? p.filter_exact_scan_rows : RowMask::kDefaultExactScanRows);
  const int depth = pool_depth(p);
  if (p.shard_scope && p.shard_scope->bm25) {  // round 1b: BM25's top-depth under the global statistics
    if (p.pools_bm25())
      s.bm25_top = scores_of(snap.bm25_search(bm25_query_tokens(q), depth, p.sparse_algo, mask.get(), &*p.shard_scope->bm25));
    return s;
  }
  s.bm25_pools = p.pools_bm25();
  const bool has_dense = snap.settings().dense_dim > 0;
  // BM25's statistics for the bm25 mode, and for the fused modes, whose weights (the request's or the
  // model's m3_fusion.json on the shard) may give BM25 a say.
  if (p.mode == SearchMode::Bm25 || p.mode == SearchMode::DenseSparse || p.mode == SearchMode::All)
    s.bm25 = snap.bm25_stats(bm25_query_tokens(q));
  if (pooled(p.mode) && has_dense) s.dense_top = scores_of(snap.dense_search(q.dense.data(), depth, p.dense, mask.get()));
  if (p.mode == SearchMode::DenseSparse || p.mode == SearchMode::All)
    s.sparse_top = scores_of(snap.sparse_search(q.sparse, depth, p.sparse_algo, mask.get()));
  return s;
}

ShardScope combine_shard_stats(const std::vector<ShardStats>& shards, const SearchParams& p) {
  ShardScope scope;
  const int depth = pool_depth(p);
  scope.dense_floor = global_floor(shards, &ShardStats::dense_top, depth);
  scope.sparse_floor = global_floor(shards, &ShardStats::sparse_top, depth);
  if (p.mode == SearchMode::Bm25 || p.mode == SearchMode::DenseSparse || p.mode == SearchMode::All) {
    Bm25Stats sum;
    for (const auto& s : shards) {
      if (!s.bm25) continue;
      sum.documents += s.bm25->documents;
      // Every shard tokenises the query with the same model, so the term lists agree; a merge by
      // term keeps the sum right even if they did not.
      std::vector<std::pair<uint32_t, uint64_t>> merged;
      std::merge(sum.df.begin(), sum.df.end(), s.bm25->df.begin(), s.bm25->df.end(), std::back_inserter(merged));
      sum.df.clear();
      for (const auto& e : merged) {
        if (!sum.df.empty() && sum.df.back().first == e.first) sum.df.back().second += e.second;
        else sum.df.push_back(e);
      }
    }
    scope.bm25 = std::move(sum);
  }
  return scope;
}

bool needs_bm25_round(const std::vector<ShardStats>& round1) {
  return std::any_of(round1.begin(), round1.end(), [](const ShardStats& s) { return s.bm25_pools; });
}

void add_bm25_floor(ShardScope& scope, const std::vector<ShardStats>& round1b, const SearchParams& p) {
  scope.bm25_floor = global_floor(round1b, &ShardStats::bm25_top, pool_depth(p));
}

}  // namespace m3
