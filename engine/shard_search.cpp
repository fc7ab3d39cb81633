#include "engine/shard_search.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/json_input.h"
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

std::vector<float> read_scores(const json& j, const char* key, size_t max_scores, const std::string& what) {
  std::vector<float> out;
  if (!j.contains(key)) return out;
  const auto& a = j[key];
  if (!a.is_array() || a.size() > max_scores)
    throw InvalidInputError(what + ": '" + key + "' must be an array of at most " + std::to_string(max_scores) + " numbers");
  for (const auto& v : a) out.push_back(static_cast<float>(json_number(v, -1e30, 1e30, what + ": " + key)));
  return out;
}

Bm25Stats read_bm25(const json& j, size_t max_terms, const std::string& what) {
  if (!j.is_object() || !j.contains("documents") || !j.contains("df"))
    throw InvalidInputError(what + ": 'bm25' must be an object with 'documents' and 'df'");
  Bm25Stats st;
  st.documents = json_unsigned(j["documents"], what + ": bm25.documents");
  const auto& df = j["df"];
  if (!df.is_array() || df.size() > max_terms)
    throw InvalidInputError(what + ": bm25.df must be an array of at most " + std::to_string(max_terms) + " [term, df] pairs");
  for (const auto& pair : df) {
    if (!pair.is_array() || pair.size() != 2) throw InvalidInputError(what + ": bm25.df entries must be [term, df] pairs");
    const auto term = static_cast<uint32_t>(json_integer(pair[0], 0, UINT32_MAX, what + ": bm25 term"));
    const uint64_t n = json_unsigned(pair[1], what + ": bm25 df");
    if (!st.df.empty() && term <= st.df.back().first) throw InvalidInputError(what + ": bm25.df terms must ascend, each once");
    if (n > st.documents) throw InvalidInputError(what + ": bm25 df exceeds documents");
    st.df.emplace_back(term, n);
  }
  return st;
}

json bm25_json(const Bm25Stats& st) {
  json df = json::array();
  for (const auto& [t, n] : st.df) df.push_back({t, n});
  return {{"documents", st.documents}, {"df", df}};
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
  const bool has_dense = snap.settings().dense_dim > 0;
  if (p.mode == SearchMode::Bm25) s.bm25 = snap.bm25_stats(bm25_query_tokens(q));
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
  if (p.mode == SearchMode::Bm25) {
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

json shard_stats_json(const ShardStats& s) {
  json j = json::object();
  if (!s.dense_top.empty()) j["dense_top"] = s.dense_top;
  if (!s.sparse_top.empty()) j["sparse_top"] = s.sparse_top;
  if (s.bm25) j["bm25"] = bm25_json(*s.bm25);
  return j;
}

ShardStats parse_shard_stats(const json& j, size_t max_scores, size_t max_terms, const std::string& what) {
  if (!j.is_object()) throw InvalidInputError(what + ": expected an object");
  ShardStats s;
  s.dense_top = read_scores(j, "dense_top", max_scores, what);
  s.sparse_top = read_scores(j, "sparse_top", max_scores, what);
  if (j.contains("bm25")) s.bm25 = read_bm25(j["bm25"], max_terms, what);
  return s;
}

json shard_scope_json(const ShardScope& s) {
  json j = json::object();
  if (s.dense_floor) j["dense_floor"] = *s.dense_floor;
  if (s.sparse_floor) j["sparse_floor"] = *s.sparse_floor;
  if (s.bm25) j["bm25"] = bm25_json(*s.bm25);
  return j;
}

ShardScope parse_shard_scope(const json& j, size_t max_terms, const std::string& what) {
  if (!j.is_object()) throw InvalidInputError(what + ": must be an object (dense_floor, sparse_floor, bm25)");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "dense_floor" && it.key() != "sparse_floor" && it.key() != "bm25")
      throw InvalidInputError(what + ": unknown field '" + it.key().substr(0, 64) + "' (known: dense_floor, sparse_floor, bm25)");
  ShardScope s;
  if (j.contains("dense_floor")) s.dense_floor = static_cast<float>(json_number(j["dense_floor"], -1e30, 1e30, what + ".dense_floor"));
  if (j.contains("sparse_floor")) s.sparse_floor = static_cast<float>(json_number(j["sparse_floor"], -1e30, 1e30, what + ".sparse_floor"));
  if (j.contains("bm25")) s.bm25 = read_bm25(j["bm25"], max_terms, what + ".bm25");
  return s;
}

}  // namespace m3
