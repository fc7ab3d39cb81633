// Every search mode's ranking equals a brute-force computation of its formula over all documents
// (on the representations as stored: Decisions 2), on a small corpus with depth >= corpus size.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <algorithm>

#include "engine_test_helpers.h"

namespace m3 {
namespace {
using namespace m3::testing;

struct Scored { int64_t doc; float score; };

std::vector<int64_t> brute_force(const Snapshot& snap, const Embedding& q, SearchMode mode, HeadWeights w,
                                 int k, size_t n_docs) {
  std::vector<Scored> all;
  std::vector<int64_t> docs;
  snap.for_each_doc([&](const DocRecord& r) { docs.push_back(r.doc); });
  EXPECT_EQ(docs.size(), n_docs);
  auto mv = snap.multivec_scores(q.colbert.data(), q.colbert_rows, docs);
  std::vector<int32_t> toks;
  for (auto id : q.input_ids) if (id > 2) toks.push_back(id);
  for (size_t i = 0; i < docs.size(); ++i) {
    const int64_t d = docs[i];
    float s = 0;
    switch (mode) {
      case SearchMode::Dense: s = snap.dense_score(q.dense.data(), d); break;
      case SearchMode::Sparse: s = snap.sparse_score(q.sparse, d); break;
      case SearchMode::Multivec: s = mv[i]; break;
      case SearchMode::Bm25: s = snap.bm25_score(toks, d); break;
      case SearchMode::DenseSparse: s = w[0] * snap.dense_score(q.dense.data(), d) + w[1] * snap.sparse_score(q.sparse, d); break;
      case SearchMode::All:
        s = w[0] * snap.dense_score(q.dense.data(), d) + w[1] * snap.sparse_score(q.sparse, d) + w[2] * mv[i];
        break;
    }
    if (mode == SearchMode::DenseSparse || mode == SearchMode::All) s += w[3] * snap.bm25_score(toks, d);  // the optional 4th head
    // sparse/bm25 top-k only contain documents that share a term (score > 0)
    if ((mode == SearchMode::Sparse || mode == SearchMode::Bm25) && s <= 0) continue;
    all.push_back({d, s});
  }
  std::sort(all.begin(), all.end(), [](const Scored& a, const Scored& b) { return a.score > b.score || (a.score == b.score && a.doc < b.doc); });
  std::vector<int64_t> out;
  for (size_t i = 0; i < all.size() && static_cast<int>(i) < k; ++i) out.push_back(all[i].doc);
  return out;
}

class SearchModes : public ::testing::TestWithParam<std::string> {};

TEST_P(SearchModes, EqualBruteForceOverAllDocuments) {
  const size_t n = 120;
  CollectionOptions o;
  o.mv_codec = GetParam();
  auto c = Collection::create(fresh_dir("modes"), o, tiny_encoder());
  auto docs = synthetic_docs(n);
  c->add(docs);
  c->commit();
  c->remove("d5");  // a tombstone must never surface
  c->add({Document{"d7", "", "replaced text about rain and pluie"}});
  c->commit();
  auto snap = c->snapshot();
  ASSERT_EQ(snap->live_documents(), n - 1);
  const std::vector<std::string> queries = {"search engine", "Katze Haus", "дождь 猫", "fichier image réseau"};
  for (const auto& mode_name : search_mode_names()) {
    SearchParams p;
    p.mode = parse_search_mode(mode_name);
    p.k = 10;
    p.depth = static_cast<int>(n) * 2;  // candidates = every document: the fused ranking must be exact
    for (const auto& qtext : queries) {
      SCOPED_TRACE(mode_name + " / " + qtext);
      auto q = c->encoder().encode({qtext}, 512)[0];
      auto got = c->search_embedding(q, p);
      auto want = brute_force(*snap, q, p.mode, p.effective_weights(), p.k, n - 1);
      std::vector<int64_t> got_docs;
      for (const auto& h : got.hits) {
        got_docs.push_back(h.doc);
        EXPECT_NE(h.docid, "d5");
      }
      EXPECT_EQ(got_docs, want) << mode_name << " / " << qtext;
      // each hit carries the per-head scores of its mode, consistent with its fused score
      for (const auto& h : got.hits) {
        if (p.mode == SearchMode::All) {
          ASSERT_TRUE(h.scores.dense && h.scores.sparse && h.scores.multivec);
          EXPECT_NEAR(h.score, *h.scores.dense + 0.3f * *h.scores.sparse + *h.scores.multivec, 1e-5);
        }
        if (p.mode == SearchMode::DenseSparse) {
          ASSERT_TRUE(h.scores.dense && h.scores.sparse);
          EXPECT_FALSE(h.scores.multivec);
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, SearchModes, ::testing::Values("fp16", "int8", "binary"));

TEST(SearchModes, Bm25AsFourthHeadJoinsTheSumAndTheCandidates) {
  const size_t n = 120;
  auto c = Collection::create(fresh_dir("bm25head"), {}, tiny_encoder());
  c->add(synthetic_docs(n));
  c->commit();
  auto snap = c->snapshot();
  const std::vector<std::string> queries = {"search engine", "Katze Haus", "дождь 猫", "fichier image réseau"};
  for (const auto mode : {SearchMode::DenseSparse, SearchMode::All}) {
    for (const HeadWeights w : {HeadWeights{1.f, 0.3f, mode == SearchMode::All ? 1.f : 0.f, 0.05f},
                                HeadWeights{0.f, 0.f, 0.f, 1.f},  // BM25 alone through the fused path
                                HeadWeights{0.2f, 1.f, 0.f, 0.5f}}) {
      SearchParams p;
      p.mode = mode;
      p.k = 10;
      p.weights = w;
      p.depth = static_cast<int>(n) * 2;  // every document a candidate: the ranking must be exact
      for (const auto& qtext : queries) {
        SCOPED_TRACE(std::string(to_string(mode)) + " / " + weights_text(mode, w) + " / " + qtext);
        auto q = c->encoder().encode({qtext}, 512)[0];
        auto got = c->search_embedding(q, p);
        std::vector<int64_t> got_docs;
        for (const auto& h : got.hits) {
          got_docs.push_back(h.doc);
          ASSERT_TRUE(h.scores.bm25 && h.scores.dense && h.scores.sparse);
          EXPECT_NEAR(h.score, w[0] * *h.scores.dense + w[1] * *h.scores.sparse + w[2] * h.scores.multivec.value_or(0.f) +
                                   w[3] * *h.scores.bm25, 1e-4);
        }
        EXPECT_EQ(got_docs, brute_force(*snap, q, mode, w, p.k, n));
      }
    }
  }
  // With a shallow depth, BM25's own top candidates join the pool: a weight of BM25 alone ranks exactly
  // as the bm25 mode does, although neither the dense nor the sparse head proposed those documents.
  for (const auto& qtext : queries) {
    SearchParams fused, bm25;
    fused.mode = SearchMode::DenseSparse;
    fused.weights = HeadWeights{0.f, 0.f, 0.f, 1.f};
    fused.k = bm25.k = 5;
    fused.depth = 5;
    bm25.mode = SearchMode::Bm25;
    std::vector<int64_t> a, b;
    for (const auto& h : c->search(qtext, fused).hits) a.push_back(h.doc);
    for (const auto& h : c->search(qtext, bm25).hits) b.push_back(h.doc);
    EXPECT_EQ(a, b) << qtext;
  }
}

// m3 eval --sweep-weights ranks one candidate pool under many weight sets: each ranking must be the
// one a search with those weights returns (hits, order, scores), with and without BM25 in a set.
TEST(SearchModes, WeightSweepEqualsOneSearchPerWeightSet) {
  auto c = Collection::create(fresh_dir("sweep"), {}, tiny_encoder());
  c->add(synthetic_docs(150));
  c->commit();
  const std::vector<HeadWeights> sets = {{1.f, 0.3f, 1.f, 0.f}, {0.2f, 1.f, 2.5f, 0.f}, {0.2f, 1.f, 2.5f, 0.05f},
                                         {0.f, 1.f, 0.f, 0.f},  {0.5f, 1.f, 0.f, 1.f},  {0.f, 0.f, 0.f, 1.f}};
  for (const auto mode : {SearchMode::DenseSparse, SearchMode::All}) {
    for (const int depth : {5, 40}) {  // shallow: BM25's own candidates matter
      SearchParams p;
      p.mode = mode;
      p.k = 8;
      p.offset = 2;
      p.depth = depth;
      std::vector<HeadWeights> usable;
      for (const auto& w : sets)
        if (mode == SearchMode::All || w[kMultivecHead] == 0) usable.push_back(w);
      for (const char* qtext : {"search engine", "Katze Haus", "дождь 猫"}) {
        const auto q = c->encoder().encode({qtext}, 512)[0];
        const auto swept = c->search_embedding_sweep(q, p, usable);
        ASSERT_EQ(swept.size(), usable.size());
        for (size_t i = 0; i < usable.size(); ++i) {
          SCOPED_TRACE(std::string(to_string(mode)) + "@" + weights_text(mode, usable[i]) + " depth " + std::to_string(depth) + " / " + qtext);
          SearchParams one = p;
          one.weights = usable[i];
          const auto want = c->search_embedding(q, one);
          ASSERT_EQ(swept[i].hits.size(), want.hits.size());
          for (size_t h = 0; h < want.hits.size(); ++h) {
            EXPECT_EQ(swept[i].hits[h].docid, want.hits[h].docid);
            EXPECT_EQ(swept[i].hits[h].score, want.hits[h].score);
            EXPECT_EQ(swept[i].hits[h].scores.bm25.has_value(), want.hits[h].scores.bm25.has_value());
          }
        }
      }
    }
  }
}

TEST(SearchModes, ModelWeightsFillOnlyWeightedFusedModesWithoutRequestWeights) {
  FusionWeights model;
  model.dense_sparse = HeadWeights{0.5f, 1.f, 0.f, 0.f};
  model.all = HeadWeights{0.2f, 1.f, 0.9f, 0.01f};
  SearchParams p;
  p.mode = SearchMode::All;
  EXPECT_EQ(p.with_model_weights(model).effective_weights(), *model.all);
  p.mode = SearchMode::DenseSparse;
  EXPECT_EQ(p.with_model_weights(model).effective_weights(), *model.dense_sparse);
  p.mode = SearchMode::Multivec;
  EXPECT_FALSE(p.with_model_weights(model).weights);
  p.mode = SearchMode::All;
  p.weights = HeadWeights{1.f, 1.f, 1.f, 0.f};  // the request's own weights win
  EXPECT_EQ(p.with_model_weights(model).effective_weights(), (HeadWeights{1.f, 1.f, 1.f, 0.f}));
  p.weights.reset();
  p.fusion = Fusion::Rrf;  // RRF keeps its own defaults
  EXPECT_FALSE(p.with_model_weights(model).weights);
  p.fusion = Fusion::Weighted;
  EXPECT_FALSE(p.with_model_weights(FusionWeights{}).weights);  // no file: the paper's weights
}

TEST(SearchModes, CollectionRanksWithItsModelsWeights) {
  // A copy of the tiny model with its own m3_fusion.json: `all` hits are scored with those weights.
  namespace fs = std::filesystem;
  const std::string model = fresh_dir("fw") + "-model";
  fs::copy(m3::testing::tiny_model(), model, fs::copy_options::recursive);
  std::ofstream(model + "/m3_fusion.json") << R"({"all": [0.1, 2.0, 0.5], "dense+sparse": [0.25, 1]})";
  EncoderOptions o;
  o.max_length = 64;
  o.threads = 1;
  std::shared_ptr<const Encoder> enc(Encoder::load(model, o));
  EXPECT_EQ(enc->fingerprint(), m3::testing::tiny_encoder()->fingerprint());  // the file is not part of the model
  auto c = Collection::create(fresh_dir("fwc"), CollectionOptions{}, enc);
  c->add(m3::testing::synthetic_docs(40, 3));
  c->commit();
  SearchParams p;
  p.k = 10;
  size_t checked = 0;
  for (const char* q : {"search engine", "Katze Haus", "雨 pluie"}) {
    p.mode = SearchMode::All;
    for (const auto& h : c->search(q, p).hits) {
      ASSERT_TRUE(h.scores.dense && h.scores.sparse && h.scores.multivec);
      EXPECT_NEAR(h.score, 0.1f * *h.scores.dense + 2.0f * *h.scores.sparse + 0.5f * *h.scores.multivec, 1e-5);
      ++checked;
    }
    p.mode = SearchMode::DenseSparse;
    for (const auto& h : c->search(q, p).hits) {
      ASSERT_TRUE(h.scores.dense && h.scores.sparse);
      EXPECT_NEAR(h.score, 0.25f * *h.scores.dense + 1.0f * *h.scores.sparse, 1e-5);
    }
  }
  EXPECT_GT(checked, 10u);
}

TEST(SearchModes, DefaultDepthsAndWeightsFollowThePaper) {
  SearchParams p;
  p.mode = SearchMode::DenseSparse;
  EXPECT_EQ(p.effective_depth(), 1000);
  EXPECT_EQ(p.effective_weights(), (HeadWeights{1.f, 0.3f, 0.f, 0.f}));
  p.mode = SearchMode::All;
  EXPECT_EQ(p.effective_depth(), 200);
  EXPECT_EQ(p.effective_weights(), (HeadWeights{1.f, 0.3f, 1.f, 0.f}));
  p.mode = SearchMode::Multivec;
  EXPECT_EQ(p.effective_depth(), 200);
  EXPECT_THROW(parse_search_mode("hybrid"), UsageError);
  EXPECT_THROW(parse_weights("1"), UsageError);
  EXPECT_THROW(parse_weights("1,x"), UsageError);
  EXPECT_EQ(parse_weights("0.2,0.8"), (HeadWeights{0.2f, 0.8f, 0.f, 0.f}));
  EXPECT_EQ(parse_weights("0.2,0.8,0,0.05"), (HeadWeights{0.2f, 0.8f, 0.f, 0.05f}));
  EXPECT_THROW(parse_weights("1,1,1,1,1"), UsageError);
  EXPECT_THROW(parse_weights("0,0,0,0"), UsageError);
  EXPECT_EQ(weights_text(SearchMode::DenseSparse, {1.f, 0.3f, 0.f, 0.f}), "1,0.3");
  EXPECT_EQ(weights_text(SearchMode::DenseSparse, {1.f, 0.3f, 0.f, 0.05f}), "1,0.3,0,0.05");
  EXPECT_EQ(weights_text(SearchMode::All, {1.f, 0.3f, 1.f, 0.f}), "1,0.3,1");
  EXPECT_EQ(weights_text(SearchMode::All, {1.f, 0.3f, 1.f, 0.5f}), "1,0.3,1,0.5");
}

TEST(SearchModes, ReciprocalRankFusionUsesRanksNotScores) {
  auto c = Collection::create(fresh_dir("rrf"), {}, tiny_encoder());
  c->add(synthetic_docs(60));
  c->commit();
  SearchParams p;
  p.mode = SearchMode::DenseSparse;
  p.fusion = Fusion::Rrf;
  p.depth = 200;
  auto r = c->search("search engine vector", p);
  ASSERT_FALSE(r.hits.empty());
  for (const auto& h : r.hits) EXPECT_LE(h.score, 1.f / 61 + 0.3f / 61 + 1e-6);
  for (size_t i = 1; i < r.hits.size(); ++i) EXPECT_GE(r.hits[i - 1].score, r.hits[i].score);
}

}  // namespace
}  // namespace m3
