// The HTTP API over real loopback HTTP: every endpoint, every error case, concurrent readers during
// writes, and a graceful stop that lets an in-flight request finish.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/server.h"

namespace m3::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
using json = nlohmann::json;

struct Reply {
  int status = 0;
  std::string body;
  json j() const { return json::parse(body, nullptr, false); }
};

class Client {
 public:
  explicit Client(uint16_t port) : port_(port) {}
  Reply call(beast::http::verb verb, const std::string& target, const std::string& body = "", const std::string& key = "") {
    net::io_context io;
    net::ip::tcp::socket sock(io);
    sock.connect({net::ip::make_address("127.0.0.1"), port_});
    beast::http::request<beast::http::string_body> req{verb, target, 11};
    req.set(beast::http::field::host, "localhost");
    if (!key.empty()) req.set(beast::http::field::authorization, "Bearer " + key);
    req.body() = body;
    req.prepare_payload();
    beast::http::write(sock, req);
    beast::flat_buffer buf;
    beast::http::response<beast::http::string_body> res;
    beast::error_code ec;
    beast::http::read(sock, buf, res, ec);
    return {res.result_int(), res.body()};
  }
  Reply get(const std::string& t) { return call(beast::http::verb::get, t); }
  Reply post(const std::string& t, const std::string& b, const std::string& key = "") { return call(beast::http::verb::post, t, b, key); }

 private:
  uint16_t port_;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/m3http_XXXXXX";
    data_ = mkdtemp(tmpl);
    ServerOptions o;
    o.data_dir = data_;
    o.port = 0;
    o.threads = 1;
    o.api_key = "secret";
    o.default_model = std::string(M3_SOURCE_DIR) + "/tests/fixtures/tiny-m3";
    o.limits.max_body_bytes = 64 * 1024;
    o.limits.max_k = 50;
    server_ = std::make_unique<Server>(o);
    thread_ = std::thread([this] { server_->run(); });
    client_ = std::make_unique<Client>(server_->port());
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
    server_.reset();
    std::filesystem::remove_all(data_);
  }
  void make_collection(const std::string& name) {
    ASSERT_EQ(client_->call(beast::http::verb::put, "/collections/" + name, R"({"mv_codec":"int8"})", "secret").status, 201);
    json docs = json::array();
    for (int i = 0; i < 20; ++i)
      docs.push_back({{"docid", "d" + std::to_string(i)}, {"title", i % 2 ? "cats" : ""}, {"text", "text number " + std::to_string(i) + " about rain and Katze"}});
    ASSERT_EQ(client_->post("/collections/" + name + "/documents", json{{"documents", docs}}.dump(), "secret").status, 202);
    ASSERT_EQ(client_->post("/collections/" + name + "/commit", "", "secret").status, 200);
  }
  std::string data_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::unique_ptr<Client> client_;
};

TEST_F(ServerTest, HealthMetricsAndCollections) {
  EXPECT_EQ(client_->get("/health").j()["status"], "ok");
  make_collection("c1");
  auto list = client_->get("/collections").j();
  EXPECT_EQ(list["collections"], json::array({"c1"}));
  auto info = client_->get("/collections/c1").j();
  EXPECT_EQ(info["documents"], 20);
  EXPECT_EQ(info["mv_codec"], "int8");
  auto m = client_->get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("m3_requests_total{endpoint=\"commit\",status=\"200\"} 1"), std::string::npos);
  EXPECT_NE(m.body.find("m3_documents{collection=\"c1\"} 20"), std::string::npos);
  EXPECT_NE(m.body.find("m3_queue_depth"), std::string::npos);
}

TEST_F(ServerTest, SearchEveryModeSingleAndBatch) {
  make_collection("c1");
  for (const char* mode : {"dense", "sparse", "multivec", "dense+sparse", "all", "bm25"}) {
    auto r = client_->post("/collections/c1/search", json{{"query", "rain Katze"}, {"mode", mode}, {"k", 5}}.dump());
    ASSERT_EQ(r.status, 200) << mode << r.body;
    auto j = r.j();
    EXPECT_LE(j["hits"].size(), 5u);
    EXPECT_TRUE(j.contains("took_ms"));
    if (std::string(mode) == "all") {
      ASSERT_FALSE(j["hits"].empty());
      const auto& s = j["hits"][0]["scores"];
      EXPECT_TRUE(s.contains("dense") && s.contains("sparse") && s.contains("multivec"));
      EXPECT_NEAR(j["hits"][0]["score"].get<double>(),
                  s["dense"].get<double>() + 0.3 * s["sparse"].get<double>() + s["multivec"].get<double>(), 1e-4);
      ASSERT_EQ(j["weights"].size(), 3u);  // the paper's: the fixture has no m3_fusion.json
      EXPECT_NEAR(j["weights"][0].get<double>(), 1.0, 1e-6);
      EXPECT_NEAR(j["weights"][1].get<double>(), 0.3, 1e-6);
      EXPECT_NEAR(j["weights"][2].get<double>(), 1.0, 1e-6);
    } else if (std::string(mode) != "dense+sparse") {
      EXPECT_FALSE(j.contains("weights")) << mode;
    }
  }
  auto b = client_->post("/collections/c1/search", R"({"queries":["rain","text number 3"],"mode":"dense+sparse","k":3,"weights":[1,0.5],"depth":10})");
  ASSERT_EQ(b.status, 200);
  EXPECT_EQ(b.j()["results"].size(), 2u);
  ASSERT_EQ(b.j()["weights"].size(), 2u);
  EXPECT_NEAR(b.j()["weights"][1].get<double>(), 0.5, 1e-6);
}

TEST_F(ServerTest, DocumentsCommitDeleteAndEncode) {
  make_collection("c1");
  EXPECT_EQ(client_->call(beast::http::verb::delete_, "/collections/c1/documents/d3", "", "secret").status, 202);
  EXPECT_EQ(client_->get("/collections/c1").j()["documents"], 20);  // not before commit
  client_->post("/collections/c1/commit", "", "secret");
  EXPECT_EQ(client_->get("/collections/c1").j()["documents"], 19);
  EXPECT_EQ(client_->call(beast::http::verb::delete_, "/collections/c1/documents/d3", "", "secret").status, 404);
  auto e = client_->post("/encode", R"({"texts":["hello world",""],"max_length":16})");
  ASSERT_EQ(e.status, 200);
  auto emb = e.j()["embeddings"];
  EXPECT_EQ(emb.size(), 2u);
  EXPECT_EQ(emb[1]["input_ids"], json::array({0, 2}));
  EXPECT_EQ(emb[0]["dense"].size(), 32u);
  EXPECT_TRUE(emb[0]["sparse"].is_object());
  EXPECT_EQ(client_->call(beast::http::verb::delete_, "/collections/c1", "", "secret").status, 200);
  EXPECT_EQ(client_->get("/collections/c1").status, 404);
}

TEST_F(ServerTest, EveryErrorIsJsonWithAStatusAndTheServerKeepsServing) {
  make_collection("c1");
  auto expect_error = [&](const Reply& r, int status, const std::string& needle) {
    EXPECT_EQ(r.status, status) << r.body;
    auto j = r.j();
    ASSERT_TRUE(j.is_object() && j.contains("error")) << r.body;
    EXPECT_TRUE(j["error"].contains("code"));
    EXPECT_NE(j["error"]["message"].get<std::string>().find(needle), std::string::npos) << r.body;
  };
  expect_error(client_->post("/collections/c1/search", "{\"query\": "), 400, "malformed JSON");
  expect_error(client_->post("/collections/c1/search", "[1,2]"), 400, "JSON object");
  expect_error(client_->post("/collections/c1/search", R"({"query": 5})"), 400, "query");
  expect_error(client_->post("/collections/c1/search", R"({"query": "x", "k": "ten"})"), 400, "'k'");
  expect_error(client_->post("/collections/c1/search", R"({"query": "x", "k": 5000})"), 400, "'k' must be in");
  expect_error(client_->post("/collections/c1/search", R"({"query": "x", "mode": "hybrid"})"), 400, "unknown mode");
  expect_error(client_->post("/collections/c1/search", R"({"query": "x", "weights": [1]})"), 400, "weights");
  expect_error(client_->post("/collections/c1/search", "{\"query\": \"bad \xff\"}"), 400, "UTF-8");
  expect_error(client_->post("/collections/c1/search", json{{"query", std::string(5000, 'a')}}.dump()), 400, "exceeds");
  expect_error(client_->post("/collections/zz/search", R"({"query": "x"})"), 404, "no collection");
  expect_error(client_->post("/collections/..%2f/search", R"({"query": "x"})"), 400, "collection name");
  expect_error(client_->post("/collections/c1/documents", R"({"documents": []})", "secret"), 400, "documents");
  expect_error(client_->post("/collections/c1/documents", R"({"documents": [{"text": "no id"}]})", "secret"), 400, "docid");
  expect_error(client_->post("/collections/c1/documents", R"({"documents": [{"docid": "a", "text": "x"}]})"), 401, "Bearer");
  expect_error(client_->post("/collections/c1/documents", R"({"documents": [{"docid": "a", "text": "x"}]})", "wrong"), 401, "Bearer");
  expect_error(client_->call(beast::http::verb::put, "/collections/c1", "{}", "secret"), 409, "exists");
  expect_error(client_->call(beast::http::verb::put, "/collections/c2", R"({"mv_codec": "zip"})", "secret"), 400, "zip");
  expect_error(client_->call(beast::http::verb::get, "/collections/c1/search"), 405, "not allowed");
  expect_error(client_->get("/nowhere"), 404, "no such endpoint");
  expect_error(client_->post("/encode", R"({"texts": []})"), 400, "texts");
  expect_error(client_->post("/collections/c1/search", json{{"query", std::string(70 * 1024, 'a')}}.dump()), 413, "exceeds");
  EXPECT_EQ(client_->get("/health").status, 200);  // still serving
}

TEST_F(ServerTest, ConcurrentReadersDuringWritesAlwaysGetCompleteResults) {
  make_collection("c1");
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, ok{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t)
    readers.emplace_back([&] {
      Client c(server_->port());
      while (!stop) {
        auto r = c.post("/collections/c1/search", R"({"query":"rain","mode":"all","k":5})");
        if (r.status != 200 || r.j()["hits"].size() != 5) ++bad; else ++ok;
      }
    });
  for (int round = 0; round < 5; ++round) {
    json docs = json::array();
    for (int i = 0; i < 10; ++i) docs.push_back({{"docid", "w" + std::to_string(round) + "-" + std::to_string(i)}, {"text", "more rain " + std::to_string(i)}});
    ASSERT_EQ(client_->post("/collections/c1/documents", json{{"documents", docs}}.dump(), "secret").status, 202);
    ASSERT_EQ(client_->post("/collections/c1/commit", "", "secret").status, 200);
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(client_->get("/collections/c1").j()["documents"], 70);
}

TEST_F(ServerTest, StopLetsInFlightRequestsFinishAndKeepsCommittedData) {
  make_collection("c1");
  std::atomic<int> status{0};
  std::thread t([&] {
    Client c(server_->port());
    status = c.post("/collections/c1/search", R"({"queries":["a","b","c","d","e","f","g","h"],"mode":"all","k":5})").status;
  });
  while (server_->active_connections() == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
  server_->stop();  // the request is in flight (or about to be read): it must still be answered
  t.join();
  EXPECT_EQ(status.load(), 200);
  thread_.join();
  server_.reset();
  // committed data survives: reopen the directory directly
  auto c = Collection::open(data_ + "/c1");
  EXPECT_EQ(c->info().documents, 20u);
  thread_ = std::thread([] {});
  ServerOptions o;
  o.data_dir = data_;
  o.port = 0;
  server_ = std::make_unique<Server>(o);
}

}  // namespace
}  // namespace m3::http
