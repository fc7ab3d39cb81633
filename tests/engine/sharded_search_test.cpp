// A sharded collection ranks as the unsharded one (engine/shard_search.h, engine/result_merge.h):
// random collections split 1-4 ways by shard_of, every mode, the two rounds a coordinator runs
// (collect_shard_stats, combine_shard_stats, search with the ShardScope, merge_shard_hits) done here
// in-process, compared
//   - with a brute force over the shards' stored representations (Decisions 2): the global per-head
//     top-depth pool, fused, top-k — ids and scores exact (ties at equal scores may permute);
//   - with the unsharded collection of the same documents: dense and multivec scores are per-document
//     (equal to float rounding: the batched MaxSim kernel sums in another order); the learned sparse
//     impacts are 8-bit with one scale per segment (index/impact.h), so those scores agree to that
//     quantisation (2% of the top score here), ids wherever scores differ by more. BM25 likewise:
//     its idf is the whole collection's (round 1) and its length normalisation the fixed average
//     length every shard and the unsharded collection are created with (IndexSettings::bm25_avgdl,
//     what `m3 index` measures over the whole corpus); its impacts are 8-bit too.
// Fused modes run with and without a BM25 weight (BM25's top-depth pooled through round 1b).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "engine/result_merge.h"
#include "engine/shard_routing.h"
#include "engine/shard_search.h"
#include "engine_test_helpers.h"

namespace m3 {
namespace {
using namespace m3::testing;

// Documents over a vocabulary of a few hundred made-up words, so equal scores are rare.
std::vector<Document> varied_docs(size_t n, std::mt19937& rng) {
  static const char* syll[] = {"ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "zu", "ha", "gi", "bo", "de", "fa", "ju"};
  std::vector<std::string> vocab;
  for (int i = 0; i < 300; ++i) vocab.push_back(std::string(syll[i % 16]) + syll[(i / 16) % 16] + (i % 3 ? syll[(i * 7) % 16] : ""));
  std::vector<Document> out;
  for (size_t i = 0; i < n; ++i) {
    Document d;
    d.docid = "doc-" + std::to_string(rng() % 100000) + "-" + std::to_string(i);
    const size_t len = 4 + rng() % 24;
    for (size_t w = 0; w < len; ++w) d.text += (w ? " " : "") + vocab[rng() % vocab.size()];
    out.push_back(d);
  }
  return out;
}

struct Sharded {
  std::vector<std::unique_ptr<Collection>> shards;
};

Sharded split(const std::vector<Document>& docs, uint32_t n, const CollectionOptions& options = {}) {
  Sharded s;
  std::vector<std::vector<Document>> parts(n);
  for (const auto& d : docs) parts[shard_of(d.docid, n)].push_back(d);
  for (uint32_t i = 0; i < n; ++i) {
    s.shards.push_back(Collection::create(fresh_dir("shard" + std::to_string(i)), options, tiny_encoder()));
    if (!parts[i].empty()) s.shards.back()->add(parts[i]);
    s.shards.back()->commit();
  }
  return s;
}

// What the coordinator does (http/coordinator.cpp), over in-process shards.
std::vector<Hit> sharded_search(const Sharded& s, const Embedding& q, SearchParams p) {
  p = p.with_model_weights(s.shards[0]->encoder().fusion_weights());
  SearchParams asked = p;
  asked.k = p.k + p.offset;
  asked.offset = 0;
  if (needs_shard_stats(asked)) {
    std::vector<ShardStats> stats;
    for (const auto& c : s.shards) stats.push_back(collect_shard_stats(*c->snapshot(), q, asked));
    // Through the wire form, as between processes.
    for (auto& st : stats) st = parse_shard_stats(shard_stats_json(st), 100000, 8192, "test");
    ShardScope scope = combine_shard_stats(stats, asked);
    if (needs_bm25_round(stats)) {  // round 1b
      SearchParams with_stats = asked;
      with_stats.shard_scope = std::make_shared<const ShardScope>(parse_shard_scope(shard_scope_json(scope), 8192, "test"));
      std::vector<ShardStats> tops;
      for (const auto& c : s.shards)
        tops.push_back(parse_shard_stats(shard_stats_json(collect_shard_stats(*c->snapshot(), q, with_stats)), 100000, 8192, "test"));
      add_bm25_floor(scope, tops, asked);
    }
    asked.shard_scope = std::make_shared<const ShardScope>(parse_shard_scope(shard_scope_json(scope), 8192, "test"));
  }
  std::vector<std::vector<Hit>> lists;
  for (const auto& c : s.shards) lists.push_back(c->search_embedding(q, asked).hits);
  return merge_shard_hits(std::move(lists), p.k, p.offset);
}

struct Ref { std::string docid; float score; };

// The brute force over the shards' stored representations.
std::vector<Ref> oracle(const Sharded& s, const Embedding& q, SearchParams p) {
  p = p.with_model_weights(s.shards[0]->encoder().fusion_weights());
  const auto w = p.effective_weights();
  const auto toks = bm25_query_tokens(q);
  std::vector<ShardStats> stats;
  for (const auto& c : s.shards) stats.push_back(collect_shard_stats(*c->snapshot(), q, [&] { auto a = p; a.mode = SearchMode::Bm25; return a; }()));
  const Bm25Stats global = *combine_shard_stats(stats, [&] { auto a = p; a.mode = SearchMode::Bm25; return a; }()).bm25;
  struct Row { std::string docid; float dense, sparse, mv, bm25; };
  std::vector<Row> rows;
  for (const auto& c : s.shards) {
    auto snap = c->snapshot();
    std::vector<int64_t> docs;
    std::vector<std::string> ids;
    snap->for_each_doc([&](const DocRecord& r) { docs.push_back(r.doc); ids.push_back(r.docid); });
    if (docs.empty()) continue;
    auto mv = snap->multivec_scores(q.colbert.data(), q.colbert_rows, docs);
    for (size_t i = 0; i < docs.size(); ++i)
      rows.push_back({ids[i], snap->dense_score(q.dense.data(), docs[i]), snap->sparse_score(q.sparse, docs[i]), mv[i],
                      snap->bm25_score(toks, docs[i], &global)});
  }
  const int depth = pool_depth(p);
  // A head's pool: every document scoring at least its depth-th best (ties at the boundary all in).
  auto pool = [&](float Row::*head, bool positive_only) {
    std::vector<float> v;
    for (const auto& r : rows) if (!positive_only || r.*head > 0) v.push_back(r.*head);
    std::sort(v.begin(), v.end(), std::greater<float>());
    std::vector<bool> in(rows.size(), false);
    if (v.empty()) return in;
    const float floor = v.size() > static_cast<size_t>(depth) ? v[static_cast<size_t>(depth - 1)] : v.back();
    for (size_t i = 0; i < rows.size(); ++i) in[i] = rows[i].*head >= floor && (!positive_only || rows[i].*head > 0);
    return in;
  };
  std::vector<Ref> all;
  const int k_all = p.k + p.offset;
  std::vector<bool> cand(rows.size(), false);
  switch (p.mode) {
    case SearchMode::Dense: cand = pool(&Row::dense, false); break;  // (k_all-deep: filtered by top-k below)
    case SearchMode::Sparse: cand = pool(&Row::sparse, true); break;
    case SearchMode::Bm25: cand = pool(&Row::bm25, true); break;
    case SearchMode::Multivec: cand = pool(&Row::dense, false); break;
    default: {
      auto d = pool(&Row::dense, false), sp = pool(&Row::sparse, true);
      const auto b = p.pools_bm25() ? pool(&Row::bm25, true) : std::vector<bool>(rows.size(), false);
      for (size_t i = 0; i < rows.size(); ++i) cand[i] = d[i] || sp[i] || b[i];
    }
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!cand[i]) continue;
    const auto& r = rows[i];
    float score = 0;
    switch (p.mode) {
      case SearchMode::Dense: score = r.dense; break;
      case SearchMode::Sparse: score = r.sparse; break;
      case SearchMode::Bm25: score = r.bm25; break;
      case SearchMode::Multivec: score = r.mv; break;
      case SearchMode::DenseSparse: score = w[0] * r.dense + w[1] * r.sparse + w[3] * r.bm25; break;
      case SearchMode::All: score = w[0] * r.dense + w[1] * r.sparse + w[2] * r.mv + w[3] * r.bm25; break;
    }
    all.push_back({r.docid, score});
  }
  std::sort(all.begin(), all.end(), [](const Ref& a, const Ref& b) { return a.score > b.score || (a.score == b.score && a.docid < b.docid); });
  if (all.size() > static_cast<size_t>(k_all)) all.resize(static_cast<size_t>(k_all));
  all.erase(all.begin(), all.begin() + std::min<size_t>(all.size(), static_cast<size_t>(p.offset)));
  return all;
}

// Equal rankings up to `tol`: the same length, scores rank by rank within tol, and each list holds
// every document the other ranks clear of its page's last score by more than 2·tol (documents nearer
// the page's edge than that may swap in and out: equal scores, or scores one quantisation apart).
void expect_same_ranking(const std::vector<Ref>& want, const std::vector<Hit>& got, float tol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  if (want.empty()) return;
  std::set<std::string> in_want, in_got;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i].score, want[i].score, tol) << what << " rank " << i;
    in_want.insert(want[i].docid);
    in_got.insert(got[i].docid);
  }
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].score > want.back().score + 2 * tol) EXPECT_TRUE(in_got.count(want[i].docid)) << what << ": " << want[i].docid << " missing";
    if (got[i].score > got.back().score + 2 * tol) EXPECT_TRUE(in_want.count(got[i].docid)) << what << ": " << got[i].docid << " extra";
  }
}

std::vector<Ref> refs_of(const std::vector<Hit>& hits) {
  std::vector<Ref> out;
  for (const auto& h : hits) out.push_back({h.docid, h.score});
  return out;
}

TEST(ShardRouting, SpecIsValidatedAndRoutingIsStable) {
  EXPECT_EQ(parse_shard_spec("0/1").count, 1u);
  EXPECT_EQ(parse_shard_spec("3/4").index, 3u);
  EXPECT_EQ(parse_shard_spec("1023/1024").count, 1024u);
  for (const char* bad : {"", "1", "4/4", "0/0", "0/1025", "-1/4", "a/4", "1/b", "1/4/2", " 1/4", "99999999999/4"})
    EXPECT_THROW(parse_shard_spec(bad), UsageError) << bad;
  // xxHash64 of the docid, seed 0: pinned so a change of the function (which would move documents
  // to other shards of existing deployments) fails here.
  EXPECT_EQ(shard_of("doc-1", 1), 0u);
  EXPECT_EQ(shard_of("doc-1", 1024), 682u);
  EXPECT_EQ(shard_of("d0", 1024), 5u);
  std::map<uint32_t, int> counts;
  for (int i = 0; i < 4000; ++i) ++counts[shard_of("d" + std::to_string(i), 4)];
  for (const auto& [s, n] : counts) EXPECT_NEAR(n, 1000, 150) << "shard " << s;
  EXPECT_EQ(shard_of("doc-1", 4), shard_of(std::string("doc-1"), 4));
}

// The wire forms refuse what a misbehaving peer could send, naming the field (a coordinator's 502,
// a shard's 400), and read back what they write.
TEST(ShardWire, RoundOneBFieldsAreCheckedAndReadBack) {
  using nlohmann::json;
  auto stats = [](const std::string& text) { return parse_shard_stats(json::parse(text), 4, 16, "peer"); };
  auto scope = [](const std::string& text) { return parse_shard_scope(json::parse(text), 16, "peer"); };
  for (const char* bad : {R"({"bm25_pools":1})", R"({"bm25_pools":"true"})", R"({"bm25_top":[1,2,3,4,5]})",
                          R"({"bm25_top":"x"})", R"({"bm25_top":[1e39]})", R"({"bm25_top":[null]})"}) {
    try {
      stats(bad);
      ADD_FAILURE() << bad << " accepted";
    } catch (const InvalidInputError& e) {
      EXPECT_NE(std::string(e.what()).find("bm25_"), std::string::npos) << e.what();
    }
  }
  for (const char* bad : {R"({"bm25_floor":2})", R"({"bm25_floor":"2","bm25":{"documents":1,"df":[]}})",
                          R"({"bm25_floor":1e39,"bm25":{"documents":1,"df":[]}})", R"({"bm25_floors":1})"})
    EXPECT_THROW(scope(bad), InvalidInputError) << bad;
  const ShardStats s = stats(R"({"bm25_pools":true,"bm25_top":[3.5,1e30,-2]})");
  EXPECT_TRUE(s.bm25_pools);
  EXPECT_EQ(s.bm25_top.size(), 3u);
  EXPECT_EQ(shard_stats_json(stats(shard_stats_json(s).dump())), shard_stats_json(s));  // 1e30 as a float reads back
  const ShardScope sc = scope(R"({"bm25":{"documents":3,"df":[[5,1]]},"bm25_floor":0.25})");
  EXPECT_EQ(*sc.bm25_floor, 0.25f);
  EXPECT_EQ(shard_scope_json(scope(shard_scope_json(sc).dump())), shard_scope_json(sc));
}

TEST(ShardedSearch, RrfIsRefused) {
  SearchParams p;
  p.mode = SearchMode::All;
  p.fusion = Fusion::Rrf;
  EXPECT_THROW(needs_shard_stats(p), UsageError);
}

TEST(ShardedSearch, MergedRankingEqualsTheUnshardedCollection) {
  std::mt19937 rng(20);
  const std::vector<std::string> queries = {"kalo mine suta", "riponeve", "zuha gibo defa ju", "ta ta ri lo"};
  size_t bm25_weighted_cases = 0;
  for (int round = 0; round < 3; ++round) {
    const size_t n = 40 + rng() % 80;
    const auto docs = varied_docs(n, rng);
    // The corpus's average BM25 length, fixed for the whole collection and every shard (m3 index does
    // this with --bm25-avgdl corpus, its default).
    CollectionOptions options;
    for (const auto& d : docs) options.bm25_avgdl += double(bm25_document_length(*tiny_encoder(), d.passage(), options.passage_max_length));
    options.bm25_avgdl /= double(docs.size());
    auto whole = Collection::create(fresh_dir("whole"), options, tiny_encoder());
    whole->add(docs);
    whole->commit();
    for (uint32_t n_shards = 1; n_shards <= 4; ++n_shards) {
      const Sharded sharded = split(docs, n_shards, options);
      for (const auto& mode_name : search_mode_names()) {
        for (const auto& qtext : queries) {
          const auto q = whole->encoder().encode({qtext}, 512)[0];
          for (int depth : {0, 5, 1000}) {
            SearchParams p;
            p.mode = parse_search_mode(mode_name);
            p.k = 1 + static_cast<int>(rng() % 12);
            p.offset = static_cast<int>(rng() % 4);
            p.depth = depth;
            // Half the fused searches give BM25 a weight (the shipped model's weights do).
            if ((p.mode == SearchMode::DenseSparse || p.mode == SearchMode::All) && rng() % 2) {
              p.weights = p.mode == SearchMode::All ? HeadWeights{0.5f, 1.f, 2.5f, 0.3f} : HeadWeights{2.f, 1.f, 0.f, 0.3f};
              ++bm25_weighted_cases;
            }
            const std::string what = mode_name + " / " + qtext + " / " + std::to_string(n_shards) + " shards, depth " +
                                     std::to_string(depth) + ", k " + std::to_string(p.k) + ", offset " + std::to_string(p.offset) +
                                     (p.weights ? ", with a BM25 weight" : "");
            const auto got = sharded_search(sharded, q, p);
            expect_same_ranking(oracle(sharded, q, p), got, 1e-5f, what + " (vs brute force)");
            // Against the unsharded collection: a pool as deep as the corpus (at a shallow depth the
            // 8-bit sparse boundary can differ between the two storages).
            if (depth == 1000) {
              const auto unsharded = whole->search_embedding(q, p).hits;
              const bool quantised = p.mode != SearchMode::Dense && p.mode != SearchMode::Multivec;
              const float top = unsharded.empty() ? 0.f : std::abs(unsharded.front().score);
              expect_same_ranking(refs_of(unsharded), got, quantised ? 0.02f * top + 1e-4f : 1e-4f, what + " (vs unsharded)");
            }
          }
        }
      }
    }
  }
  EXPECT_GT(bm25_weighted_cases, 50u);
}

}  // namespace
}  // namespace m3
