// The search modes over one committed snapshot (ARCHITECTURE "Search modes"):
// candidates from the heads the mode draws on, every head the score needs computed exactly from the
// stored representation (never assumed zero), then weighted-sum or reciprocal-rank fusion and top-k.
#include <algorithm>
#include <chrono>
#include <unordered_map>
#include <unordered_set>

#include "common/error.h"
#include "engine/collection.h"
#include "engine/metadata_filter.h"

namespace m3 {

std::vector<int32_t> bm25_query_tokens(const Embedding& q) {
  std::vector<int32_t> out;
  for (int32_t id : q.input_ids)
    if (id > 2) out.push_back(id);
  return out;
}

namespace {

// A shard of a sharded search pools only the head's candidates at or above the whole collection's
// depth-th score (ShardScope): those are exactly the global top-depth documents this shard holds.
std::vector<ScoredDoc> at_or_above(std::vector<ScoredDoc> hits, const std::optional<float>& floor) {
  if (floor) hits.erase(std::remove_if(hits.begin(), hits.end(), [&](const ScoredDoc& h) { return h.score < *floor; }), hits.end());
  return hits;
}

void add_unique(std::vector<int64_t>& docs, std::unordered_set<int64_t>& seen, const std::vector<ScoredDoc>& hits) {
  for (const auto& h : hits)
    if (seen.insert(h.doc).second) docs.push_back(h.doc);
}

// The dense head's candidates come back with their exact scores (DenseIndex rescores every hit with
// the same dot product over the stored fp32 vector that dense_score computes), so those are kept and
// only the other candidates are scored again: half the dense lookups of a fused search.
std::unordered_map<int64_t, float> scores_by_doc(const std::vector<ScoredDoc>& hits) {
  std::unordered_map<int64_t, float> m;
  m.reserve(hits.size());
  for (const auto& h : hits) m.emplace(h.doc, h.score);
  return m;
}

struct Candidate {
  int64_t doc;
  float score;
  HitScores scores;
};

// Ranks of `values` (0 = best; ties share the order of doc ids) for reciprocal-rank fusion.
std::vector<int> ranks_of(const std::vector<Candidate>& c, const std::vector<float>& values) {
  std::vector<size_t> order(values.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return values[a] > values[b] || (values[a] == values[b] && c[a].doc < c[b].doc);
  });
  std::vector<int> rank(values.size());
  for (size_t r = 0; r < order.size(); ++r) rank[order[r]] = static_cast<int>(r);
  return rank;
}

}  // namespace

SearchResult search_snapshot(const Snapshot& snap, const Embedding& q, const SearchParams& p) {
  auto t0 = std::chrono::steady_clock::now();
  const int k = p.k;
  const int depth = std::max(p.effective_depth(), k);
  const auto w = p.effective_weights();
  const bool has_dense = snap.settings().dense_dim > 0, has_mv = snap.settings().multivec_dim > 0;
  if (!q.dense.empty() && has_dense && static_cast<int>(q.dense.size()) != snap.settings().dense_dim)
    throw Error("query dense vector has " + std::to_string(q.dense.size()) + " dimensions, the collection " +
                std::to_string(snap.settings().dense_dim));

  // A filter becomes one mask of allowed rows per segment, computed once and handed to every
  // candidate generator below (FAISS selector, cursors); multivec re-ranks those candidates only.
  std::shared_ptr<const RowMask> mask_holder;
  if (p.filter)
    mask_holder = snap.mask(*p.filter, p.filter_exact_scan_rows ? p.filter_exact_scan_rows : RowMask::kDefaultExactScanRows);
  const RowMask* mask = mask_holder.get();

  std::vector<int64_t> docs;
  std::unordered_set<int64_t> seen;
  std::unordered_map<int64_t, float> dense_known;
  const ShardScope* scope = p.shard_scope.get();
  const std::optional<float> no_floor;
  const auto& dense_floor = scope ? scope->dense_floor : no_floor;
  const auto& sparse_floor = scope ? scope->sparse_floor : no_floor;
  auto add_dense = [&](int n, const std::optional<float>& floor) {
    auto hits = at_or_above(snap.dense_search(q.dense.data(), n, p.dense, mask), floor);
    add_unique(docs, seen, hits);
    dense_known = scores_by_doc(hits);
  };
  bool need_dense = false, need_sparse = false, need_mv = false;
  switch (p.mode) {
    case SearchMode::Dense:
      add_dense(k, no_floor);
      need_dense = true;
      break;
    case SearchMode::Sparse:
      add_unique(docs, seen, snap.sparse_search(q.sparse, k, p.sparse_algo, mask));
      need_sparse = true;
      break;
    case SearchMode::Bm25: {
      SearchResult r;
      auto toks = bm25_query_tokens(q);
      const Bm25Stats* global = scope && scope->bm25 ? &*scope->bm25 : nullptr;
      for (const auto& h : snap.bm25_search(toks, k, p.sparse_algo, mask, global)) {
        Hit hit;
        hit.doc = h.doc;
        hit.score = h.score;
        hit.scores.bm25 = h.score;
        r.hits.push_back(std::move(hit));
      }
      for (auto& h : r.hits)
        if (auto d = snap.doc(h.doc)) { h.docid = d->docid; h.title = d->title; h.text = d->text; h.metadata_json = d->metadata_json; }
      r.search_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      return r;
    }
    case SearchMode::Multivec:
      add_dense(depth, dense_floor);
      need_dense = need_mv = true;
      break;
    case SearchMode::DenseSparse:
      add_dense(depth, dense_floor);
      add_unique(docs, seen, at_or_above(snap.sparse_search(q.sparse, depth, p.sparse_algo, mask), sparse_floor));
      need_dense = need_sparse = true;
      break;
    case SearchMode::All:
      add_dense(depth, dense_floor);
      add_unique(docs, seen, at_or_above(snap.sparse_search(q.sparse, depth, p.sparse_algo, mask), sparse_floor));
      need_dense = need_sparse = true;
      need_mv = true;
      break;
  }
  need_dense = need_dense && has_dense;
  need_mv = need_mv && has_mv;

  std::vector<Candidate> cand;
  cand.reserve(docs.size());
  for (int64_t d : docs) cand.push_back({d, 0.f, {}});
  if (need_dense)
    for (auto& c : cand) {
      auto known = dense_known.find(c.doc);
      c.scores.dense = known != dense_known.end() ? known->second : snap.dense_score(q.dense.data(), c.doc);
    }
  if (need_sparse) {
    const auto s = snap.sparse_scores(q.sparse, docs);
    for (size_t i = 0; i < cand.size(); ++i) cand[i].scores.sparse = s[i];
  }
  if (need_mv && !cand.empty()) {
    auto s = snap.multivec_scores(q.colbert.data(), q.colbert_rows, docs);
    for (size_t i = 0; i < cand.size(); ++i) cand[i].scores.multivec = s[i];
  }

  // Single-head modes rank by that head; fused modes by the weighted sum or RRF.
  auto head_value = [](const HitScores& s, int h) {
    const auto& v = h == 0 ? s.dense : h == 1 ? s.sparse : s.multivec;
    return v.value_or(0.f);
  };
  std::array<float, 3> weights = w;
  if (p.mode == SearchMode::Dense) weights = {1, 0, 0};
  if (p.mode == SearchMode::Sparse) weights = {0, 1, 0};
  if (p.mode == SearchMode::Multivec && !p.weights) weights = {0, 0, 1};
  if (p.fusion == Fusion::Rrf && (p.mode == SearchMode::DenseSparse || p.mode == SearchMode::All || p.mode == SearchMode::Multivec)) {
    for (auto& c : cand) c.score = 0;
    for (int h = 0; h < 3; ++h) {
      if (weights[static_cast<size_t>(h)] == 0) continue;
      if ((h == 0 && !need_dense) || (h == 1 && !need_sparse) || (h == 2 && !need_mv)) continue;
      std::vector<float> values;
      for (const auto& c : cand) values.push_back(head_value(c.scores, h));
      auto rank = ranks_of(cand, values);
      for (size_t i = 0; i < cand.size(); ++i)
        cand[i].score += weights[static_cast<size_t>(h)] / static_cast<float>(p.rrf_k + rank[i] + 1);
    }
  } else {
    for (auto& c : cand) c.score = weights[0] * head_value(c.scores, 0) + weights[1] * head_value(c.scores, 1) +
                                   weights[2] * head_value(c.scores, 2);
  }
  const size_t top = std::min<size_t>(static_cast<size_t>(k), cand.size());
  std::partial_sort(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(top), cand.end(),
                    [](const Candidate& a, const Candidate& b) { return a.score > b.score || (a.score == b.score && a.doc < b.doc); });
  cand.resize(top);

  SearchResult r;
  for (auto& c : cand) {
    Hit h;
    h.doc = c.doc;
    h.score = c.score;
    h.scores = c.scores;
    if (auto d = snap.doc(c.doc)) { h.docid = d->docid; h.title = d->title; h.text = d->text; h.metadata_json = d->metadata_json; }
    r.hits.push_back(std::move(h));
  }
  r.search_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace m3
