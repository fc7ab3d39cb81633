// A real server on a loopback port for tests, and a small blocking HTTP client (one connection per
// call, or a kept-alive one), so every test talks to the server over real sockets.
#pragma once
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/server.h"

namespace m3::http::test {

namespace net = boost::asio;
namespace beast = boost::beast;
using json = nlohmann::json;
using verb = beast::http::verb;

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  json j() const { return json::parse(body, nullptr, false); }
};

class Client {
 public:
  explicit Client(uint16_t port, std::string host = "127.0.0.1") : port_(port), host_(std::move(host)) {}
  Reply call(verb v, const std::string& target, const std::string& body = "", const std::string& key = "",
             const std::map<std::string, std::string>& headers = {}) {
    net::io_context io;
    net::ip::tcp::socket sock(io);
    sock.connect({net::ip::make_address(host_), port_});
    beast::http::request<beast::http::string_body> req{v, target, 11};
    req.set(beast::http::field::host, "localhost");
    if (!key.empty()) req.set(beast::http::field::authorization, "Bearer " + key);
    for (const auto& [k, val] : headers) req.set(k, val);
    req.body() = body;
    req.prepare_payload();
    beast::http::write(sock, req);
    beast::flat_buffer buf;
    beast::http::response<beast::http::string_body> res;
    beast::error_code ec;
    beast::http::read(sock, buf, res, ec);
    Reply r{res.result_int(), res.body(), {}};
    for (const auto& f : res) r.headers[std::string(f.name_string())] = std::string(f.value());
    return r;
  }
  Reply get(const std::string& t) { return call(verb::get, t); }
  Reply post(const std::string& t, const std::string& b, const std::string& key = "") { return call(verb::post, t, b, key); }
  Reply post(const std::string& t, const char* b, const std::string& key = "") { return call(verb::post, t, std::string(b), key); }
  template <typename J, typename = std::enable_if_t<std::is_same_v<J, json>>>
  Reply post(const std::string& t, const J& b, const std::string& key = "") { return call(verb::post, t, b.dump(), key); }

 private:
  uint16_t port_;
  std::string host_;
};

inline std::string tiny_model() { return std::string(M3_SOURCE_DIR) + "/tests/fixtures/tiny-m3"; }

class ServerFixture : public ::testing::Test {
 protected:
  virtual void configure(ServerOptions&) {}
  void SetUp() override {
    char tmpl[] = "/tmp/m3http_XXXXXX";
    data_ = mkdtemp(tmpl);
    start();
  }
  void start() {
    ServerOptions o;
    o.data_dir = data_;
    o.port = 0;
    o.api_key = "secret";
    o.models["default"] = tiny_model();
    o.access_log = false;
    o.limits.max_body_bytes = 64 * 1024;
    o.limits.max_k = 50;
    configure(o);
    server_ = std::make_unique<Server>(o);
    thread_ = std::thread([this] { server_->run(); });
    client_ = std::make_unique<Client>(server_->port());
  }
  void stop() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }
  void TearDown() override {
    if (server_) stop();
    std::filesystem::remove_all(data_);
  }
  // 20 documents; odd ones have a title; metadata {"n": i, "lang": en|de}.
  void make_collection(const std::string& name, const std::string& settings = R"({"mv_codec":"int8"})") {
    ASSERT_EQ(client_->call(verb::put, "/collections/" + name, settings, "secret").status, 201);
    json docs = json::array();
    for (int i = 0; i < 20; ++i)
      docs.push_back({{"docid", "d" + std::to_string(i)},
                      {"title", i % 2 ? "cats" : ""},
                      {"text", "text number " + std::to_string(i) + " about rain and Katze"},
                      {"metadata", {{"n", i}, {"lang", i % 2 ? "de" : "en"}}}});
    ASSERT_EQ(client_->post("/collections/" + name + "/documents", json{{"documents", docs}}, "secret").status, 202);
    ASSERT_EQ(client_->post("/collections/" + name + "/commit", "", "secret").status, 200);
  }
  void expect_error(const Reply& r, int status, const std::string& code, const std::string& needle) {
    EXPECT_EQ(r.status, status) << r.body;
    auto j = r.j();
    ASSERT_TRUE(j.is_object() && j.contains("error")) << r.body;
    EXPECT_EQ(j["error"]["code"], code) << r.body;
    EXPECT_NE(j["error"]["message"].get<std::string>().find(needle), std::string::npos) << r.body;
  }
  std::string data_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::unique_ptr<Client> client_;
};

}  // namespace m3::http::test
