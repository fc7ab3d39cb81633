// RowMask (filtered search at the index level): on every dense structure, the learned-sparse index
// with each query algorithm, and BM25, over three segments with tombstones and replacements, a search
// under a mask returns exactly the top-k of a brute force over the allowed live documents, with
// scores equal to the per-document score functions, at any selectivity, through both the index
// paths and the direct scans of few allowed rows. Larger and more Zipf-skewed than the engine's
// tiny-model test, so MaxScore/BMW pruning and HNSW widening are exercised under masks.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "index/index_store.h"
#include "test_util.h"

namespace m3 {
namespace {
using m3::test::TempDir;

// Rows whose numeric metadata field takes one of the given values (the engine's filters do this and
// more; here the mask machinery is under test, not the filter language).
struct FieldIn : RowPredicate {
  std::string field;
  std::set<double> values;
  Bitmap matching_rows(const MetadataColumns& cols) const override {
    Bitmap b(cols.rows());
    if (const MetadataColumn* c = cols.field(field))
      for (const auto& [v, row] : c->numbers)
        if (values.count(v)) b.set(row);
    return b;
  }
  bool matches(const nlohmann::json& m) const { return m.contains(field) && values.count(m[field].get<double>()); }
};

std::vector<ScoredDoc> brute(const std::vector<int64_t>& docs, const std::function<float(int64_t)>& score, int k,
                             bool positive_only) {
  std::vector<ScoredDoc> all;
  for (int64_t d : docs) {
    float s = score(d);
    if (!positive_only || s > 0) all.push_back({d, s});
  }
  std::sort(all.begin(), all.end(), ranks_before);
  if (all.size() > size_t(k)) all.resize(size_t(k));
  return all;
}

class RowMaskExact : public ::testing::TestWithParam<std::string> {};

TEST_P(RowMaskExact, EqualsBruteForceOverAllowedLiveDocs) {
  const int dim = 16;
  std::mt19937_64 rng(3);
  TempDir tmp;
  IndexSettings s;
  s.dense_dim = dim;
  s.dense_factory = GetParam();
  auto store = IndexStore::create(tmp.sub("col"), s);
  test::Zipf zipf(3000, 1.1);
  int next_u = 0;
  auto make = [&](const std::string& docid) {
    DocInput d;
    d.docid = docid;
    d.dense = test::clustered(1, dim, 1, 0.f, rng);  // a random unit vector
    d.sparse = test::random_sparse(20 + rng() % 30, zipf, 0.4f, rng);
    for (size_t i = 0; i < d.sparse.size(); ++i)
      for (uint32_t r = rng() % 3; r < 3; ++r) d.token_ids.push_back(int32_t(d.sparse.ids[i]));
    d.metadata_json = nlohmann::json{{"g", int(rng() % 100)}, {"u", next_u++}}.dump();
    return d;
  };
  for (int i = 0; i < 1000; ++i) store->upsert(make("a" + std::to_string(i)));
  store->commit();
  for (int i = 0; i < 800; ++i) store->upsert(make("b" + std::to_string(i)));
  for (int i = 0; i < 50; ++i) store->upsert(make("a" + std::to_string(i * 7)));  // replacements
  for (int i = 0; i < 50; ++i) store->remove("a" + std::to_string(i * 7 + 3));
  store->commit();
  for (int i = 0; i < 400; ++i) store->upsert(make("c" + std::to_string(i)));
  for (int i = 0; i < 20; ++i) store->upsert(make("b" + std::to_string(i * 11)));
  for (int i = 0; i < 30; ++i) store->remove("b" + std::to_string(i * 13 + 5));
  store->commit();
  auto snap = store->snapshot();
  ASSERT_EQ(snap->num_segments(), 3u);

  std::vector<std::pair<int64_t, nlohmann::json>> live;
  snap->for_each_doc([&](const DocRecord& r) { live.emplace_back(r.doc, nlohmann::json::parse(r.metadata_json)); });
  ASSERT_EQ(live.size(), 2200u - 80u);

  std::vector<FieldIn> preds;
  auto pred = [&](const std::string& f, std::vector<double> v) {
    FieldIn p;
    p.field = f;
    p.values.insert(v.begin(), v.end());
    preds.push_back(p);
  };
  pred("g", {});                          // nothing
  pred("u", {double(live[live.size() / 3].second["u"].get<int>())});  // one document
  pred("g", {7});                         // ~1 %
  pred("g", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});  // ~10 %
  std::vector<double> half, all;
  for (int g = 0; g < 100; ++g) {
    if (g % 2) half.push_back(g);
    all.push_back(g);
  }
  pred("g", half);  // ~50 %
  pred("g", all);   // everything

  DenseSearchParams dp;
  dp.ef_search = 100000;  // HNSW/IVF exhaustive here: the mask, not the ANN, is under test
  dp.nprobe = 100000;
  for (int qi = 0; qi < 6; ++qi) {
    const std::vector<float> qd = test::clustered(1, dim, 1, 0.f, rng);
    const SparseVector qs = test::random_sparse(8, zipf, 0.4f, rng);
    std::vector<int32_t> qt(qs.ids.begin(), qs.ids.end());
    for (const auto& p : preds) {
      std::vector<int64_t> allowed;
      for (const auto& [doc, meta] : live)
        if (p.matches(meta)) allowed.push_back(doc);
      for (uint32_t scan_rows : {1u, RowMask::kDefaultExactScanRows}) {
        auto mask = snap->mask(p, scan_rows);
        ASSERT_EQ(mask->allowed(), allowed.size());
        for (int k : {1, 10, 100}) {
          const std::string what = GetParam() + " k " + std::to_string(k) + " scan_rows " + std::to_string(scan_rows) +
                                   " allowed " + std::to_string(allowed.size());
          EXPECT_EQ(snap->dense_search(qd.data(), k, dp, mask.get()),
                    brute(allowed, [&](int64_t d) { return snap->dense_score(qd.data(), d); }, k, false))
              << "dense " << what;
          for (auto algo : {SparseAlgo::Exhaustive, SparseAlgo::MaxScore, SparseAlgo::BlockMaxWand}) {
            EXPECT_EQ(snap->sparse_search(qs, k, algo, mask.get()),
                      brute(allowed, [&](int64_t d) { return snap->sparse_score(qs, d); }, k, true))
                << "sparse " << to_string(algo) << " " << what;
            EXPECT_EQ(snap->bm25_search(qt, k, algo, mask.get()),
                      brute(allowed, [&](int64_t d) { return snap->bm25_score(qt, d); }, k, true))
                << "bm25 " << to_string(algo) << " " << what;
          }
        }
      }
    }
  }
  // A mask belongs to its snapshot.
  store->upsert(make("z"));
  store->commit();
  auto other = store->snapshot();
  auto mask = snap->mask(preds.back());
  EXPECT_THROW(other->dense_search(std::vector<float>(dim, 0.25f).data(), 5, {}, mask.get()), UsageError);
}

INSTANTIATE_TEST_SUITE_P(Dense, RowMaskExact, ::testing::Values("Flat", "HNSW16", "IVF4,Flat"),
                         [](const auto& info) { return info.param == "Flat" ? std::string("Flat") : info.param == "HNSW16" ? std::string("HNSW") : std::string("IVF"); });

TEST(Bitmap, SetAlgebra) {
  Bitmap a(130), b(130);
  for (size_t i = 0; i < 130; i += 3) a.set(i);
  for (size_t i = 0; i < 130; i += 5) b.set(i);
  Bitmap o = a, n = a, f = a;
  o |= b;
  n &= b;
  f.flip();
  size_t no = 0, nn = 0, nf = 0;
  for (size_t i = 0; i < 130; ++i) {
    EXPECT_EQ(o.test(i), i % 3 == 0 || i % 5 == 0);
    EXPECT_EQ(n.test(i), i % 15 == 0);
    EXPECT_EQ(f.test(i), i % 3 != 0);
    no += o.test(i), nn += n.test(i), nf += f.test(i);
  }
  EXPECT_EQ(o.count(), no);
  EXPECT_EQ(n.count(), nn);
  EXPECT_EQ(f.count(), nf);
  std::vector<size_t> clear;
  a.for_each_clear([&](size_t i) { clear.push_back(i); });
  EXPECT_EQ(clear.size(), 130 - a.count());
  EXPECT_EQ(clear.back(), 128u);  // never past size()
}

}  // namespace
}  // namespace m3
