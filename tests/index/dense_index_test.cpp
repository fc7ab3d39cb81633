// DenseIndex: Flat is exact against brute force; HNSW finds most true neighbours on clustered data;
// tombstones never come back; save/load keeps results; bad factory strings and dims are errors.
#include <gtest/gtest.h>
#include <omp.h>

#include "index/dense_index.h"
#include "index/simd.h"
#include "index/topk.h"
#include "test_util.h"

namespace m3 {
namespace {

std::vector<int64_t> ids_for(size_t n) {
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = int64_t(10 + 3 * i);  // stable ids, not rows
  return ids;
}

std::vector<ScoredDoc> brute(const std::vector<float>& x, const std::vector<int64_t>& ids, int dim, const float* q, int k,
                             const Bitmap* del = nullptr) {
  TopK t(static_cast<size_t>(k));
  for (size_t i = 0; i < ids.size(); ++i)
    if (!del || !del->test(i)) t.push(ids[i], simd::dot_f32(q, &x[i * dim], dim));
  return t.take();
}

TEST(DenseIndex, FlatIsExact) {
  std::mt19937_64 rng(1);
  const int dim = 64;
  auto x = test::clustered(3000, dim, 30, 0.3f, rng);
  auto ids = ids_for(3000);
  auto idx = DenseIndex::build(dim, "Flat", x.data(), 3000, ids.data());
  auto qs = test::clustered(20, dim, 30, 0.3f, rng);
  for (int i = 0; i < 20; ++i) {
    auto got = idx->search(&qs[i * dim], 10, {});
    auto ref = brute(x, ids, dim, &qs[i * dim], 10);
    ASSERT_EQ(got.size(), 10u);
    for (int j = 0; j < 10; ++j) {
      EXPECT_NEAR(got[j].score, ref[j].score, 1e-5f);
      EXPECT_FLOAT_EQ(got[j].score, idx->score(&qs[i * dim], got[j].doc));  // search and score agree
    }
  }
}

TEST(DenseIndex, HnswRecallOnClusteredData) {
  std::mt19937_64 rng(2);
  const int dim = 64;
  auto x = test::clustered(5000, dim, 50, 0.06f, rng);
  auto ids = ids_for(5000);
  omp_set_num_threads(1);  // FAISS's parallel HNSW insertion is not deterministic; one thread is
  auto idx = DenseIndex::build(dim, "HNSW32", x.data(), 5000, ids.data());
  omp_set_num_threads(omp_get_num_procs());
  auto qs = test::clustered(50, dim, 50, 0.06f, rng);
  size_t hit = 0;
  for (int i = 0; i < 50; ++i) {
    auto got = idx->search(&qs[i * dim], 10, DenseSearchParams{128, 0});
    auto ref = brute(x, ids, dim, &qs[i * dim], 10);
    for (auto& r : ref)
      for (auto& g : got) hit += g.doc == r.doc;
  }
  RecordProperty("recall10", std::to_string(double(hit) / 500.0));
  EXPECT_GE(double(hit) / 500.0, 0.9);
}

TEST(DenseIndex, TombstonesAndSaveLoad) {
  test::TempDir dir;
  std::mt19937_64 rng(3);
  const int dim = 32;
  auto x = test::clustered(2000, dim, 20, 0.3f, rng);
  auto ids = ids_for(2000);
  for (const char* factory : {"Flat", "HNSW16", "IVF8,Flat"}) {
    auto idx = DenseIndex::build(dim, factory, x.data(), 2000, ids.data());
    EXPECT_EQ(idx->effective_factory(), factory);
    Bitmap del(2000);
    for (size_t i = 0; i < 2000; i += 2) del.set(i);
    std::string prefix = dir.sub(std::string("d-") + factory);
    idx->save(prefix);
    auto loaded = DenseIndex::load(prefix, dim);
    for (int i = 0; i < 10; ++i) {
      const float* q = &x[size_t(i) * 7 * dim];
      auto a = idx->search(q, 10, {}, &del);
      auto b = loaded->search(q, 10, {}, &del);
      EXPECT_EQ(a, b);
      for (auto& h : a) EXPECT_FALSE(del.test(size_t(loaded->row_of(h.doc)))) << factory;
    }
    loaded->remove({ids[1], ids[3]});
    auto all = loaded->search(&x[dim], 5, DenseSearchParams{64, 8});
    for (auto& h : all) EXPECT_NE(h.doc, ids[1]);
  }
}

TEST(DenseIndex, IvfFallsBackToFlatWhenTooFewVectors) {
  std::mt19937_64 rng(4);
  auto x = test::clustered(100, 16, 5, 0.3f, rng);
  auto ids = ids_for(100);
  auto idx = DenseIndex::build(16, "IVF256,Flat", x.data(), 100, ids.data());
  EXPECT_EQ(idx->effective_factory(), "Flat");
  EXPECT_NE(idx->fallback_reason().find("needed to train"), std::string::npos);
  EXPECT_EQ(idx->search(x.data(), 1, {})[0].doc, ids[0]);
}

TEST(DenseIndex, BadInputIsAnError) {
  std::vector<float> x(16, 0.25f);
  int64_t id = 1;
  EXPECT_THROW(DenseIndex::build(16, "NotAFactory", x.data(), 1, &id), UsageError);
  EXPECT_THROW(DenseIndex::build(16, "IDMap,Flat", x.data(), 1, &id), UsageError);
  EXPECT_THROW(DenseIndex::build(0, "Flat", x.data(), 1, &id), UsageError);
  EXPECT_NO_THROW(require_normalized(x.data(), 16, "doc"));  // 16 · 0.25² = 1
  std::vector<float> y(16, 0.5f);
  EXPECT_THROW(require_normalized(y.data(), 16, "doc"), Error);
  y[3] = NAN;
  EXPECT_THROW(require_normalized(y.data(), 16, "doc"), Error);
}

TEST(DenseIndex, LoadRejectsWrongDimAndTruncation) {
  test::TempDir dir;
  std::mt19937_64 rng(5);
  auto x = test::clustered(50, 8, 3, 0.3f, rng);
  auto ids = ids_for(50);
  DenseIndex::build(8, "Flat", x.data(), 50, ids.data())->save(dir.sub("d"));
  EXPECT_THROW(DenseIndex::load(dir.sub("d"), 16), Error);
  std::filesystem::resize_file(dir.sub("d.f32"), 100);
  EXPECT_THROW(DenseIndex::load(dir.sub("d"), 8), Error);
  EXPECT_THROW(DenseIndex::load(dir.sub("nothing"), 8), NotFoundError);
}

}  // namespace
}  // namespace m3
