// index/ benchmarks (issue 3): sparse top-10 (exhaustive vs MaxScore vs BMW), dense HNSW32 vs Flat
// and vs raw FAISS, multivec re-rank of 200 candidates per codec, bytes per doc/token, and the
// quantization errors. Synthetic data shaped like M3 output; sizes from the environment:
//   M3_BENCH_SPARSE_DOCS (1000000)  M3_BENCH_VOCAB (250000)  M3_BENCH_DOC_TERMS (60)
//   M3_BENCH_DENSE_DOCS (200000)    M3_BENCH_DENSE_DIM (1024)
//   M3_BENCH_MV_DOCS (2000)         M3_BENCH_MV_DIM (1024)   M3_BENCH_MV_TOKENS (100)  M3_BENCH_MV_NQ (32)
//   M3_BENCH_QUERIES (500)          M3_BENCH_DIR (/tmp)   M3_BENCH_WEIGHTS (idf | uniform)
// Latencies are per query on one thread; every ratio is against a baseline measured in the same run.
// Run: build/bench/index_bench --benchmark_filter=. (see index/README.md for the full command).
#include <benchmark/benchmark.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/HNSW.h>
#include <omp.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "bench/bench_env.h"
#include "index/dense_index.h"
#include "index/multivec_store.h"
#include "index/simd.h"
#include "index/sparse_index.h"
#include "index/topk.h"

namespace m3 {
namespace {

using bench::env;
using bench::env_s;
using Clock = std::chrono::steady_clock;
double us_since(Clock::time_point t) { return std::chrono::duration<double, std::micro>(Clock::now() - t).count(); }
// This thread's CPU time (us): what a query costs when other jobs share the cores.
double thread_cpu_us() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) / 1e3;
}

struct Stats {
  double p50 = 0, p99 = 0, mean = 0;
};
Stats stats(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.p50 = v[v.size() / 2];
  s.p99 = v[std::min(v.size() - 1, size_t(double(v.size()) * 0.99))];
  for (double x : v) s.mean += x;
  s.mean /= double(v.size());
  return s;
}

std::map<std::string, Stats> g_lat;              // name -> latency stats (us)
std::map<std::string, Stats> g_cpu;              // name -> thread CPU time per query (us), where measured
std::vector<std::pair<std::string, std::string>> g_notes;  // extra table rows
void note(const std::string& k, const std::string& v) { g_notes.emplace_back(k, v); }
std::string fmt(const char* f, double x) {
  char b[64];
  std::snprintf(b, sizeof b, f, x);
  return b;
}

// ---------------- synthetic data ----------------

struct ZipfSampler {
  std::vector<double> cdf;
  ZipfSampler(size_t vocab, double s) : cdf(vocab) {
    double acc = 0;
    for (size_t i = 0; i < vocab; ++i) cdf[i] = acc += 1.0 / std::pow(double(i + 1), s);
    for (auto& v : cdf) v /= acc;
  }
  uint32_t operator()(std::mt19937_64& rng) const {
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return uint32_t(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
  }
};

// Term ids are shuffled so frequent terms are not all small ids (as with a real vocabulary).
// Weights: M3_BENCH_WEIGHTS=uniform draws them i.i.d. in (0, max_w]; the default "idf" scales a
// uniform draw by how rare the term is (ln(rank+2)/ln(V), at least 0.02), as learned sparse heads do
// (frequent, stop-word-like tokens get small weights). Both stay in (0, max_w].
void sample_terms(size_t n, const ZipfSampler& z, const std::vector<uint32_t>& perm, std::mt19937_64& rng,
                  std::vector<uint32_t>& ids, std::vector<float>& w, float max_w) {
  static const bool uniform = env_s("M3_BENCH_WEIGHTS", "idf") == "uniform";
  const double lnv = std::log(double(z.cdf.size()));
  std::vector<std::pair<uint32_t, float>> tw;
  std::uniform_real_distribution<float> u(0.f, 1.f);
  for (size_t tries = 0; tw.size() < n && tries < 50 * n; ++tries) {
    uint32_t r = z(rng), t = perm[r];
    bool dup = false;
    for (auto& p : tw) dup |= p.first == t;
    if (dup) continue;
    // Zipf rank r has df ∝ 1/r, so idf ∝ ln(r): rare terms weigh more.
    float shape = uniform ? 1.f : float(std::clamp(std::log(double(r + 2)) / lnv, 0.02, 1.0));
    float x = uniform ? u(rng) : 0.3f + 0.7f * u(rng);
    tw.push_back({t, std::max(1e-3f, max_w * shape * x)});
  }
  std::sort(tw.begin(), tw.end());
  ids.clear();
  w.clear();
  for (auto& [t, x] : tw) {
    ids.push_back(t);
    w.push_back(x);
  }
}

// MIRACL topic lengths in (approximate) tokens: codepoints / 4, the XLM-R SentencePiece average on
// Latin text; used only for the distribution of query lengths.
std::vector<size_t> miracl_query_lengths() {
  std::vector<size_t> out;
  std::string dir = std::string(M3_SHARED_DATA) + "/formats/miracl-mrtydi/miracl";
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("topics.", 0) != 0) continue;
    std::ifstream f(e.path());
    std::string line;
    while (std::getline(f, line)) {
      auto tab = line.find('\t');
      if (tab == std::string::npos) continue;
      size_t cps = 0;
      for (size_t i = tab + 1; i < line.size(); ++i) cps += (uint8_t(line[i]) & 0xC0) != 0x80;
      out.push_back(std::clamp<size_t>((cps + 2) / 4, 1, 64));
    }
  }
  return out;
}

// ---------------- sparse ----------------

struct SparseFixture {
  std::unique_ptr<SparseIndex> idx;
  std::vector<SparseVector> q_fixed, q_miracl;
  double build_s = 0;
  static SparseFixture& get() {
    static SparseFixture f;
    if (!f.idx) f.build();
    return f;
  }
  void build() {
    const size_t n = env("M3_BENCH_SPARSE_DOCS", 1000000), vocab = env("M3_BENCH_VOCAB", 250000),
                 terms = env("M3_BENCH_DOC_TERMS", 60), nq = env("M3_BENCH_QUERIES", 500);
    std::mt19937_64 rng(1);
    ZipfSampler z(vocab, 1.0);
    std::vector<uint32_t> perm(vocab);
    for (uint32_t i = 0; i < vocab; ++i) perm[i] = i;
    std::shuffle(perm.begin(), perm.end(), rng);
    auto t0 = Clock::now();
    SparseIndexBuilder b{ImpactModel{}};
    std::vector<uint32_t> ids;
    std::vector<float> w;
    for (size_t d = 0; d < n; ++d) {
      sample_terms(terms / 2 + rng() % (terms + 1), z, perm, rng, ids, w, 0.4f);
      b.add(ids.data(), w.data(), ids.size(), float(ids.size()));
    }
    std::string path = env_s("M3_BENCH_DIR", "/tmp") + "/m3bench-sparse.bin";
    b.write(path);
    idx = SparseIndex::open(path);
    build_s = us_since(t0) / 1e6;
    auto lens = miracl_query_lengths();
    for (size_t i = 0; i < nq; ++i) {
      SparseVector q;
      sample_terms(8 + rng() % 5, z, perm, rng, q.ids, q.weights, 0.4f);
      q_fixed.push_back(q);
      SparseVector m;
      sample_terms(lens.empty() ? 10 : lens[rng() % lens.size()], z, perm, rng, m.ids, m.weights, 0.4f);
      q_miracl.push_back(m);
    }
    double mean_len = 0;
    for (auto l : lens) mean_len += double(l);
    note("sparse corpus", std::to_string(n) + " docs, vocab " + std::to_string(vocab) + ", weights " +
                              env_s("M3_BENCH_WEIGHTS", "idf") + ", " + std::to_string(idx->num_postings()) +
                              " postings, built in " + fmt("%.1f s", build_s));
    note("sparse bytes/doc (disk = mmapped memory)", fmt("%.1f", double(idx->bytes()) / double(n)) + " total, " +
                                                         fmt("%.1f", double(idx->postings_bytes()) / double(n)) + " inverted lists");
    note("MIRACL topics (query length source)", std::to_string(lens.size()) + " topics, mean " +
                                                    fmt("%.1f", lens.empty() ? 0 : mean_len / double(lens.size())) + " tokens (codepoints/4)");
    std::filesystem::remove(path);  // the mapping stays valid
  }
};

void BM_Sparse(benchmark::State& state, SparseAlgo algo, bool miracl) {
  auto& f = SparseFixture::get();
  const auto& qs = miracl ? f.q_miracl : f.q_fixed;
  std::vector<double> lat;
  for (auto _ : state) {
    lat.clear();
    for (const auto& qv : qs) {
      auto t = Clock::now();
      auto q = quantize_query(qv);
      auto hits = f.idx->search(q, 10, algo);
      benchmark::DoNotOptimize(hits);
      lat.push_back(us_since(t));
    }
  }
  Stats s = stats(lat);
  g_lat[std::string("sparse/") + to_string(algo) + (miracl ? "/miracl" : "/10tok")] = s;
  state.counters["p50_us"] = s.p50;
  state.counters["p99_us"] = s.p99;
}

void BM_SparseQuantError(benchmark::State& state) {
  auto& f = SparseFixture::get();
  double abs_err = 0, rel_err = 0;
  size_t n = 0, same_top10 = 0;
  std::vector<uint32_t> terms;
  std::vector<float> vals;
  float len;
  for (auto _ : state) {
    for (size_t i = 0; i < std::min<size_t>(100, f.q_fixed.size()); ++i) {
      const auto& qv = f.q_fixed[i];
      auto hits = f.idx->search(quantize_query(qv), 100, SparseAlgo::MaxScore);
      std::vector<std::pair<float, uint32_t>> exact;
      for (auto& h : hits) {
        f.idx->row(uint32_t(h.doc), terms, vals, len);
        float e = sparse_dot(qv, SparseVector{terms, vals});
        abs_err += std::fabs(h.score - e);
        rel_err += std::fabs(h.score - e) / std::max(e, 1e-9f);
        ++n;
        exact.push_back({-e, uint32_t(h.doc)});
      }
      std::sort(exact.begin(), exact.end());
      std::set<uint32_t> a, b;
      for (size_t j = 0; j < std::min<size_t>(10, hits.size()); ++j) {
        a.insert(uint32_t(hits[j].doc));
        b.insert(exact[j].second);
      }
      size_t common = 0;
      for (auto x : a) common += b.count(x);
      same_top10 += common;
    }
  }
  note("8-bit impact score error (top-100 hits, 100 queries)",
       "mean abs " + fmt("%.2e", abs_err / double(n)) + ", mean rel " + fmt("%.2e", rel_err / double(n)) +
           "; top-10 overlap vs fp32 re-ranking of the same hits " + fmt("%.3f", double(same_top10) / (10.0 * 100)));
}

// ---------------- dense ----------------

struct DenseFixture {
  std::unique_ptr<DenseIndex> flat, hnsw;
  std::vector<float> queries;
  int dim = 0;
  size_t nq = 0;
  static DenseFixture& get() {
    static DenseFixture f;
    if (!f.flat) f.build();
    return f;
  }
  void build() {
    const size_t n = env("M3_BENCH_DENSE_DOCS", 200000);
    dim = int(env("M3_BENCH_DENSE_DIM", 1024));
    nq = std::min<size_t>(env("M3_BENCH_QUERIES", 500), 500);
    std::mt19937_64 rng(2);
    std::normal_distribution<float> g(0.f, 1.f);
    // Clustered: 1000 centres; each vector = centre + noise of norm ~0.5 (not i.i.d.).
    const size_t C = 1000;
    std::vector<float> cen(C * dim), x(n * dim);
    auto norm = [&](float* v) {
      double s = 0;
      for (int j = 0; j < dim; ++j) s += double(v[j]) * v[j];
      float inv = float(1 / std::sqrt(s));
      for (int j = 0; j < dim; ++j) v[j] *= inv;
    };
    for (size_t c = 0; c < C; ++c) {
      for (int j = 0; j < dim; ++j) cen[c * dim + j] = g(rng);
      norm(&cen[c * dim]);
    }
    const float sigma = 0.5f / std::sqrt(float(dim));
    auto sample = [&](float* v) {
      size_t c = rng() % C;
      for (int j = 0; j < dim; ++j) v[j] = cen[c * dim + j] + sigma * g(rng);
      norm(v);
    };
    for (size_t i = 0; i < n; ++i) sample(&x[i * dim]);
    queries.resize(nq * dim);
    for (size_t i = 0; i < nq; ++i) sample(&queries[i * dim]);
    std::vector<int64_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = int64_t(i);
    flat = DenseIndex::build(dim, "Flat", x.data(), int64_t(n), ids.data());
    auto t0 = Clock::now();
    omp_set_num_threads(2);
    hnsw = DenseIndex::build(dim, "HNSW32", x.data(), int64_t(n), ids.data());
    double bs = us_since(t0) / 1e6;
    note("dense corpus", std::to_string(n) + " x " + std::to_string(dim) + "-d clustered (1000 centres), HNSW32 build " +
                             fmt("%.1f s", bs) + " on 2 threads (" + fmt("%.0f", double(n) / bs) + " vectors/s)");
    note("dense bytes/doc", "raw fp32 " + fmt("%.0f", double(hnsw->raw_bytes()) / double(n)) + " + HNSW32 " +
                                fmt("%.0f", double(hnsw->faiss_bytes()) / double(n)) + " (FAISS, in memory) / Flat " +
                                fmt("%.0f", double(flat->faiss_bytes()) / double(n)));
    omp_set_num_threads(1);
  }
};

void BM_DenseFlat(benchmark::State& state) {
  auto& f = DenseFixture::get();
  omp_set_num_threads(1);
  std::vector<double> lat;
  for (auto _ : state) {
    lat.clear();
    for (size_t i = 0; i < f.nq; ++i) {
      auto t = Clock::now();
      auto r = f.flat->search(&f.queries[i * f.dim], 10, {});
      benchmark::DoNotOptimize(r);
      lat.push_back(us_since(t));
    }
  }
  Stats s = stats(lat);
  g_lat["dense/flat"] = s;
  state.counters["p50_us"] = s.p50;
}

// HNSW through DenseIndex and through FAISS directly, alternating per query (same caches, same
// machine load), so the overhead ratio is not skewed by whichever ran first.
void BM_DenseHnsw(benchmark::State& state, int ef) {
  auto& f = DenseFixture::get();
  omp_set_num_threads(1);
  const faiss::Index* raw = f.hnsw->faiss_index();
  faiss::SearchParametersHNSW hp;
  hp.efSearch = ef;
  std::vector<float> D(10);
  std::vector<faiss::Index::idx_t> I(10);
  std::vector<double> lw, lr;
  std::vector<std::vector<ScoredDoc>> res(f.nq);
  for (auto _ : state) {
    lw.clear();
    lr.clear();
    for (int rep = 0; rep < 3; ++rep)
      for (size_t i = 0; i < f.nq; ++i) {
        const float* q = &f.queries[i * f.dim];
        for (int order = 0; order < 2; ++order) {
          bool wrapper = (order == 0) == ((i + size_t(rep)) % 2 == 0);
          auto t = Clock::now();
          if (wrapper) {
            res[i] = f.hnsw->search(q, 10, DenseSearchParams{ef, 0});
            lw.push_back(us_since(t));
          } else {
            // As DenseIndex does: FAISS 1.7.3 reads efSearch from the index itself (see dense_index.h).
            const_cast<faiss::IndexHNSW*>(dynamic_cast<const faiss::IndexHNSW*>(raw))->hnsw.efSearch = ef;
            raw->search(1, q, 10, D.data(), I.data(), &hp);
            benchmark::DoNotOptimize(I.data());
            lr.push_back(us_since(t));
          }
        }
      }
  }
  Stats sw = stats(lw), sr = stats(lr);
  g_lat["dense/hnsw/ef" + std::to_string(ef)] = sw;
  g_lat["dense/raw-faiss-hnsw/ef" + std::to_string(ef)] = sr;
  state.counters["p50_us"] = sw.p50;
  state.counters["raw_p50_us"] = sr.p50;
  size_t hit = 0;
  for (size_t i = 0; i < f.nq; ++i) {
    auto ref = f.flat->search(&f.queries[i * f.dim], 10, {});
    for (auto& r : ref)
      for (auto& h : res[i]) hit += h.doc == r.doc;
  }
  double recall = double(hit) / double(10 * f.nq);
  state.counters["recall10"] = recall;
  note("HNSW32 recall@10 vs Flat, efSearch " + std::to_string(ef), fmt("%.4f", recall));
}

// ---------------- multivec ----------------

struct MvFixture {
  int dim = 0, nq = 0;
  size_t n_docs = 0;
  std::vector<float> queries;                 // per query nq x dim
  std::vector<std::vector<uint32_t>> cands;   // 200 candidates per query
  std::map<std::string, std::unique_ptr<MultiVectorStore>> stores;
  std::unique_ptr<ResidualCodebook> cb1, cb2, cb4;
  uint64_t n_vectors = 0;
  static MvFixture& get() {
    static MvFixture f;
    if (f.stores.empty()) f.build();
    return f;
  }
  void build() {
    n_docs = env("M3_BENCH_MV_DOCS", 2000);
    dim = int(env("M3_BENCH_MV_DIM", 1024));
    nq = int(env("M3_BENCH_MV_NQ", 32));
    const size_t tokens = env("M3_BENCH_MV_TOKENS", 100), n_queries = std::min<size_t>(env("M3_BENCH_QUERIES", 500), 100);
    std::mt19937_64 rng(3);
    std::normal_distribution<float> g(0.f, 1.f);
    // Token vectors: 4096 "word" centres + per-occurrence noise, unit norm (ColBERT vectors are normalised).
    const size_t C = 4096;
    std::vector<float> cen(C * dim);
    auto norm = [&](float* v) {
      double s = 0;
      for (int j = 0; j < dim; ++j) s += double(v[j]) * v[j];
      float inv = float(1 / std::sqrt(s));
      for (int j = 0; j < dim; ++j) v[j] *= inv;
    };
    for (size_t c = 0; c < C; ++c) {
      for (int j = 0; j < dim; ++j) cen[c * dim + j] = g(rng);
      norm(&cen[c * dim]);
    }
    const float sigma = 0.6f / std::sqrt(float(dim));
    std::vector<size_t> counts(n_docs);
    std::vector<std::vector<size_t>> words(n_docs);
    std::string dir = env_s("M3_BENCH_DIR", "/tmp");
    // Generate docs once into a temp fp32 buffer per doc and feed every codec writer.
    std::vector<float> sample;  // for the residual codebooks
    std::vector<std::unique_ptr<MultiVectorWriter>> writers;
    std::vector<std::string> names = {"fp32", "fp16", "int8", "binary", "residual-1", "residual-2", "residual-4"};
    // Codebooks first need a sample: draw 32k token vectors the same way.
    for (size_t i = 0; i < 32768; ++i) {
      size_t c = rng() % C;
      for (int j = 0; j < dim; ++j) sample.push_back(cen[c * dim + j] + sigma * g(rng));
      norm(&sample[sample.size() - dim]);
    }
    auto t0 = Clock::now();
    omp_set_num_threads(2);
    cb2 = std::make_unique<ResidualCodebook>(ResidualCodebook::train(sample.data(), 32768, dim, 2));
    // Same centroids, buckets fitted per bit width.
    cb1 = std::make_unique<ResidualCodebook>(ResidualCodebook::train(sample.data(), 32768, dim, 1, 1234, cb2.get()));
    cb4 = std::make_unique<ResidualCodebook>(ResidualCodebook::train(sample.data(), 32768, dim, 4, 1234, cb2.get()));
    omp_set_num_threads(1);
    note("residual codebooks", std::to_string(cb1->num_centroids()) + " centroids each, trained in " + fmt("%.1f s", us_since(t0) / 1e6));
    for (auto& nme : names) {
      MvCodec c = parse_mv_codec(nme.substr(0, nme.find('-')));
      int bits = nme.find('-') == std::string::npos ? 0 : std::stoi(nme.substr(nme.find('-') + 1));
      const ResidualCodebook* cb = bits == 1 ? cb1.get() : bits == 2 ? cb2.get() : bits == 4 ? cb4.get() : nullptr;
      writers.push_back(std::make_unique<MultiVectorWriter>(dir + "/m3bench-mv-" + nme, c, dim, bits, cb));
    }
    std::vector<float> buf;
    for (size_t d = 0; d < n_docs; ++d) {
      size_t n = tokens / 2 + rng() % (tokens + 1);
      buf.resize(n * dim);
      for (size_t t = 0; t < n; ++t) {
        size_t c = rng() % C;
        words[d].push_back(c);
        for (int j = 0; j < dim; ++j) buf[t * dim + j] = cen[c * dim + j] + sigma * g(rng);
        norm(&buf[t * dim]);
      }
      n_vectors += n;
      for (auto& w : writers) w->add(buf.data(), n);
    }
    for (size_t i = 0; i < names.size(); ++i) {
      writers[i]->finish();
      const std::string& nme = names[i];
      int bits = nme.find('-') == std::string::npos ? 0 : std::stoi(nme.substr(nme.find('-') + 1));
      const ResidualCodebook* cb = bits == 1 ? cb1.get() : bits == 2 ? cb2.get() : bits == 4 ? cb4.get() : nullptr;
      stores[nme] = MultiVectorStore::open(dir + "/m3bench-mv-" + nme, dim, cb);
      std::filesystem::remove(dir + "/m3bench-mv-" + nme);
    }
    // Queries: nq words of a random document (plus noise), so relevant documents exist.
    for (size_t qi = 0; qi < n_queries; ++qi) {
      size_t d = rng() % n_docs;
      for (int i = 0; i < nq; ++i) {
        size_t c = words[d][rng() % words[d].size()];
        if (rng() % 4 == 0) c = rng() % C;  // some query words are not in the document
        for (int j = 0; j < dim; ++j) queries.push_back(cen[c * dim + j] + sigma * g(rng));
        norm(&queries[queries.size() - dim]);
      }
      std::vector<uint32_t> cs{uint32_t(d)};  // 200 distinct candidates, the source doc among them
      std::set<uint32_t> seen{uint32_t(d)};
      while (cs.size() < std::min<size_t>(200, n_docs)) {
        uint32_t x = uint32_t(rng() % n_docs);
        if (seen.insert(x).second) cs.push_back(x);
      }
      cands.push_back(cs);
    }
    note("multivec corpus", std::to_string(n_docs) + " docs, " + std::to_string(n_vectors) + " token vectors of " +
                                std::to_string(dim) + "-d (4096 word centres), queries of " + std::to_string(nq) +
                                " vectors, 200 candidates each");
  }
};

// Re-rank 200 candidates: prepare the query once (the tables of the binary/residual fast path, timed),
// then score each candidate, as Snapshot::multivec_scores does. `reference`: decode + blocked kernel;
// `tables`: the fast path with the AMX kernel switched off (the nibble tables), on AMX CPUs.
void BM_MaxSim(benchmark::State& state, const char* codec, bool reference, bool tables = false) {
  auto& f = MvFixture::get();
  const auto& st = *f.stores.at(codec);
  std::vector<float> scratch(f.dim), scores(200);
  std::vector<double> lat, cpu;
  MaxSimQuery::set_amx_enabled(!tables);
  bool amx = false;
  for (auto _ : state) {
    lat.clear();
    cpu.clear();
    for (size_t qi = 0; qi < f.cands.size(); ++qi) {
      const float* q = &f.queries[qi * size_t(f.nq) * f.dim];
      const double c0 = thread_cpu_us();
      auto t = Clock::now();
      if (reference) {
        for (size_t i = 0; i < f.cands[qi].size(); ++i) scores[i] = st.maxsim_reference(q, f.nq, f.cands[qi][i]);
      } else {
        MaxSimQuery pq = st.prepare(q, f.nq);
        amx = pq.uses_amx();
        for (size_t i = 0; i < f.cands[qi].size(); ++i) scores[i] = st.maxsim(pq, f.cands[qi][i]);
      }
      benchmark::DoNotOptimize(scores.data());
      lat.push_back(us_since(t));
      cpu.push_back(thread_cpu_us() - c0);
    }
  }
  MaxSimQuery::set_amx_enabled(true);
  Stats s = stats(lat);
  const std::string key = std::string("multivec/") + codec + (reference ? "/reference" : tables ? "/tables" : "");
  g_lat[key] = s;
  g_cpu[key] = stats(cpu);
  state.counters["p50_us"] = s.p50;
  state.counters["p99_us"] = s.p99;
  state.counters["amx"] = amx;
  if (reference || tables) return;
  if (amx) note(std::string("multivec ") + codec + " kernel", "AMX-BF16 tiles (maxsim_amx.h)");
  // Error against fp32 on the same candidates.
  const auto& ref = *f.stores.at("fp32");
  double abs_err = 0, max_vs_ref = 0;  // max_vs_ref: the table path against decode + kernel
  size_t overlap = 0;
  for (size_t qi = 0; qi < f.cands.size(); ++qi) {
    const float* q = &f.queries[qi * size_t(f.nq) * f.dim];
    std::vector<std::pair<float, uint32_t>> a, b;
    MaxSimQuery pr = ref.prepare(q, f.nq), pq = st.prepare(q, f.nq);
    for (uint32_t d : f.cands[qi]) {
      float x = ref.maxsim(pr, d), y = st.maxsim(pq, d);
      abs_err += std::fabs(double(x) - y);
      max_vs_ref = std::max(max_vs_ref, std::fabs(double(y) - st.maxsim_reference(q, f.nq, d)));
      a.push_back({-x, d});
      b.push_back({-y, d});
    }
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    std::set<uint32_t> ta, tb;
    for (int i = 0; i < 10; ++i) ta.insert(a[i].second), tb.insert(b[i].second);
    for (auto x : ta) overlap += tb.count(x);
  }
  double mae = abs_err / double(f.cands[0].size() * f.cands.size());
  double ov = double(overlap) / double(10 * f.cands.size());
  state.counters["mae_vs_fp32"] = mae;
  state.counters["top10_overlap"] = ov;
  note(std::string("multivec ") + codec, fmt("%.1f", double(st.code_size())) + " bytes/token (" +
                                             fmt("%.0f", double(st.bytes()) / double(f.n_docs)) + " bytes/doc on disk, mmapped), MaxSim MAE vs fp32 " +
                                             fmt("%.2e", mae) + ", top-10 overlap " + fmt("%.3f", ov) +
                                             ", max |score - reference score| " + fmt("%.1e", max_vs_ref));
}

// The binary codec's Hamming pre-score (sign bits of the query vs the stored bits, popcount).
void BM_Hamming(benchmark::State& state) {
  auto& f = MvFixture::get();
  const auto& st = *f.stores.at("binary");
  const auto& ref = *f.stores.at("fp32");
  std::vector<double> lat;
  std::vector<float> scores(200);
  size_t overlap = 0;
  for (auto _ : state) {
    lat.clear();
    for (size_t qi = 0; qi < f.cands.size(); ++qi) {
      const float* q = &f.queries[qi * size_t(f.nq) * f.dim];
      auto t = Clock::now();
      auto bits = MultiVectorStore::sign_bits(q, f.nq, f.dim);
      for (size_t i = 0; i < f.cands[qi].size(); ++i) scores[i] = st.hamming_prescore(bits.data(), f.nq, f.cands[qi][i]);
      benchmark::DoNotOptimize(scores.data());
      lat.push_back(us_since(t));
      std::vector<std::pair<float, uint32_t>> a, b;
      for (size_t i = 0; i < f.cands[qi].size(); ++i) {
        a.push_back({-ref.maxsim(q, f.nq, f.cands[qi][i]), f.cands[qi][i]});
        b.push_back({-scores[i], f.cands[qi][i]});
      }
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      std::set<uint32_t> ta, tb;
      for (int i = 0; i < 10; ++i) ta.insert(a[i].second), tb.insert(b[i].second);
      for (auto x : ta) overlap += tb.count(x);
    }
  }
  Stats s = stats(lat);
  g_lat["multivec/binary-hamming-prescore"] = s;
  state.counters["p50_us"] = s.p50;
  note("multivec binary Hamming pre-score", "top-10 overlap with fp32 MaxSim " + fmt("%.3f", double(overlap) / double(10 * f.cands.size())));
}

void register_all() {
  auto reg = [](const std::string& name, auto fn) { benchmark::RegisterBenchmark(name.c_str(), fn)->Iterations(1)->Unit(benchmark::kMillisecond); };
  for (bool miracl : {false, true})
    for (auto algo : {SparseAlgo::Exhaustive, SparseAlgo::MaxScore, SparseAlgo::BlockMaxWand})
      reg(std::string("sparse/") + to_string(algo) + (miracl ? "/miracl" : "/10tok"),
          [algo, miracl](benchmark::State& s) { BM_Sparse(s, algo, miracl); });
  reg("sparse/quant_error", [](benchmark::State& s) { BM_SparseQuantError(s); });
  reg("dense/flat", [](benchmark::State& s) { BM_DenseFlat(s); });
  for (int ef : {16, 64, 128, 256}) reg("dense/hnsw/ef" + std::to_string(ef), [ef](benchmark::State& s) { BM_DenseHnsw(s, ef); });
  for (const char* c : {"fp32", "fp16", "int8", "binary", "residual-1", "residual-2", "residual-4"}) {
    reg(std::string("multivec/") + c, [c](benchmark::State& s) { BM_MaxSim(s, c, false); });
    if (c[0] == 'b' || c[0] == 'r') {  // the fast path's baselines, in the same run
      reg(std::string("multivec/") + c + "/reference", [c](benchmark::State& s) { BM_MaxSim(s, c, true); });
      if (amx::available())
        reg(std::string("multivec/") + c + "/tables", [c](benchmark::State& s) { BM_MaxSim(s, c, false, true); });
    }
  }
  reg("multivec/binary-hamming-prescore", [](benchmark::State& s) { BM_Hamming(s); });
}

void print_summary() {
  std::printf("\n| measurement | p50 (ms) | p99 (ms) | mean (ms) | ratio |\n|---|---|---|---|---|\n");
  for (auto& [name, s] : g_lat) {
    std::string ratio;
    auto base = [&](const std::string& b) { return g_lat.count(b) ? g_lat[b].p50 / s.p50 : 0.0; };
    if (name.rfind("sparse/", 0) == 0) {
      std::string suffix = name.substr(name.rfind('/'));
      double r = base("sparse/exhaustive" + suffix);
      if (r > 0) ratio = fmt("%.1fx faster than exhaustive (p50)", r);
    } else if (name.rfind("multivec/", 0) == 0 && g_lat.count(name + "/reference")) {
      ratio = fmt("%.1fx faster than decode + kernel (p50)", g_lat[name + "/reference"].p50 / s.p50);
      if (g_lat.count(name + "/tables")) ratio += fmt(", %.1fx faster than the nibble tables", g_lat[name + "/tables"].p50 / s.p50);
    } else if (name.rfind("dense/hnsw/", 0) == 0) {
      std::string raw = "dense/raw-faiss-hnsw/" + name.substr(std::string("dense/hnsw/").size());
      if (g_lat.count(raw))
        ratio = fmt("wrapper overhead %+.1f%% (p50)", 100.0 * (s.p50 / g_lat[raw].p50 - 1)) +
                fmt(", %+.1f%% (mean) vs raw FAISS", 100.0 * (s.mean / g_lat[raw].mean - 1));
    }
    if (g_cpu.count(name)) ratio += (ratio.empty() ? "" : "; ") + fmt("thread CPU time p50 %.3f ms", g_cpu[name].p50 / 1e3);
    std::printf("| %s | %.3f | %.3f | %.3f | %s |\n", name.c_str(), s.p50 / 1e3, s.p99 / 1e3, s.mean / 1e3, ratio.c_str());
  }
  std::printf("\n| item | value |\n|---|---|\n");
  for (auto& [k, v] : g_notes) std::printf("| %s | %s |\n", k.c_str(), v.c_str());
}

}  // namespace
}  // namespace m3

int main(int argc, char** argv) {
  omp_set_num_threads(1);
  m3::register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  m3::print_summary();
  benchmark::Shutdown();
  return 0;
}
