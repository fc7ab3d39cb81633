// Metadata filters: the parser (accepts, rejects naming the JSON path), the field model, the column
// evaluation against the per-document reference, and the exactness property: in every mode, over
// several segments with deletes and replacements, a filtered search returns exactly the top-k of a
// brute force over the matching live documents, at any selectivity (0 matches, one document, a few
// documents no unfiltered candidate list reaches, ..., all of them).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>

#include "engine/metadata_filter.h"
#include "engine_test_helpers.h"

namespace m3 {
namespace {
using namespace m3::testing;
using nlohmann::json;

std::string parse_error(const json& j) {
  try {
    parse_metadata_filter(j);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(MetadataFilterParse, AcceptsTheLanguage) {
  for (const char* text : {
           R"({"field":"lang","eq":"de"})", R"({"field":"year","eq":2001})", R"({"field":"ok","eq":true})",
           R"({"field":"tag","in":["a","b",3,false]})", R"({"field":"tag","in":[]})",
           R"({"field":"year","range":{"gte":2000,"lt":2010}})", R"({"field":"x","range":{"gt":-1.5}})",
           R"({"and":[{"field":"a","eq":1},{"or":[{"field":"b","eq":"x"},{"not":{"field":"c","in":[1]}}]}]})",
           R"({"field":"src.site","eq":"wiki"})"}) {
    EXPECT_NO_THROW(parse_metadata_filter(json::parse(text))) << text;
    EXPECT_NO_THROW(parse_metadata_filter(std::string(text))) << text;
  }
}

TEST(MetadataFilterParse, RejectsNamingThePath) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {R"({"and":[{"field":"a","eq":1},{"field":"y","range":{"gtx":1}}]})", "filter.and[1].range: unknown key 'gtx'"},
      {R"({"field":"a"})", "filter: expected one of eq, in, range"},
      {R"({"field":"a","eq":[1]})", "filter.eq: expected a string, number or boolean"},
      {R"({"field":"a","eq":null})", "filter.eq: expected a string, number or boolean"},
      {R"({"field":"a","in":[1,{}]})", "filter.in[1]: expected a string, number or boolean"},
      {R"({"field":"a","in":"x"})", "filter.in: expected an array"},
      {R"({"field":"a","eq":1,"in":[1]})", "filter: expected only one of eq, in, range"},
      {R"({"field":"a","eq":1,"boost":2})", "filter: unknown key 'boost'"},
      {R"({"field":"","eq":1})", "filter.field: expected a non-empty string"},
      {R"({"field":3,"eq":1})", "filter.field: expected a non-empty string"},
      {R"({"eq":1})", "filter: expected 'field'"},
      {R"({"or":[]})", "filter.or: expected a non-empty array"},
      {R"({"and":{"field":"a","eq":1}})", "filter.and: expected a non-empty array"},
      {R"({"not":{"field":"a","eq":1},"x":1})", "filter: unknown key 'x' beside 'not'"},
      {R"({"not":[{"field":"a","eq":1}]})", "filter.not: expected an object"},
      {R"({"or":[{"not":{"field":"a","range":{}}}]})", "filter.or[0].not.range: expected an object with gt, gte, lt or lte"},
      {R"({"field":"a","range":{"gt":1,"gte":2}})", "filter.range: give one of gt, gte"},
      {R"({"field":"a","range":{"lt":"5"}})", "filter.range.lt: expected a number"},
      {R"("lang")", "filter: expected an object"},
  };
  for (const auto& [text, want] : cases) {
    const std::string got = parse_error(json::parse(text));
    EXPECT_NE(got.find(want), std::string::npos) << text << "\n  got: " << got << "\n  want: " << want;
  }
  EXPECT_NE(parse_error(json::parse("{}")).find("filter: expected 'field'"), std::string::npos);
  EXPECT_THROW(parse_metadata_filter(std::string("{\"field\":")), UsageError);
}

TEST(MetadataFilterParse, Bounded) {
  json deep = {{"field", "a"}, {"eq", 1}};
  for (int i = 1; i < MetadataFilter::kMaxDepth; ++i) deep = {{"not", deep}};
  EXPECT_NO_THROW(parse_metadata_filter(deep));
  EXPECT_NE(parse_error({{"not", deep}}).find("nested deeper than 16"), std::string::npos);

  json wide = json::array();
  for (int i = 0; i < MetadataFilter::kMaxNodes - 1; ++i) wide.push_back({{"field", "a"}, {"eq", i}});
  EXPECT_NO_THROW(parse_metadata_filter(json{{"or", wide}}));
  wide.push_back({{"field", "a"}, {"eq", 0}});
  EXPECT_NE(parse_error({{"or", wide}}).find("filter.or[255]: filter has more than 256 conditions"), std::string::npos);

  json many = json::array();
  for (size_t i = 0; i <= MetadataFilter::kMaxIn; ++i) many.push_back(i);
  EXPECT_NE(parse_error({{"field", "a"}, {"in", many}}).find("filter.in: more than 1024 values"), std::string::npos);
}

TEST(MetadataFilterMatch, FieldModel) {
  const json doc = json::parse(R"({"lang":"de","year":2004,"tags":["a",["b"],7],"ok":false,"none":null,
                                   "src":{"site":"wiki","rank":[1,2]},"list":[{"k":"x"},{"k":"y"}],"a.b":5})");
  auto m = [&](const char* f) { return parse_metadata_filter(json::parse(f))->matches(doc); };
  EXPECT_TRUE(m(R"({"field":"lang","eq":"de"})"));
  EXPECT_FALSE(m(R"({"field":"lang","eq":"DE"})"));
  EXPECT_TRUE(m(R"({"field":"year","eq":2004.0})"));
  EXPECT_FALSE(m(R"({"field":"year","eq":"2004"})"));  // types never mix
  EXPECT_TRUE(m(R"({"field":"tags","eq":"b"})"));       // any element, nested arrays too
  EXPECT_TRUE(m(R"({"field":"tags","range":{"gt":6,"lte":7}})"));
  EXPECT_TRUE(m(R"({"field":"ok","eq":false})"));
  EXPECT_FALSE(m(R"({"field":"ok","eq":0})"));
  EXPECT_FALSE(m(R"({"field":"none","eq":"x"})"));
  EXPECT_FALSE(m(R"({"field":"missing","in":["x"]})"));
  EXPECT_TRUE(m(R"({"not":{"field":"missing","eq":"x"}})"));  // a missing field: not matches
  EXPECT_TRUE(m(R"({"field":"src.site","eq":"wiki"})"));
  EXPECT_TRUE(m(R"({"field":"src.rank","eq":2})"));
  EXPECT_FALSE(m(R"({"field":"src","eq":"wiki"})"));
  EXPECT_TRUE(m(R"({"field":"list.k","eq":"y"})"));
  EXPECT_TRUE(m(R"({"field":"a.b","eq":5})"));
  EXPECT_FALSE(m(R"({"field":"year","range":{"gt":2004}})"));
  EXPECT_TRUE(m(R"({"field":"year","range":{"gte":2004,"lt":2005}})"));
  EXPECT_TRUE(m(R"({"and":[{"field":"lang","eq":"de"},{"or":[{"field":"ok","eq":true},{"field":"tags","in":["z","a"]}]}]})"));
  EXPECT_FALSE(parse_metadata_filter(json::parse(R"({"field":"x","eq":1})"))->matches(json::array({1})));

  // Nesting is bounded the same way in the columns and the reference: deeper values are ignored.
  auto f = parse_metadata_filter(json::parse(R"({"field":"deep","eq":"x"})"));
  for (int levels : {10, kMaxMetadataDepth + 5}) {
    json v = "x";
    for (int i = 0; i < levels; ++i) v = json::array({v});
    const json meta = {{"deep", v}};
    MetadataColumns cols(1);
    cols.add(0, meta.dump());
    cols.finish();
    EXPECT_EQ(f->matches(meta), levels == 10);
    EXPECT_EQ(f->matching_rows(cols).test(0), levels == 10);
  }
}

// Random metadata with every kind of value, missing fields, arrays and nesting. `n` is unique.
json random_metadata(std::mt19937& rng, int n) {
  auto pick = [&](int m) { return int(rng() % unsigned(m)); };
  static const char* langs[] = {"de", "en", "fr", "ja", "sw"};
  json m = json::object();
  m["n"] = n;
  if (pick(10)) m["lang"] = langs[pick(10) < 6 ? 1 : pick(5)];
  m["year"] = 1990 + pick(34);
  m["score"] = std::uniform_real_distribution<double>(0, 1)(rng);
  json tags = json::array();
  for (int i = pick(4); i > 0; --i) tags.push_back(std::string(1, char('a' + pick(8))));
  m["tags"] = tags;
  if (pick(5)) m["flag"] = bool(pick(2));
  if (pick(3)) m["src"] = {{"site", "s" + std::to_string(pick(4))}, {"rank", pick(5) + 1}};
  if (pick(50) == 0) m["rare"] = "yes";
  return m;
}

json random_filter(std::mt19937& rng, int depth) {
  auto pick = [&](int m) { return int(rng() % unsigned(m)); };
  if (depth > 0 && pick(3) == 0) {
    const int op = pick(3);
    if (op == 2) return {{"not", random_filter(rng, depth - 1)}};
    json kids = json::array();
    for (int i = pick(3) + 1; i > 0; --i) kids.push_back(random_filter(rng, depth - 1));
    return {{op ? "or" : "and", kids}};
  }
  static const char* langs[] = {"de", "en", "fr", "ja", "sw", "xx"};
  switch (pick(8)) {
    case 0: return {{"field", "lang"}, {"eq", langs[pick(6)]}};
    case 1: return {{"field", "tags"}, {"in", {std::string(1, char('a' + pick(9))), std::string(1, char('a' + pick(9)))}}};
    case 2: {
      const int lo = 1990 + pick(34);
      return {{"field", "year"}, {"range", {{"gte", lo}, {"lt", lo + 1 + pick(12)}}}};
    }
    case 3: return {{"field", "score"}, {"range", {{pick(2) ? "gt" : "lte", std::uniform_real_distribution<double>(0, 1)(rng)}}}};
    case 4: return {{"field", "flag"}, {"eq", bool(pick(2))}};
    case 5: return {{"field", "src.site"}, {"eq", "s" + std::to_string(pick(5))}};
    case 6: return {{"field", "src.rank"}, {"range", {{"lte", pick(5) + 1}}}};
    default: return {{"field", "rare"}, {"eq", "yes"}};
  }
}

// The columns (what searches use) agree with the per-document reference on every row.
TEST(MetadataFilterMatch, ColumnsEqualReference) {
  std::mt19937 rng(7);
  std::vector<json> metas;
  MetadataColumns cols(500);
  for (uint32_t r = 0; r < 500; ++r) {
    metas.push_back(random_metadata(rng, int(r)));
    if (r % 17 == 3) metas.back() = json::object();
    cols.add(r, metas.back().dump());
  }
  cols.finish();
  for (int i = 0; i < 400; ++i) {
    auto f = parse_metadata_filter(random_filter(rng, 3));
    Bitmap b = f->matching_rows(cols);
    ASSERT_EQ(b.size(), 500u);
    size_t n = 0;
    for (uint32_t r = 0; r < 500; ++r) {
      ASSERT_EQ(b.test(r), f->matches(metas[r])) << f->json().dump() << " row " << r << " " << metas[r].dump();
      n += b.test(r);
    }
    EXPECT_EQ(b.count(), n);
  }
}

// ---------------- exactness of filtered search, every mode ----------------

struct Config {
  SearchMode mode;
  Fusion fusion = Fusion::Weighted;
  SparseAlgo algo = SparseAlgo::MaxScore;
};

std::vector<Config> configs() {
  std::vector<Config> out;
  for (auto algo : {SparseAlgo::Exhaustive, SparseAlgo::MaxScore, SparseAlgo::BlockMaxWand}) {
    out.push_back({SearchMode::Sparse, Fusion::Weighted, algo});
    out.push_back({SearchMode::Bm25, Fusion::Weighted, algo});
    out.push_back({SearchMode::DenseSparse, Fusion::Weighted, algo});
  }
  out.push_back({SearchMode::Dense});
  out.push_back({SearchMode::Multivec});
  out.push_back({SearchMode::All});
  for (auto m : {SearchMode::Multivec, SearchMode::DenseSparse, SearchMode::All}) out.push_back({m, Fusion::Rrf});
  return out;
}

// Every head's exact score of every matching live document for one query.
struct Heads {
  std::vector<int64_t> docs;
  std::vector<float> dense, sparse, bm25, mv;
};

Heads heads_of(const Snapshot& snap, const Embedding& q, const std::vector<int64_t>& docs) {
  Heads h;
  h.docs = docs;
  std::vector<int32_t> toks;
  for (auto id : q.input_ids)
    if (id > 2) toks.push_back(id);
  for (int64_t d : docs) {
    h.dense.push_back(snap.dense_score(q.dense.data(), d));
    h.sparse.push_back(snap.sparse_score(q.sparse, d));
    h.bm25.push_back(snap.bm25_score(toks, d));
  }
  if (!docs.empty()) h.mv = snap.multivec_scores(q.colbert.data(), q.colbert_rows, docs);
  return h;
}

std::vector<size_t> top_by(const Heads& h, const std::vector<float>& v, size_t n, bool positive_only) {
  std::vector<size_t> idx;
  for (size_t i = 0; i < v.size(); ++i)
    if (!positive_only || v[i] > 0) idx.push_back(i);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] > v[b] || (v[a] == v[b] && h.docs[a] < h.docs[b]); });
  if (idx.size() > n) idx.resize(n);
  return idx;
}

// The mode's formula (ARCHITECTURE "Search modes", searcher.cpp) by brute force over the matching docs.
std::vector<ScoredDoc> reference(const Heads& h, const SearchParams& p) {
  const size_t k = size_t(p.k), depth = size_t(std::max(p.effective_depth(), p.k));
  std::vector<size_t> cand;
  auto add = [&](const std::vector<size_t>& idx) {
    for (size_t i : idx)
      if (std::find(cand.begin(), cand.end(), i) == cand.end()) cand.push_back(i);
  };
  bool use_d = false, use_s = false, use_m = false;
  switch (p.mode) {
    case SearchMode::Bm25: {
      std::vector<ScoredDoc> out;
      for (size_t i : top_by(h, h.bm25, k, true)) out.push_back({h.docs[i], h.bm25[i]});
      return out;
    }
    case SearchMode::Dense: add(top_by(h, h.dense, k, false)); use_d = true; break;
    case SearchMode::Sparse: add(top_by(h, h.sparse, k, true)); use_s = true; break;
    case SearchMode::Multivec: add(top_by(h, h.dense, depth, false)); use_d = use_m = true; break;
    case SearchMode::DenseSparse:
      add(top_by(h, h.dense, depth, false));
      add(top_by(h, h.sparse, depth, true));
      use_d = use_s = true;
      break;
    case SearchMode::All:
      add(top_by(h, h.dense, depth, false));
      add(top_by(h, h.sparse, depth, true));
      use_d = use_s = use_m = true;
      break;
  }
  HeadWeights w = p.effective_weights();
  if (p.mode == SearchMode::Dense) w = {1, 0, 0};
  if (p.mode == SearchMode::Sparse) w = {0, 1, 0};
  if (p.mode == SearchMode::Multivec && !p.weights) w = {0, 0, 1};
  auto val = [&](size_t i, int head) {
    if (head == 0) return use_d ? h.dense[i] : 0.f;
    if (head == 1) return use_s ? h.sparse[i] : 0.f;
    return use_m ? h.mv[i] : 0.f;
  };
  std::vector<ScoredDoc> scored;
  for (size_t i : cand) scored.push_back({h.docs[i], 0.f});
  if (p.fusion == Fusion::Rrf && p.mode != SearchMode::Dense && p.mode != SearchMode::Sparse) {
    for (int head = 0; head < 3; ++head) {
      if (w[size_t(head)] == 0 || !(head == 0 ? use_d : head == 1 ? use_s : use_m)) continue;
      std::vector<size_t> order(cand.size());
      for (size_t j = 0; j < order.size(); ++j) order[j] = j;
      std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        const float va = val(cand[a], head), vb = val(cand[b], head);
        return va > vb || (va == vb && h.docs[cand[a]] < h.docs[cand[b]]);
      });
      for (size_t r = 0; r < order.size(); ++r) scored[order[r]].score += w[size_t(head)] / float(p.rrf_k + int(r) + 1);
    }
  } else {
    for (size_t j = 0; j < cand.size(); ++j)
      scored[j].score = w[0] * val(cand[j], 0) + w[1] * val(cand[j], 1) + w[2] * val(cand[j], 2);
  }
  std::sort(scored.begin(), scored.end(), ranks_before);
  if (scored.size() > k) scored.resize(k);
  return scored;
}

std::string describe(const std::vector<ScoredDoc>& v) {
  std::string s;
  for (const auto& d : v) s += " " + std::to_string(d.doc) + ":" + std::to_string(d.score);
  return s;
}

class FilteredSearch : public ::testing::TestWithParam<std::string> {};

TEST_P(FilteredSearch, EqualsBruteForceOverMatchingLiveDocuments) {
  // Three segments; the second and third commits delete and replace documents of earlier ones.
  std::mt19937 rng(11);
  auto docs = synthetic_docs(600, 5);
  int next_n = 0;
  for (auto& d : docs) d.metadata_json = random_metadata(rng, next_n++).dump();
  std::vector<Document> replacements;
  for (int i = 0; i < 20; ++i) {
    Document d = docs[size_t(i * 11 + 3)];
    d.text = "replaced " + d.text + " pluie Regen";
    d.metadata_json = random_metadata(rng, next_n++).dump();
    replacements.push_back(d);
  }
  std::vector<std::string> texts;
  for (const auto& d : docs) texts.push_back(d.passage());
  for (const auto& d : replacements) texts.push_back(d.passage());
  static std::map<std::string, std::vector<Embedding>> cache;  // encode once for all factories
  auto& emb = cache["e"];
  if (emb.empty()) emb = tiny_encoder()->encode(texts, 64);

  CollectionOptions o;
  o.dense = GetParam();
  auto c = Collection::create(fresh_dir("filter"), o, tiny_encoder());
  auto add_range = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) c->add_encoded(docs[i], emb[i]);
  };
  add_range(0, 260);
  c->commit();
  add_range(260, 520);
  for (int i = 0; i < 10; ++i) c->add_encoded(replacements[size_t(i)], emb[600 + size_t(i)]);
  for (int i = 0; i < 8; ++i) c->remove(docs[size_t(i * 13 + 5)].docid);
  c->commit();
  add_range(520, 600);
  for (int i = 10; i < 20; ++i) c->add_encoded(replacements[size_t(i)], emb[600 + size_t(i)]);
  for (int i = 0; i < 8; ++i) c->remove(docs[size_t(300 + i * 10)].docid);
  c->commit();
  auto snap = c->snapshot();
  ASSERT_EQ(snap->num_segments(), 3u);
  {  // the two large segments built the asked FAISS structure (IVF trains on >= 256 vectors; the
     // small third one falls back to Flat for IVF)
    std::ifstream in(c->dir() + "/MANIFEST");
    const json m = json::parse(in);
    for (const auto& seg : m["segments"])
      if (seg["n_docs"].get<int>() >= 256) EXPECT_EQ(seg["dense_factory"], GetParam()) << seg.dump();
  }

  std::vector<int64_t> live;
  std::map<int64_t, json> meta;
  snap->for_each_doc([&](const DocRecord& r) {
    live.push_back(r.doc);
    meta[r.doc] = json::parse(r.metadata_json);
  });
  ASSERT_EQ(live.size(), 600u - 16u);

  const std::vector<std::string> queries = {"search engine vector", "Katze Haus Regen", "дождь 猫 fichier"};
  size_t checked = 0, empty = 0;
  for (const auto& qtext : queries) {
    const Embedding q = c->encoder().encode({qtext}, 64)[0];
    // Filters at every selectivity, and one made for this query: the documents the unfiltered dense
    // and sparse rankings put last, which no unfiltered candidate list of depth < all reaches, so a
    // post-filter would return nothing.
    std::vector<json> filters = {
        json::parse(R"({"field":"lang","eq":"xx"})"),                            // 0 matches
        {{"field", "n"}, {"eq", meta[live[live.size() / 2]]["n"]}},              // one document (0.17 %)
        json::parse(R"({"field":"rare","eq":"yes"})"),                           // ~2 %
        json::parse(R"({"field":"year","range":{"gte":2000,"lt":2004}})"),       // ~12 %
        json::parse(R"({"field":"lang","eq":"en"})"),                            // ~60 %
        json::parse(R"({"not":{"field":"no-such-field","eq":1}})"),              // every document
    };
    {
      Heads all = heads_of(*snap, q, live);
      json last = json::array();
      for (auto* v : {&all.dense, &all.sparse}) {
        std::vector<size_t> idx = top_by(all, *v, live.size(), false);
        for (size_t j = idx.size() - 3; j < idx.size(); ++j) last.push_back(meta[all.docs[idx[j]]]["n"]);
      }
      filters.push_back({{"field", "n"}, {"in", last}});
    }
    for (int i = 0; i < 14; ++i) filters.push_back(random_filter(rng, 3));

    for (const auto& fj : filters) {
      auto filter = parse_metadata_filter(fj);
      std::vector<int64_t> matching;
      for (int64_t d : live)
        if (filter->matches(meta[d])) matching.push_back(d);
      const Heads h = heads_of(*snap, q, matching);
      for (uint32_t scan_rows : {0u, 1u}) {  // default (tiny segments: scored directly) / through the indexes
        for (const Config& cfg : configs()) {
          SearchParams p;
          p.mode = cfg.mode;
          p.fusion = cfg.fusion;
          p.sparse_algo = cfg.algo;
          p.k = 6;
          p.depth = 9;
          p.dense.ef_search = 10000;  // HNSW/IVF exact here (efSearch >= segment size, nprobe = nlist):
          p.dense.nprobe = 10000;     // the filter, not the ANN, is under test
          p.filter = filter;
          p.filter_exact_scan_rows = scan_rows;
          const SearchResult r = search_snapshot(*snap, q, p);
          std::vector<ScoredDoc> got;
          for (const auto& hit : r.hits) got.push_back({hit.doc, hit.score});
          const auto want = reference(h, p);
          ASSERT_EQ(describe(got), describe(want))
              << to_string(cfg.mode) << " fusion " << int(cfg.fusion) << " " << to_string(cfg.algo) << " scan_rows "
              << scan_rows << " filter " << fj.dump() << " query " << qtext << " (" << matching.size() << " matching)";
          ++checked;
          empty += got.empty();
        }
      }
    }
  }
  EXPECT_GT(checked, 1000u);
  EXPECT_LT(empty, checked / 2);
}

INSTANTIATE_TEST_SUITE_P(DenseIndexes, FilteredSearch, ::testing::Values("Flat", "HNSW8", "IVF2,Flat"),
                         [](const auto& info) { return info.param == "Flat" ? std::string("Flat") : info.param == "HNSW8" ? std::string("HNSW") : std::string("IVF"); });

// Filtering is applied while candidates are generated: a filter on documents that the unfiltered
// ranking puts below every candidate list still yields exactly k hits (a post-filter would give none).
TEST(FilteredSearchDepth, SelectiveFilterBelowEveryCandidateList) {
  auto c = Collection::create(fresh_dir("filterdepth"), CollectionOptions{}, tiny_encoder());
  auto docs = synthetic_docs(200, 9);
  for (size_t i = 0; i < docs.size(); ++i) docs[i].metadata_json = json{{"i", i}}.dump();
  c->add(docs);
  c->commit();
  SearchParams un;
  un.mode = SearchMode::DenseSparse;
  un.k = 200;
  un.depth = 200;
  const auto all = c->search("Katze Haus", un);
  json tail = json::array();
  for (size_t j = all.hits.size() - 3; j < all.hits.size(); ++j)
    tail.push_back(json::parse(c->find_document(all.hits[j].docid)->metadata_json)["i"]);
  for (auto mode : {SearchMode::Dense, SearchMode::DenseSparse, SearchMode::All, SearchMode::Multivec}) {
    SearchParams p;
    p.mode = mode;
    p.k = 3;
    p.depth = 10;
    p.filter = parse_metadata_filter(json{{"field", "i"}, {"in", tail}});
    for (uint32_t scan_rows : {0u, 1u}) {
      p.filter_exact_scan_rows = scan_rows;
      const auto r = c->search("Katze Haus", p);
      ASSERT_EQ(r.hits.size(), 3u) << to_string(mode);
      for (const auto& h : r.hits) {
        const auto rec = c->find_document(h.docid);
        EXPECT_TRUE(p.filter->matches(json::parse(rec->metadata_json))) << h.docid;
      }
    }
  }
}

}  // namespace
}  // namespace m3
