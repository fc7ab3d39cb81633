// SparseIndex: the fast query processors (MaxScore, block-max WAND) return exactly the exhaustive
// TAAT top-k (ties by doc id), on uniform and Zipf-skewed data, with and without tombstones; scores
// equal score() from the forward store; the 8-bit quantization error stays within its bound.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "index/sparse_index.h"
#include "index/topk.h"
#include "test_util.h"

namespace m3 {
namespace {

struct Corpus {
  std::vector<SparseVector> docs;
};

Corpus make_corpus(size_t n, size_t vocab, double zipf_s, size_t terms, std::mt19937_64& rng, float max_w = 0.4f) {
  test::Zipf z(vocab, zipf_s);
  Corpus c;
  for (size_t i = 0; i < n; ++i) c.docs.push_back(test::random_sparse(1 + rng() % (2 * terms), z, max_w, rng));
  return c;
}

std::unique_ptr<SparseIndex> build(const Corpus& c, const std::string& path, ImpactModel model = {}) {
  SparseIndexBuilder b(model);
  for (const auto& d : c.docs) b.add(d.ids.data(), d.weights.data(), d.size(), float(d.size()));
  b.write(path);
  return SparseIndex::open(path);
}

// Brute force over the stored representation: score() of every row, ranked (score desc, doc asc).
std::vector<ScoredDoc> brute(const SparseIndex& idx, const QuantizedQuery& q, int k, const Bitmap* del) {
  TopK t(static_cast<size_t>(k));
  for (uint32_t r = 0; r < idx.num_docs(); ++r) {
    if (del && del->test(r)) continue;
    float s = idx.score(q, r);
    if (s > 0) t.push(r, s);
  }
  return t.take();
}

void check_all_algos(const SparseIndex& idx, const std::vector<SparseVector>& queries, int k, const Bitmap* del) {
  for (const auto& qv : queries) {
    QuantizedQuery q = quantize_query(qv);
    auto ref = brute(idx, q, k, del);
    auto taat = idx.search(q, k, SparseAlgo::Exhaustive, del);
    auto ms = idx.search(q, k, SparseAlgo::MaxScore, del);
    auto bmw = idx.search(q, k, SparseAlgo::BlockMaxWand, del);
    ASSERT_EQ(taat, ref);
    ASSERT_EQ(ms, ref);
    ASSERT_EQ(bmw, ref);
  }
}

// k = 1, 10, 50 on the live index, then k = 10 with every `every`-th row tombstoned.
void check_ks_and_tombstones(const SparseIndex& idx, const std::vector<SparseVector>& queries, uint32_t every) {
  for (int k : {1, 10, 50}) check_all_algos(idx, queries, k, nullptr);
  Bitmap del(idx.num_docs());
  for (uint32_t r = 0; r < idx.num_docs(); r += every) del.set(r);
  check_all_algos(idx, queries, 10, &del);
}

TEST(SparseIndex, AlgorithmsAgreeOnUniformData) {
  test::TempDir dir;
  std::mt19937_64 rng(1);
  auto c = make_corpus(3000, 2000, 0.0, 30, rng);
  auto idx = build(c, dir.sub("s.bin"));
  test::Zipf z(2000, 0.0);
  std::vector<SparseVector> qs;
  for (int i = 0; i < 60; ++i) qs.push_back(test::random_sparse(1 + rng() % 12, z, 0.4f, rng));
  for (int k : {1, 10, 100}) check_all_algos(*idx, qs, k, nullptr);
}

TEST(SparseIndex, AlgorithmsAgreeOnZipfData) {
  test::TempDir dir;
  std::mt19937_64 rng(2);
  auto c = make_corpus(20000, 50000, 1.1, 30, rng);
  auto idx = build(c, dir.sub("s.bin"));
  test::Zipf z(50000, 1.1);
  std::vector<SparseVector> qs;
  for (int i = 0; i < 60; ++i) qs.push_back(test::random_sparse(1 + rng() % 20, z, 0.4f, rng));
  check_ks_and_tombstones(*idx, qs, 3);
}

// Weights shaped like a learned sparse head's (frequent terms light, rare terms heavy), times a
// factor that changes with the doc range, so block maxima differ from list maxima. BMW's block-max
// skips, its non-essential lists and its seeded threshold all get exercised.
TEST(SparseIndex, AlgorithmsAgreeOnSkewedBlocks) {
  test::TempDir dir;
  std::mt19937_64 rng(8);
  const size_t vocab = 5000;
  test::Zipf z(vocab, 1.0);
  auto shape = [&](SparseVector& v, float region) {
    for (size_t j = 0; j < v.size(); ++j)
      v.weights[j] = std::max(1e-4f, v.weights[j] * region * float(std::log(double(v.ids[j]) + 2) / std::log(double(vocab))));
  };
  Corpus c;
  for (size_t i = 0; i < 20000; ++i) {
    c.docs.push_back(test::random_sparse(5 + rng() % 40, z, 0.4f, rng));
    shape(c.docs.back(), (i / 1000) % 5 == 0 ? 1.f : 0.15f);
  }
  auto idx = build(c, dir.sub("s.bin"));
  std::vector<SparseVector> qs;
  for (int i = 0; i < 60; ++i) {
    qs.push_back(test::random_sparse(1 + rng() % 12, z, 0.4f, rng));
    shape(qs.back(), 1.f);
  }
  check_ks_and_tombstones(*idx, qs, 97);
}

// BMW seeds its threshold with the k-th largest posting of one list, counting k + (number of
// tombstones) postings so that k of them are live. Delete exactly the best postings of each
// query's lists: a seed that ignored tombstones would then lose hits.
TEST(SparseIndex, SeededThresholdCountsTombstones) {
  test::TempDir dir;
  std::mt19937_64 rng(9);
  auto c = make_corpus(6000, 400, 0.7, 20, rng);
  auto idx = build(c, dir.sub("s.bin"));
  test::Zipf z(400, 0.7);
  for (int i = 0; i < 30; ++i) {
    auto qv = test::random_sparse(1 + rng() % 3, z, 0.4f, rng);
    QuantizedQuery q = quantize_query(qv);
    for (int k : {1, 5, 20}) {
      Bitmap del(idx->num_docs());
      for (const auto& h : brute(*idx, q, k + 3, nullptr))
        if (rng() % 4 != 0) del.set(uint32_t(h.doc));
      check_all_algos(*idx, {qv}, k, &del);
    }
  }
}

TEST(SparseIndex, TiesAreBrokenBySmallerDoc) {
  // Few distinct weights -> many equal scores; the top-k must still be the same set in the same order.
  test::TempDir dir;
  std::mt19937_64 rng(3);
  Corpus c;
  for (int i = 0; i < 5000; ++i) {
    SparseVector v;
    for (uint32_t t = 0; t < 20; ++t)
      if (rng() % 3 == 0) {
        v.ids.push_back(t);
        v.weights.push_back(0.1f * float(1 + rng() % 2));
      }
    c.docs.push_back(v);
  }
  auto idx = build(c, dir.sub("s.bin"));
  std::vector<SparseVector> qs;
  for (int i = 0; i < 40; ++i) {
    SparseVector q;
    for (uint32_t t = 0; t < 20; ++t)
      if (rng() % 4 == 0) {
        q.ids.push_back(t);
        q.weights.push_back(1.f);
      }
    qs.push_back(q);
  }
  for (int k : {1, 7, 100}) check_all_algos(*idx, qs, k, nullptr);
}

TEST(SparseIndex, QuantizationErrorWithinBound) {
  test::TempDir dir;
  std::mt19937_64 rng(4);
  auto c = make_corpus(500, 300, 0.8, 20, rng);
  auto idx = build(c, dir.sub("s.bin"));
  test::Zipf z(300, 0.8);
  for (int i = 0; i < 50; ++i) {
    auto qv = test::random_sparse(10, z, 0.4f, rng);
    auto q = quantize_query(qv);
    for (uint32_t r = 0; r < idx->num_docs(); r += 7) {
      float exact = sparse_dot(qv, c.docs[r]);
      float bound = 0;  // half a quantization step per shared term, plus float slack
      for (float w : qv.weights) bound += w * idx->scale() * 0.5f;
      EXPECT_NEAR(idx->score(q, r), exact, bound + 1e-5f);
    }
  }
}

TEST(SparseIndex, ForwardStoreRoundTrips) {
  test::TempDir dir;
  std::mt19937_64 rng(5);
  auto c = make_corpus(200, 1000, 1.0, 20, rng);
  auto idx = build(c, dir.sub("s.bin"));
  std::vector<uint32_t> terms;
  std::vector<float> vals;
  float len;
  for (uint32_t r = 0; r < 200; ++r) {
    idx->row(r, terms, vals, len);
    EXPECT_EQ(terms, c.docs[r].ids);
    EXPECT_EQ(vals, c.docs[r].weights);
  }
}

TEST(SparseIndex, Bm25ImpactsAgreeAcrossAlgorithms) {
  test::TempDir dir;
  std::mt19937_64 rng(6);
  test::Zipf z(5000, 1.0);
  SparseIndexBuilder b(ImpactModel{ImpactKind::BM25, 0.9f, 0.4f, 40.f});
  for (int i = 0; i < 4000; ++i) {
    std::map<uint32_t, float> tf;
    int len = 10 + int(rng() % 60);
    for (int j = 0; j < len; ++j) tf[z(rng)] += 1;
    std::vector<uint32_t> t;
    std::vector<float> v;
    for (auto& [a, x] : tf) {
      t.push_back(a);
      v.push_back(x);
    }
    b.add(t.data(), v.data(), t.size(), float(len));
  }
  b.write(dir.sub("b.bin"));
  auto idx = SparseIndex::open(dir.sub("b.bin"));
  std::vector<SparseVector> qs;
  for (int i = 0; i < 40; ++i) {
    auto q = test::random_sparse(1 + rng() % 6, z, 1.f, rng);
    for (size_t j = 0; j < q.size(); ++j) q.weights[j] = float(bm25_idf(4000, idx->df(q.ids[j]) + 1));
    qs.push_back(q);
  }
  check_all_algos(*idx, qs, 10, nullptr);
}

TEST(SparseIndex, CorruptFileIsAnError) {
  test::TempDir dir;
  std::mt19937_64 rng(7);
  auto c = make_corpus(100, 100, 1.0, 10, rng);
  build(c, dir.sub("s.bin"));
  std::string bytes;
  {
    FILE* f = fopen(dir.sub("s.bin").c_str(), "rb");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) bytes.append(buf, n);
    fclose(f);
  }
  for (size_t cut : {size_t(0), size_t(5), size_t(40), bytes.size() / 2, bytes.size() - 70}) {
    FILE* f = fopen(dir.sub("t.bin").c_str(), "wb");
    fwrite(bytes.data(), 1, cut, f);
    fclose(f);
    EXPECT_THROW(SparseIndex::open(dir.sub("t.bin")), Error) << "cut at " << cut;
  }
  EXPECT_THROW(SparseIndex::open(dir.sub("missing.bin")), NotFoundError);
}

TEST(SparseIndex, BadInputIsAnError) {
  SparseIndexBuilder b{ImpactModel{}};
  uint32_t t[2] = {5, 3};
  float w[2] = {0.1f, 0.2f};
  EXPECT_THROW(b.add(t, w, 2, 2), Error);
  uint32_t t2[1] = {1};
  float w2[1] = {-1.f};
  EXPECT_THROW(b.add(t2, w2, 1, 1), Error);
  SparseVector q{{3, 1}, {0.1f, 0.1f}};
  EXPECT_THROW(quantize_query(q), UsageError);
  EXPECT_THROW(parse_sparse_algo("wand2"), UsageError);
}

}  // namespace
}  // namespace m3
