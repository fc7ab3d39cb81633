// The JSON API over real loopback HTTP: every endpoint, strict requests, every error class with its
// status and code, paging, returned fields, documents by id, the embedding endpoints, metrics.
#include <regex>
#include <set>
#include <sstream>

#include "tests/http/http_test_helpers.h"

namespace m3::http::test {
namespace {

class Api : public ServerFixture {};

TEST_F(Api, HealthCollectionsAndInfoUseOneShape) {
  EXPECT_EQ(client_->get("/health").j()["status"], "ok");
  make_collection("c1");
  EXPECT_EQ(client_->get("/collections").j()["collections"], json::array({"c1"}));
  auto info = client_->get("/collections/c1").j();
  EXPECT_EQ(info["documents"], 20);
  EXPECT_EQ(info["mv_codec"], "int8");
  EXPECT_EQ(info["collection"], "c1");  // the name, never the server's directory
  EXPECT_EQ(info["model"], "default");
  EXPECT_TRUE(info["weights"].contains("all"));
  EXPECT_EQ(info.dump().find(data_), std::string::npos);
  EXPECT_EQ(client_->get("/models").j()["models"], json::array({"default"}));
}

TEST_F(Api, SearchEveryModeSingleAndBatch) {
  make_collection("c1");
  for (const char* mode : {"dense", "sparse", "multivec", "dense+sparse", "all", "bm25"}) {
    auto r = client_->post("/collections/c1/search", json{{"query", "rain Katze"}, {"mode", mode}, {"k", 5}});
    ASSERT_EQ(r.status, 200) << mode << r.body;
    auto j = r.j();
    EXPECT_LE(j["hits"].size(), 5u);
    EXPECT_TRUE(j.contains("took_ms") && j.contains("encode_ms") && j.contains("search_ms"));
    if (std::string(mode) == "all") {
      ASSERT_FALSE(j["hits"].empty());
      const auto& s = j["hits"][0]["scores"];
      EXPECT_NEAR(j["hits"][0]["score"].get<double>(),
                  s["dense"].get<double>() + 0.3 * s["sparse"].get<double>() + s["multivec"].get<double>(), 1e-4);
      EXPECT_EQ(j["weights"], json::array({1.0, 0.3, 1.0}));  // the paper's: the fixture has no m3_fusion.json
    } else if (std::string(mode) != "dense+sparse") {
      EXPECT_FALSE(j.contains("weights")) << mode;
    }
  }
  auto b = client_->post("/collections/c1/search", R"({"queries":["rain","text number 3"],"mode":"dense+sparse","k":3,"weights":[1,0.5],"depth":10})");
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(b.j()["results"].size(), 2u);
  EXPECT_EQ(b.j()["weights"], json::array({1.0, 0.5}));
  // BM25 as the fourth head: the reply shows all four weights and each hit its BM25 score.
  auto with_bm25 = client_->post("/collections/c1/search", R"({"query":"text number 3","mode":"all","k":3,"weights":[1,0.3,1,0.05]})");
  ASSERT_EQ(with_bm25.status, 200) << with_bm25.body;
  EXPECT_EQ(with_bm25.j()["weights"], json::array({1.0, 0.3, 1.0, 0.05}));
  ASSERT_FALSE(with_bm25.j()["hits"].empty());
  EXPECT_TRUE(with_bm25.j()["hits"][0]["scores"].contains("bm25")) << with_bm25.body;
  // A batch answers what the single queries answer (scores up to float summation order in the encoder).
  auto one = client_->post("/collections/c1/search", R"({"query":"text number 3","mode":"dense+sparse","k":3,"weights":[1,0.5],"depth":10})").j();
  const json batched = b.j()["results"][1]["hits"];
  ASSERT_EQ(batched.size(), one["hits"].size());
  for (size_t i = 0; i < batched.size(); ++i) {
    EXPECT_EQ(batched[i]["docid"], one["hits"][i]["docid"]);
    EXPECT_NEAR(batched[i]["score"].get<double>(), one["hits"][i]["score"].get<double>(), 1e-5);
  }
}

TEST_F(Api, PagingIsASliceOfTheRankingAndFieldsChooseWhatIsReturned) {
  make_collection("c1");
  for (const char* mode : {"dense", "all", "bm25"}) {
    auto all = client_->post("/collections/c1/search", json{{"query", "rain text"}, {"mode", mode}, {"k", 12}}).j()["hits"];
    ASSERT_EQ(all.size(), 12u) << mode;
    auto page = client_->post("/collections/c1/search", json{{"query", "rain text"}, {"mode", mode}, {"k", 4}, {"offset", 8}}).j();
    ASSERT_EQ(page["hits"].size(), 4u);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(page["hits"][i]["docid"], all[8 + i]["docid"]) << mode << " " << i;
    EXPECT_EQ(page["offset"], 8);
  }
  auto f = client_->post("/collections/c1/search", R"({"query":"rain","k":3,"fields":["docid","metadata"]})").j();
  ASSERT_EQ(f["hits"].size(), 3u);
  for (const auto& h : f["hits"]) {
    EXPECT_EQ(h.size(), 2u) << h;
    EXPECT_TRUE(h["metadata"].contains("lang"));
  }
  auto past = client_->post("/collections/c1/search", R"({"query":"rain","k":5,"offset":40,"mode":"sparse"})").j();
  EXPECT_TRUE(past["hits"].empty());
}

TEST_F(Api, FiltersOnDocumentMetadataInEveryMode) {
  make_collection("c1");
  for (const char* mode : {"dense", "sparse", "multivec", "dense+sparse", "all", "bm25"}) {
    const json filter = {{"and", {{{"field", "lang"}, {"eq", "de"}}, {{"field", "n"}, {"range", {{"gte", 5}, {"lt", 15}}}}}}};
    auto r = client_->post("/collections/c1/search", json{{"query", "rain text"}, {"mode", mode}, {"k", 10}, {"filter", filter}, {"fields", {"docid", "metadata"}}});
    ASSERT_EQ(r.status, 200) << mode << r.body;
    const json hits = r.j()["hits"];
    std::set<std::string> got;
    for (const auto& h : hits) {
      EXPECT_EQ(h["metadata"]["lang"], "de") << mode;
      EXPECT_GE(h["metadata"]["n"].get<int>(), 5);
      EXPECT_LT(h["metadata"]["n"].get<int>(), 15);
      got.insert(h["docid"].get<std::string>());
    }
    if (std::string(mode) != "sparse") EXPECT_EQ(got, (std::set<std::string>{"d5", "d7", "d9", "d11", "d13"})) << mode;
  }
}

TEST_F(Api, DocumentsGetCommitDelete) {
  make_collection("c1");
  auto d = client_->get("/collections/c1/documents/d3");
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(d.j()["title"], "cats");
  EXPECT_EQ(d.j()["metadata"]["n"], 3);
  // docids with reserved characters travel percent-encoded
  ASSERT_EQ(client_->post("/collections/c1/documents", R"({"documents":[{"docid":"a/b c","text":"slash"}]})", "secret").status, 202);
  client_->post("/collections/c1/commit", "", "secret");
  EXPECT_EQ(client_->get("/collections/c1/documents/a%2Fb%20c").j()["text"], "slash");
  EXPECT_EQ(client_->call(verb::delete_, "/collections/c1/documents/d3", "", "secret").status, 202);
  EXPECT_EQ(client_->get("/collections/c1").j()["documents"], 21);  // not before commit
  client_->post("/collections/c1/commit", "", "secret");
  EXPECT_EQ(client_->get("/collections/c1").j()["documents"], 20);
  expect_error(client_->get("/collections/c1/documents/d3"), 404, "not_found", "no document");
  expect_error(client_->call(verb::delete_, "/collections/c1/documents/d3", "", "secret"), 404, "not_found", "no document");
  EXPECT_EQ(client_->call(verb::delete_, "/collections/c1", "", "secret").status, 200);
  expect_error(client_->get("/collections/c1"), 404, "not_found", "no collection");
}

TEST_F(Api, EncodeReturnsTheHeadsAskedFor) {
  auto e = client_->post("/encode", R"({"texts":["hello world",""],"max_length":16})");
  ASSERT_EQ(e.status, 200) << e.body;
  auto emb = e.j()["embeddings"];
  ASSERT_EQ(emb.size(), 2u);
  EXPECT_EQ(emb[1]["input_ids"], json::array({0, 2}));
  EXPECT_EQ(emb[0]["dense"].size(), 32u);  // FlagEmbedding's defaults: dense only
  EXPECT_FALSE(emb[0].contains("sparse"));
  EXPECT_FALSE(emb[0].contains("colbert"));
  auto all = client_->post("/encode", R"({"texts":["hello world"],"return_sparse":true,"return_colbert_vecs":true,"return_dense":false})").j();
  const auto& a = all["embeddings"][0];
  EXPECT_FALSE(a.contains("dense"));
  EXPECT_EQ(a["colbert"].size(), a["input_ids"].size() - 1);
  ASSERT_FALSE(a["sparse"].empty());
  for (auto& [k, v] : a["sparse"].items()) EXPECT_NO_THROW(std::stoi(k));
  // keyed by token string: the same weights under the pieces' text
  auto tok = client_->post("/encode", R"({"texts":["hello world"],"return_sparse":true,"return_dense":false,"sparse_keys":"tokens"})").j();
  EXPECT_EQ(tok["embeddings"][0]["sparse"].size(), a["sparse"].size());
  std::vector<double> w1, w2;
  for (auto& [k, v] : a["sparse"].items()) w1.push_back(v.get<double>());
  for (auto& [k, v] : tok["embeddings"][0]["sparse"].items()) w2.push_back(v.get<double>());
  std::sort(w1.begin(), w1.end());
  std::sort(w2.begin(), w2.end());
  EXPECT_EQ(w1, w2);
}

// Same vectors up to float summation order (batch composition and threads change the last bits).
void expect_same_vector(const json& a, const json& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i].get<double>(), b[i].get<double>(), 1e-5) << i;
}

TEST_F(Api, OpenAiAndTeiEmbeddingsEqualEncode) {
  const auto dense = client_->post("/encode", R"({"texts":["rain in Spain","Katze"]})").j()["embeddings"];
  auto o = client_->post("/v1/embeddings", R"({"input":["rain in Spain","Katze"],"model":"default"})");
  ASSERT_EQ(o.status, 200) << o.body;
  auto oj = o.j();
  EXPECT_EQ(oj["object"], "list");
  EXPECT_EQ(oj["model"], "default");
  ASSERT_EQ(oj["data"].size(), 2u);
  EXPECT_EQ(oj["data"][1]["index"], 1);
  expect_same_vector(oj["data"][0]["embedding"], dense[0]["dense"]);
  EXPECT_EQ(oj["usage"]["prompt_tokens"], dense[0]["input_ids"].size() + dense[1]["input_ids"].size());
  // base64: the little-endian float32 bytes
  auto b = client_->post("/v1/embeddings", R"({"input":"rain in Spain","encoding_format":"base64"})").j();
  EXPECT_EQ(b["data"][0]["embedding"].get<std::string>().size(), (32 * 4 + 2) / 3 * 4);
  auto t = client_->post("/embed", R"({"inputs":["rain in Spain","Katze"]})");
  ASSERT_EQ(t.status, 200) << t.body;
  expect_same_vector(t.j()[0], dense[0]["dense"]);
  expect_same_vector(client_->post("/embed", R"({"inputs":"Katze"})").j()[0], dense[1]["dense"]);
  auto s = client_->post("/embed_sparse", R"({"inputs":"rain in Spain"})");
  ASSERT_EQ(s.status, 200) << s.body;
  auto sparse = client_->post("/encode", R"({"texts":["rain in Spain"],"return_sparse":true})").j()["embeddings"][0]["sparse"];
  const json tei = s.j();
  ASSERT_EQ(tei[0].size(), sparse.size());
  for (const auto& iv : tei[0]) EXPECT_NEAR(iv["value"].get<double>(), sparse[std::to_string(iv["index"].get<int>())].get<double>(), 1e-5);
  // TEI's truncate: false refuses a text longer than the model takes
  std::string longtext;
  for (int i = 0; i < 700; ++i) longtext += "word" + std::to_string(i) + " ";
  expect_error(client_->post("/embed", json{{"inputs", longtext}}), 413, "input_too_long", "tokens");
  EXPECT_EQ(client_->post("/embed", json{{"inputs", longtext}, {"truncate", true}}).status, 200);
}

TEST_F(Api, ClientsNameModelsAndNeverPassPaths) {
  make_collection("c1");
  for (const char* path : {"/etc", "/tmp", "../../tests/fixtures/tiny-m3", "tiny-m3"}) {
    expect_error(client_->post("/encode", json{{"texts", {"x"}}, {"model", path}}), 400, "bad_request", "unknown model");
    expect_error(client_->post("/v1/embeddings", json{{"input", "x"}, {"model", path}}), 400, "bad_request", "unknown model");
    expect_error(client_->call(verb::put, "/collections/c9", json{{"model", path}}.dump(), "secret"), 400, "bad_request", "unknown model");
  }
  EXPECT_FALSE(std::filesystem::exists(data_ + "/c9"));
}

TEST_F(Api, StrictRequestsNameTheField) {
  make_collection("c1");
  const std::string s = "/collections/c1/search";
  expect_error(client_->post(s, R"({"query":"x","filters":{}})"), 400, "bad_request", "unknown field 'filters'");
  expect_error(client_->post(s, R"({"query":"x","filter":{"field":"n","range":{"gtx":3}}})"), 400, "bad_request", "gtx");
  expect_error(client_->post(s, R"({"query":"x","foo":1})"), 400, "bad_request", "unknown field 'foo'");
  expect_error(client_->post(s, R"({"query":"x","weights":[1,0.3]})"), 400, "bad_request", "must hold 3 numbers");
  expect_error(client_->post(s, R"({"query":"x","mode":"dense+sparse","weights":[1,0.3,1]})"), 400, "bad_request", "must hold 2 numbers");
  expect_error(client_->post(s, R"({"query":"x","mode":"dense","weights":[1,0,0]})"), 400, "bad_request", "'weights' apply to the fused modes");
  expect_error(client_->post(s, R"({"query":"x","mode":"sparse","fusion":"rrf"})"), 400, "bad_request", "'fusion' applies to the fused modes");
  expect_error(client_->post(s, R"({"query":"x","mode":"all","weights":[0,0,0]})"), 400, "bad_request", "must not all be 0");
  expect_error(client_->post(s, R"({"query":"x","mode":"all","weights":[-1,1,1]})"), 400, "bad_request", "weights");
  expect_error(client_->post(s, R"({"query":"x","mode":"all","weights":[1,1,1,1,1]})"), 400, "bad_request", "or 4 (dense, sparse, multivec, bm25)");
  expect_error(client_->post(s, R"({"query":"x","mode":"dense+sparse","weights":[1,1,1,1]})"), 400, "bad_request", "multivec) must be 0");
  expect_error(client_->post(s, R"({"query":""})"), 400, "bad_request", "'query' is empty");
  expect_error(client_->post(s, R"({"query":"  "})"), 400, "bad_request", "'query' is empty");
  expect_error(client_->post(s, R"({"queries":["a",""]})"), 400, "bad_request", "queries[1] is empty");
  expect_error(client_->post(s, R"({"query":"a","queries":["b"]})"), 400, "bad_request", "either");
  expect_error(client_->post(s, R"({"query":"x","k":1e309})"), 400, "bad_request", "out of range");
  expect_error(client_->post(s, R"({"query":"x","k":2.5})"), 400, "bad_request", "'k' must be an integer");
  expect_error(client_->post(s, R"({"query":"x","k":5000})"), 400, "bad_request", "'k' must be in [1, 50]");
  expect_error(client_->post(s, R"({"query":"x","offset":-1})"), 400, "bad_request", "'offset'");
  expect_error(client_->post(s, R"({"query":"x","fields":["docid","secret"]})"), 400, "bad_request", "'fields'");
  expect_error(client_->post(s, R"({"query":"x","mode":"hybrid"})"), 400, "bad_request", "unknown mode");
  expect_error(client_->post(s, "{\"query\": \"bad \xff\"}"), 400, "bad_request", "request body");
  expect_error(client_->post(s, json{{"query", std::string(5000, 'a')}}), 400, "bad_request", "exceed");
  expect_error(client_->call(verb::put, "/collections/c2", R"({"mv_codec":"int8","colour":"red"})", "secret"), 400, "bad_request", "unknown field 'colour'");
  expect_error(client_->post("/collections/c1/documents", R"({"documents":[{"docid":"a","text":"x","lang":"de"}]})", "secret"), 400,
               "bad_request", "unknown field 'documents[0].lang'");
  expect_error(client_->post("/encode", R"({"texts":["x"],"return_everything":true})"), 400, "bad_request", "unknown field");
  EXPECT_EQ(client_->get("/health").status, 200);
}

TEST_F(Api, EveryErrorIsJsonWithItsStatusAndCode) {
  make_collection("c1");
  const std::string s = "/collections/c1/search";
  expect_error(client_->post(s, "{\"query\": "), 400, "bad_request", "malformed JSON");
  expect_error(client_->post(s, "[1,2]"), 400, "bad_request", "JSON object");
  expect_error(client_->post(s, R"({"query": 5})"), 400, "bad_request", "query");
  expect_error(client_->post("/collections/zz/search", R"({"query": "x"})"), 404, "not_found", "no collection");
  expect_error(client_->post("/collections/..%2f/search", R"({"query": "x"})"), 400, "bad_request", "collection name");
  expect_error(client_->post("/collections/c1/documents", R"({"documents": []})", "secret"), 400, "bad_request", "documents");
  expect_error(client_->post("/collections/c1/documents", R"({"documents": [{"text": "no id"}]})", "secret"), 400, "bad_request", "docid");
  expect_error(client_->post("/collections/c1/documents", "{\"documents\": [{\"docid\": \"a\", \"text\": \"\xc3\"}]}", "secret"), 400, "bad_request",
               "UTF-8");
  expect_error(client_->post("/collections/c1/documents", R"({"documents": [{"docid": "a", "text": "x"}]})"), 401, "unauthorized", "Bearer");
  expect_error(client_->post("/collections/c1/documents", R"({"documents": [{"docid": "a", "text": "x"}]})", "wrong"), 401, "unauthorized", "Bearer");
  expect_error(client_->post("/collections/c1/documents", R"({"documents": [{"docid": "a", "text": "x"}]})", "secretX"), 401, "unauthorized", "Bearer");
  expect_error(client_->call(verb::put, "/collections/c1", "{}", "secret"), 409, "conflict", "exists");
  expect_error(client_->call(verb::put, "/collections/c2", R"({"mv_codec": "zip"})", "secret"), 400, "bad_request", "zip");
  for (const char* dense : {"Foo32", "IVF0,Flat", "IVF16,PQ7", "HNSW32,PQ3x9"}) {  // refused, and no build path in the message
    auto r = client_->call(verb::put, "/collections/c2", json{{"dense", dense}}.dump(), "secret");
    expect_error(r, 400, "bad_request", dense);
    EXPECT_EQ(r.body.find(".cpp"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("/"), std::string::npos) << r.body;
  }
  auto m = client_->call(verb::get, "/collections/c1/search");
  expect_error(m, 405, "method_not_allowed", "not allowed");
  EXPECT_EQ(m.headers["Allow"], "POST");
  expect_error(client_->get("/nowhere"), 404, "not_found", "no such endpoint");
  expect_error(client_->post("/encode", R"({"texts": []})"), 400, "bad_request", "texts");
  expect_error(client_->post(s, json{{"query", std::string(70 * 1024, 'a')}}), 413, "payload_too_large", "exceeds");
  // Deep nesting (issue 16): refused before anything recurses over it.
  std::string deep = R"({"documents":[{"docid":"a","text":"x","metadata":{"m":)" + std::string(20000, '[') + std::string(20000, ']') + "}}]}";
  expect_error(client_->post("/collections/c1/documents", deep, "secret"), 400, "bad_request", "nested deeper");
  EXPECT_EQ(client_->get("/health").status, 200);  // still serving
}

TEST_F(Api, HostileInputsOnEveryOtherFieldGetClearClientErrors) {
  make_collection("c1");
  // a header past the limit: 431, and the server keeps serving
  auto big = client_->call(verb::get, "/health", "", "", {{"X-Filler", std::string(20 * 1024, 'a')}});
  EXPECT_EQ(big.status, 431) << big.body;
  // path parameters: invalid UTF-8, over-long, empty-looking docids are not found, never a crash
  expect_error(client_->get("/collections/c1/documents/%FF%FE"), 404, "not_found", "no document");
  expect_error(client_->get("/collections/c1/documents/" + std::string(5000, 'x')), 404, "not_found", "no document");
  expect_error(client_->get("/collections/" + std::string(100, 'c')), 400, "bad_request", "collection name");
  // embedding fields: wrong shapes, empty, too many, too large, invalid UTF-8, out of range
  expect_error(client_->post("/v1/embeddings", R"({"input":[[1,2,3]]})"), 400, "bad_request", "input[0] must be a string");
  expect_error(client_->post("/v1/embeddings", R"({"input":[]})"), 400, "bad_request", "'input' must hold 1 to 64");
  expect_error(client_->post("/v1/embeddings", R"({"input":"x","dimensions":7})"), 400, "bad_request", "dimensions");
  expect_error(client_->post("/v1/embeddings", R"({"input":"x","encoding_format":"hex"})"), 400, "bad_request", "encoding_format");
  json many = json::array();
  for (int i = 0; i < 65; ++i) many.push_back("t");
  expect_error(client_->post("/embed", json{{"inputs", many}}), 400, "bad_request", "'inputs' must hold 1 to 64");
  expect_error(client_->post("/embed", "{\"inputs\":\"a\\udc00\"}"), 400, "bad_request", "request body");
  expect_error(client_->post("/embed", R"({"inputs":"x","normalize":false})"), 400, "bad_request", "normalize");
  expect_error(client_->post("/embed_sparse", R"({"inputs":5})"), 400, "bad_request", "inputs");
  expect_error(client_->post("/encode", R"({"texts":["x"],"max_length":1})"), 400, "bad_request", "max_length");
  expect_error(client_->post("/encode", R"({"texts":["x"],"return_sparse":"yes"})"), 400, "bad_request", "return_sparse");
  expect_error(client_->post("/encode", json{{"texts", {std::string(70 * 1024, 'a')}}}), 413, "payload_too_large", "exceeds");
  // search: wrong types for every setting, nested too deep inside the filter
  expect_error(client_->post("/collections/c1/search", R"({"query":"x","fields":"docid"})"), 400, "bad_request", "'fields'");
  expect_error(client_->post("/collections/c1/search", R"({"queries":"x"})"), 400, "bad_request", "'queries'");
  expect_error(client_->post("/collections/c1/search", R"({"query":"x","sparse_algo":7})"), 400, "bad_request", "'sparse_algo'");
  std::string deep_filter = R"({"query":"x","filter":)";
  for (int i = 0; i < 20; ++i) deep_filter += R"({"not":)";
  deep_filter += R"({"field":"n","eq":1})" + std::string(20, '}') + "}";
  expect_error(client_->post("/collections/c1/search", deep_filter), 400, "bad_request", "filter");
  // collection settings and documents
  expect_error(client_->call(verb::put, "/collections/c3", R"({"mv_bits":99})", "secret"), 400, "bad_request", "mv_bits");
  expect_error(client_->call(verb::put, "/collections/c3", "[]", "secret"), 400, "bad_request", "JSON object");
  for (const char* avgdl : {R"("12")", "-1", "1e308", "[12]", "true"})
    expect_error(client_->call(verb::put, "/collections/c3", std::string(R"({"bm25_avgdl":)") + avgdl + "}", "secret"), 400,
                 "bad_request", "bm25_avgdl");
  expect_error(client_->post("/collections/c1/documents", R"({"documents":[{"docid":"a","text":"x","metadata":[1]}]})", "secret"), 400,
               "bad_request", "metadata");
  expect_error(client_->post("/collections/c1/documents", R"({"documents":[{"docid":"","text":"x"}]})", "secret"), 400, "bad_request",
               "docid");
  expect_error(client_->post("/collections/c1/commit", R"({"now":true})", "secret"), 400, "bad_request", "unknown field");
  EXPECT_FALSE(std::filesystem::exists(data_ + "/c3"));
  EXPECT_EQ(client_->get("/collections/c1").j()["documents"], 20);  // nothing half-applied
  EXPECT_EQ(client_->get("/health").status, 200);
}

// Every line of the scrape is a comment or `name{label="escaped",...} value`.
void expect_prometheus_format(const std::string& text) {
  static const std::regex sample(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? [-+0-9.eEInfa]+$)");
  std::istringstream in(text);
  std::string line;
  int samples = 0;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << "not Prometheus text format: " << line;
    ++samples;
  }
  EXPECT_GT(samples, 0);
}

TEST_F(Api, MetricsLabelsComeFromFixedSetsAndAreWellFormed) {
  make_collection("c1");
  const std::string evil = R"({"query":"x","mode":"evil\"} 1\nfake_metric{a=\"b"})";
  for (int i = 0; i < 3; ++i) client_->post("/collections/c1/search", evil);
  client_->post("/collections/c1/search", R"({"query":"x","mode":"other-evil"})");
  client_->post("/collections/c1/search", R"({"query":"x","mode":"sparse"})");
  client_->get("/no/such/path\"{}");
  auto m = client_->get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.body.find("fake_metric"), std::string::npos);
  EXPECT_EQ(m.body.find("evil"), std::string::npos);
  EXPECT_NE(m.body.find(R"(m3_request_seconds_count{endpoint="search",mode="invalid"} 4)"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find(R"(m3_request_seconds_count{endpoint="search",mode="sparse"} 1)"), std::string::npos);
  EXPECT_NE(m.body.find(R"(m3_requests_total{endpoint="commit",status="200"} 1)"), std::string::npos);
  EXPECT_NE(m.body.find(R"(m3_documents{collection="c1"} 20)"), std::string::npos);
  expect_prometheus_format(m.body);
}

TEST_F(Api, FaultsOnTheServersSideAre5xx) {
  make_collection("c1");
  // Damage a segment file after the collection is open: the next open finds the damage.
  stop();
  for (const auto& e : std::filesystem::recursive_directory_iterator(data_ + "/c1"))
    if (e.path().filename() == "sparse.bin") {
      std::FILE* f = std::fopen(e.path().c_str(), "r+b");
      std::fseek(f, 40, SEEK_SET);
      std::fputc(0x5a ^ std::fgetc(f), f);
      std::fclose(f);
    }
  start();
  auto r = client_->post("/collections/c1/search", R"({"query":"rain"})");
  EXPECT_GE(r.status, 500) << r.body;
  EXPECT_EQ(r.j()["error"]["code"], "corruption") << r.body;
  EXPECT_EQ(r.body.find(data_), std::string::npos) << "a server path reached the client: " << r.body;
  EXPECT_EQ(client_->get("/health").status, 200);
}

TEST_F(Api, ConcurrentReadersDuringWritesAlwaysGetCompleteResults) {
  make_collection("c1");
  std::atomic<bool> stop_flag{false};
  std::atomic<int> bad{0}, ok{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t)
    readers.emplace_back([&] {
      Client c(server_->port());
      while (!stop_flag) {
        auto r = c.post("/collections/c1/search", R"({"query":"rain","mode":"all","k":5})");
        if (r.status != 200 || r.j()["hits"].size() != 5) ++bad; else ++ok;
      }
    });
  for (int round = 0; round < 5; ++round) {
    json docs = json::array();
    for (int i = 0; i < 10; ++i) docs.push_back({{"docid", "w" + std::to_string(round) + "-" + std::to_string(i)}, {"text", "more rain " + std::to_string(i)}});
    ASSERT_EQ(client_->post("/collections/c1/documents", json{{"documents", docs}}, "secret").status, 202);
    ASSERT_EQ(client_->post("/collections/c1/commit", "", "secret").status, 200);
  }
  stop_flag = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(client_->get("/collections/c1").j()["documents"], 70);
}

class ApiWithCors : public ServerFixture {
  void configure(ServerOptions& o) override { o.cors_origin = "https://app.example"; }
};

TEST_F(ApiWithCors, AllowsTheConfiguredOriginOnly) {
  auto r = client_->get("/health");
  EXPECT_EQ(r.headers["Access-Control-Allow-Origin"], "https://app.example");
  auto pre = client_->call(verb::options, "/collections/c1/search");
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.headers["Access-Control-Allow-Methods"], "POST");
  EXPECT_NE(pre.headers["Access-Control-Allow-Headers"].find("Authorization"), std::string::npos);
}

TEST_F(Api, NoCorsHeadersByDefault) {
  EXPECT_EQ(client_->get("/health").headers.count("Access-Control-Allow-Origin"), 0u);
  EXPECT_EQ(client_->call(verb::options, "/collections/c1/search").status, 405);
}

}  // namespace
}  // namespace m3::http::test
