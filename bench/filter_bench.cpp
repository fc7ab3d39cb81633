// Filtered search latency (issue 15): p50/p99 of sparse, dense+sparse and all at 0.1 %, 1 %, 10 % and
// 50 % selectivity beside the unfiltered search, in the same run, through the engine's search path
// (search_snapshot: mask, candidates, exact heads, fusion). A synthetic collection written through
// IndexStore (no encoder, so it can be large): dense vectors around cluster centres, Zipf-distributed
// sparse terms and BM25 tokens, binary-coded token vectors, and metadata {"bucket": 0..999, "tag": ...}.
// The filters are numeric ranges on "bucket" (bucket < 1, < 10, < 100, < 500).
// Sizes from the environment:
//   M3_FILTER_DOCS (100000)  M3_FILTER_SEGMENTS (4)  M3_FILTER_QUERIES (200)  M3_FILTER_DENSE (HNSW32)
//   M3_FILTER_DIM (256)      M3_FILTER_SCAN_ROWS (RowMask's default: score a segment's allowed rows
//   directly at or below this many)  M3_BENCH_DIR (/tmp)
// The dense rows also give recall@10 against the exact top-10 of the allowed documents (an exact
// scan of their fp32 vectors): what HNSW's approximation costs under each filter.
// Run: build/bench/filter_bench (README "Filters" has the command and the table).
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_env.h"
#include "engine/collection.h"
#include "engine/metadata_filter.h"
#include "index/index_store.h"

namespace m3 {
namespace {

using bench::env;
using bench::env_s;
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

struct Gen {
  std::mt19937 rng{42};
  int dim, mv_dim, vocab = 30000;
  std::vector<std::vector<float>> centres;
  std::vector<double> zipf_cdf;

  Gen(int d, int mvd) : dim(d), mv_dim(mvd) {
    std::normal_distribution<float> g;
    for (int c = 0; c < 256; ++c) {
      std::vector<float> v(static_cast<size_t>(dim));
      for (auto& x : v) x = g(rng);
      normalize(v);
      centres.push_back(v);
    }
    double s = 0;
    for (int r = 0; r < vocab; ++r) zipf_cdf.push_back(s += 1.0 / (r + 1));
    for (auto& x : zipf_cdf) x /= s;
  }
  static void normalize(std::vector<float>& v) {
    double n = 0;
    for (float x : v) n += double(x) * x;
    const float inv = float(1 / std::sqrt(n));
    for (auto& x : v) x *= inv;
  }
  std::vector<float> dense() {
    std::normal_distribution<float> g(0, 0.5f / std::sqrt(float(dim)) * 1.0f);
    const auto& c = centres[rng() % centres.size()];
    std::vector<float> v(c);
    for (auto& x : v) x += g(rng) * 2.f;
    normalize(v);
    return v;
  }
  uint32_t term() {
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return uint32_t(std::lower_bound(zipf_cdf.begin(), zipf_cdf.end(), u) - zipf_cdf.begin()) + 4;
  }
  SparseVector sparse(int n_terms) {
    std::vector<uint32_t> ids;
    for (int i = 0; i < n_terms; ++i) ids.push_back(term());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    SparseVector s;
    for (uint32_t id : ids) {
      s.ids.push_back(id);
      // rarer terms weigh more, as a learned sparse head does
      s.weights.push_back(float(0.05 + 0.35 * std::log(double(id) + 2) / std::log(double(vocab)) *
                                           std::uniform_real_distribution<double>(0.5, 1)(rng)));
    }
    return s;
  }
  std::vector<float> tokens(int n) {
    std::normal_distribution<float> g;
    std::vector<float> out;
    for (int t = 0; t < n; ++t) {
      std::vector<float> v(static_cast<size_t>(mv_dim));
      for (auto& x : v) x = g(rng);
      normalize(v);
      out.insert(out.end(), v.begin(), v.end());
    }
    return out;
  }
};

struct Stats {
  double p50 = 0, p99 = 0;
};
Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v[std::min(v.size() - 1, size_t(double(v.size()) * 0.99))]};
}

}  // namespace
}  // namespace m3

int main() {
  using namespace m3;
  const size_t n_docs = env("M3_FILTER_DOCS", 100000), n_seg = env("M3_FILTER_SEGMENTS", 4),
               n_q = env("M3_FILTER_QUERIES", 200);
  const int dim = int(env("M3_FILTER_DIM", 256)), mv_dim = 128, mv_tokens = 16;
  const std::string dense = env_s("M3_FILTER_DENSE", "HNSW32");
  const std::string dir = env_s("M3_BENCH_DIR", "/tmp") + "/m3_filter_bench";
  std::filesystem::remove_all(dir);

  IndexSettings s;
  s.dense_dim = dim;
  s.multivec_dim = mv_dim;
  s.dense_factory = dense;
  s.mv_codec = "binary";
  Gen gen(dim, mv_dim);
  omp_set_num_threads(2);  // building HNSW
  auto t0 = Clock::now();
  {
    auto store = IndexStore::create(dir, s);
    for (size_t i = 0; i < n_docs; ++i) {
      DocInput d;
      d.docid = "d" + std::to_string(i);
      d.text = "synthetic";
      d.metadata_json = nlohmann::json{{"bucket", gen.rng() % 1000}, {"tag", "t" + std::to_string(gen.rng() % 50)}}.dump();
      d.dense = gen.dense();
      d.sparse = gen.sparse(40 + int(gen.rng() % 40));
      for (size_t j = 0; j < d.sparse.ids.size(); ++j) d.token_ids.push_back(int32_t(d.sparse.ids[j]));
      d.n_vectors = mv_tokens;
      d.multivec = gen.tokens(mv_tokens);
      store->upsert(std::move(d));
      if ((i + 1) % ((n_docs + n_seg - 1) / n_seg) == 0 || i + 1 == n_docs) store->commit();
    }
  }
  // Latencies per query on one thread, as bench/index_bench.cpp measures them (FAISS's OpenMP
  // workers would otherwise spin against whatever else shares the cores).
  omp_set_num_threads(1);
  auto store = IndexStore::open(dir);
  auto snap = store->snapshot();
  std::printf("collection: %zu docs, %zu segments, dense %s %d-d, sparse 40-80 terms/doc (Zipf over 30k), multivec binary "
              "%d x %d-d; built in %.0f s\n",
              snap->live_documents(), snap->num_segments(), dense.c_str(), dim, mv_tokens, mv_dim, ms_since(t0) / 1000);

  std::vector<Embedding> queries;
  for (size_t i = 0; i < n_q; ++i) {
    Embedding q;
    q.dense = gen.dense();
    q.sparse = gen.sparse(8 + int(gen.rng() % 5));
    q.colbert_rows = 8;
    q.colbert_dim = mv_dim;
    q.colbert = gen.tokens(8);
    queries.push_back(std::move(q));
  }

  struct Sel {
    const char* name;
    int below;  // bucket < below
  };
  const std::vector<Sel> sels = {{"unfiltered", 0}, {"50 %", 500}, {"10 %", 100}, {"1 %", 10}, {"0.1 %", 1}};
  {  // the metadata columns are built on a segment's first filtered query: measure that once
    auto f = parse_metadata_filter(nlohmann::json{{"field", "bucket"}, {"range", {{"lt", 1}}}});
    auto t = Clock::now();
    auto mask = snap->mask(*f);
    std::printf("metadata columns built from the doc store on the first filtered query: %.0f ms (%zu docs); "
                "a mask afterwards:",
                ms_since(t), snap->live_documents());
    for (const auto& sel : sels) {
      if (!sel.below) continue;
      auto fs = parse_metadata_filter(nlohmann::json{{"field", "bucket"}, {"range", {{"lt", sel.below}}}});
      std::vector<double> v;
      for (int r = 0; r < 50; ++r) {
        auto tm = Clock::now();
        auto m = snap->mask(*fs);
        v.push_back(ms_since(tm));
      }
      std::printf(" %s %.3f ms", sel.name, stats(v).p50);
    }
    std::printf(" (p50)\n");
  }

  const uint32_t scan_rows = uint32_t(env("M3_FILTER_SCAN_ROWS", RowMask::kDefaultExactScanRows));
  std::printf("\n| mode | filter | allowed docs | p50 ms | p99 ms | p50 / unfiltered | p99 / unfiltered | mean hits | dense recall@10 |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (SearchMode mode : {SearchMode::Dense, SearchMode::Sparse, SearchMode::DenseSparse, SearchMode::All}) {
    Stats base;
    for (const auto& sel : sels) {
      SearchParams p;
      p.mode = mode;
      p.k = 10;
      p.filter_exact_scan_rows = scan_rows;
      // Every filter, also the match-everything one for "unfiltered" recall, so the exact reference
      // is the same exact scan.
      auto f = parse_metadata_filter(nlohmann::json{{"field", "bucket"}, {"range", {{"lt", sel.below ? sel.below : 1000}}}});
      if (sel.below) p.filter = f;
      const auto exact_mask = snap->mask(*f, ~0u);
      const size_t allowed = exact_mask->allowed();
      std::vector<double> lat;
      double hits = 0, recall = 0;
      for (size_t i = 0; i < queries.size(); ++i) {
        auto t = Clock::now();
        auto r = search_snapshot(*snap, queries[i], p);
        lat.push_back(ms_since(t));
        hits += double(r.hits.size());
        if (mode == SearchMode::Dense) {
          const auto exact = snap->dense_search(queries[i].dense.data(), p.k, {}, exact_mask.get());
          for (const auto& h : r.hits)
            for (const auto& e : exact) recall += h.doc == e.doc ? 1.0 / double(exact.size()) : 0;
        }
      }
      Stats st = stats(lat);
      if (!sel.below) base = st;
      std::printf("| %s | %s | %zu | %.2f | %.2f | %.2f | %.2f | %.1f | %s |\n", to_string(mode), sel.name, allowed, st.p50,
                  st.p99, st.p50 / base.p50, st.p99 / base.p99, hits / double(queries.size()),
                  mode == SearchMode::Dense ? std::to_string(recall / double(queries.size())).substr(0, 5).c_str() : "");
      std::fflush(stdout);
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
