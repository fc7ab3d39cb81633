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

namespace {

// The candidates of one search with every head its ranking needs, computed once: search_snapshot
// ranks them under the request's weights, search_snapshot_sweep under many weight sets.
struct CandidatePool {
  std::vector<Candidate> cand;
  std::vector<char> bm25_only;     // proposed by BM25's top-depth alone (not a candidate without it)
  bool computed[4] = {false, false, false, false};  // dense, sparse, multivec, bm25
};

void check_query(const Snapshot& snap, const Embedding& q) {
  if (!q.dense.empty() && snap.settings().dense_dim > 0 && static_cast<int>(q.dense.size()) != snap.settings().dense_dim)
    throw Error("query dense vector has " + std::to_string(q.dense.size()) + " dimensions, the collection " +
                std::to_string(snap.settings().dense_dim));
}

// Candidates of p.mode (not bm25, which ranks on its own) and their head scores; with_bm25: BM25's
// top-depth joins them and every candidate gets its BM25 score (the fourth head of the fused modes).
CandidatePool gather_candidates(const Snapshot& snap, const Embedding& q, const SearchParams& p, const RowMask* mask,
                                bool with_bm25) {
  const int k = p.k;
  const int depth = std::max(p.effective_depth(), k);
  const bool has_dense = snap.settings().dense_dim > 0, has_mv = snap.settings().multivec_dim > 0;
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
    case SearchMode::Bm25:
      throw Error("internal: the bm25 mode has no candidate pool");
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
  CandidatePool pool;
  const size_t model_candidates = docs.size();
  const std::vector<int32_t> bm25_tokens = with_bm25 ? bm25_query_tokens(q) : std::vector<int32_t>{};
  // On a shard, BM25 scores with the whole collection's statistics (round 1) and pools only what
  // reaches the whole collection's depth-th BM25 score (round 1b), like the other heads.
  const Bm25Stats* global = scope && scope->bm25 ? &*scope->bm25 : nullptr;
  if (with_bm25)
    add_unique(docs, seen, at_or_above(snap.bm25_search(bm25_tokens, depth, p.sparse_algo, mask, global), scope ? scope->bm25_floor : no_floor));
  pool.bm25_only.assign(docs.size(), 0);
  for (size_t i = model_candidates; i < docs.size(); ++i) pool.bm25_only[i] = 1;
  need_dense = need_dense && has_dense;
  need_mv = need_mv && has_mv;
  pool.computed[kDenseHead] = need_dense;
  pool.computed[kSparseHead] = need_sparse;
  pool.computed[kMultivecHead] = need_mv;
  pool.computed[kBm25Head] = with_bm25;

  auto& cand = pool.cand;
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
  if (with_bm25) {
    const auto s = snap.bm25_scores(bm25_tokens, docs, global);
    for (size_t i = 0; i < cand.size(); ++i) cand[i].scores.bm25 = s[i];
  }
  if (need_mv && !cand.empty()) {
    auto s = snap.multivec_scores(q.colbert.data(), q.colbert_rows, docs);
    for (size_t i = 0; i < cand.size(); ++i) cand[i].scores.multivec = s[i];
  }
  return pool;
}

// The pool ranked under p's weights (or RRF), top-k, with the documents' stored fields. A pool gathered
// with BM25 ranked under a BM25 weight of 0 drops what BM25 alone proposed, and the BM25 scores: the
// result is what a search without BM25 returns.
SearchResult rank_candidates(const Snapshot& snap, const CandidatePool& pool, const SearchParams& p) {
  const bool fused = p.mode == SearchMode::DenseSparse || p.mode == SearchMode::All;
  HeadWeights weights = p.effective_weights();
  if (p.mode == SearchMode::Dense) weights = {1, 0, 0, 0};
  if (p.mode == SearchMode::Sparse) weights = {0, 1, 0, 0};
  if (p.mode == SearchMode::Multivec && !p.weights) weights = {0, 0, 1, 0};
  bool computed[4] = {pool.computed[0], pool.computed[1], pool.computed[2], pool.computed[3]};
  const bool bm25_counts = fused && weights[kBm25Head] > 0;
  std::vector<Candidate> cand;
  cand.reserve(pool.cand.size());
  for (size_t i = 0; i < pool.cand.size(); ++i) {
    if (pool.bm25_only[i] && !bm25_counts) continue;
    cand.push_back(pool.cand[i]);
    if (!bm25_counts) cand.back().scores.bm25.reset();
  }
  computed[kBm25Head] = computed[kBm25Head] && bm25_counts;

  auto head_value = [](const HitScores& s, size_t h) {
    const auto& v = h == kDenseHead ? s.dense : h == kSparseHead ? s.sparse : h == kMultivecHead ? s.multivec : s.bm25;
    return v.value_or(0.f);
  };
  if (p.fusion == Fusion::Rrf && (fused || p.mode == SearchMode::Multivec)) {
    for (auto& c : cand) c.score = 0;
    for (size_t h = 0; h < weights.size(); ++h) {
      if (weights[h] == 0 || !computed[h]) continue;
      std::vector<float> values;
      for (const auto& c : cand) values.push_back(head_value(c.scores, h));
      auto rank = ranks_of(cand, values);
      for (size_t i = 0; i < cand.size(); ++i)
        cand[i].score += weights[h] / static_cast<float>(p.rrf_k + rank[i] + 1);
    }
  } else {
    for (auto& c : cand) {
      c.score = 0;
      for (size_t h = 0; h < weights.size(); ++h)
        if (weights[h] != 0) c.score += weights[h] * head_value(c.scores, h);
    }
  }
  const size_t top = std::min<size_t>(static_cast<size_t>(p.k), cand.size());
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
  return r;
}

// A filter becomes one mask of allowed rows per segment, computed once and handed to every candidate
// generator (FAISS selector, cursors); multivec re-ranks those candidates only.
std::shared_ptr<const RowMask> mask_of(const Snapshot& snap, const SearchParams& p) {
  if (!p.filter) return nullptr;
  return snap.mask(*p.filter, p.filter_exact_scan_rows ? p.filter_exact_scan_rows : RowMask::kDefaultExactScanRows);
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

SearchResult search_snapshot(const Snapshot& snap, const Embedding& q, const SearchParams& p) {
  auto t0 = std::chrono::steady_clock::now();
  check_query(snap, q);
  const auto mask_holder = mask_of(snap, p);
  const RowMask* mask = mask_holder.get();
  if (p.mode == SearchMode::Bm25) {
    SearchResult r;
    auto toks = bm25_query_tokens(q);
    const ShardScope* scope = p.shard_scope.get();
    const Bm25Stats* global = scope && scope->bm25 ? &*scope->bm25 : nullptr;  // a shard: the whole collection's
    for (const auto& h : snap.bm25_search(toks, p.k, p.sparse_algo, mask, global)) {
      Hit hit;
      hit.doc = h.doc;
      hit.score = h.score;
      hit.scores.bm25 = h.score;
      r.hits.push_back(std::move(hit));
    }
    for (auto& h : r.hits)
      if (auto d = snap.doc(h.doc)) { h.docid = d->docid; h.title = d->title; h.text = d->text; h.metadata_json = d->metadata_json; }
    r.search_ms = ms_since(t0);
    return r;
  }
  // BM25 as the fourth head of a weighted fused mode: its top-depth joins the candidates.
  SearchResult r = rank_candidates(snap, gather_candidates(snap, q, p, mask, p.pools_bm25()), p);
  r.search_ms = ms_since(t0);
  return r;
}

std::vector<SearchResult> search_snapshot_sweep(const Snapshot& snap, const Embedding& q, const SearchParams& p,
                                                const std::vector<HeadWeights>& weight_sets) {
  auto t0 = std::chrono::steady_clock::now();
  if (p.mode != SearchMode::DenseSparse && p.mode != SearchMode::All)
    throw UsageError(std::string("a weight sweep applies to the fused modes dense+sparse and all, not to ") + to_string(p.mode));
  check_query(snap, q);
  const auto mask_holder = mask_of(snap, p);
  bool with_bm25 = false;
  for (const auto& w : weight_sets) with_bm25 = with_bm25 || w[kBm25Head] > 0;
  const CandidatePool pool = gather_candidates(snap, q, p, mask_holder.get(), with_bm25);
  std::vector<SearchResult> out;
  out.reserve(weight_sets.size());
  for (const auto& w : weight_sets) {
    SearchParams pw = p;
    pw.weights = w;
    out.push_back(rank_candidates(snap, pool, pw));
  }
  const double ms = ms_since(t0) / static_cast<double>(std::max<size_t>(1, weight_sets.size()));
  for (auto& r : out) r.search_ms = ms;
  return out;
}

}  // namespace m3
