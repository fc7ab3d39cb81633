// The connection layer over real sockets: idle and slow clients, timeouts, the connection limit,
// keep-alive and pipelining, memory that does not grow with connections ever opened, IPv6, and a
// graceful stop that answers the request in flight and does not wait for a half-sent one.
#include <fstream>

#include "engine/collection.h"
#include "tests/http/http_test_helpers.h"

namespace m3::http::test {
namespace {

using tcp = net::ip::tcp;

std::unique_ptr<tcp::socket> open_socket(net::io_context& io, uint16_t port) {
  auto s = std::make_unique<tcp::socket>(io);
  s->connect({net::ip::make_address("127.0.0.1"), port});
  return s;
}

// Reads until the peer closes or `limit` passes; true if it closed.
bool closed_within(tcp::socket& s, std::chrono::milliseconds limit, std::string* got = nullptr) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  s.non_blocking(true);
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    boost::system::error_code ec;
    size_t n = s.read_some(net::buffer(buf), ec);
    if (ec == net::error::would_block) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (ec) return true;
    if (got) got->append(buf, n);
  }
  return false;
}

long vm_kb(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::strlen(key)));
  return -1;
}

class Connections : public ServerFixture {
  void configure(ServerOptions& o) override {
    o.timeouts.header_ms = 300;
    o.timeouts.body_ms = 300;
    o.timeouts.idle_ms = 300;
    o.limits.max_connections = 64;
    o.threads = 1;
    o.workers = 2;
  }
};

TEST_F(Connections, IdleConnectionsCostNoThreadAndAreClosedAfterTheIdleTimeout) {
  net::io_context io;
  std::vector<std::unique_ptr<tcp::socket>> idle;
  for (int i = 0; i < 50; ++i) idle.push_back(open_socket(io, server_->port()));
  // 50 idle connections, one I/O thread, two workers: a new client is still answered.
  EXPECT_EQ(client_->get("/health").status, 200);
  for (auto& s : idle) EXPECT_TRUE(closed_within(*s, std::chrono::milliseconds(3000)));
  EXPECT_EQ(client_->get("/health").status, 200);
}

TEST_F(Connections, ASlowHeaderIsCutOffWithoutHoldingUpOthers) {
  net::io_context io;
  auto slow = open_socket(io, server_->port());
  net::write(*slow, net::buffer(std::string("POST /collections/c1/search HTTP/1.1\r\nHost: x\r\n")));  // never finishes
  EXPECT_EQ(client_->get("/health").status, 200);
  std::string got;
  EXPECT_TRUE(closed_within(*slow, std::chrono::milliseconds(3000), &got));
  // A slow body too: the header is complete, the body never arrives.
  auto slow_body = open_socket(io, server_->port());
  net::write(*slow_body, net::buffer(std::string("POST /encode HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"te")));
  EXPECT_TRUE(closed_within(*slow_body, std::chrono::milliseconds(3000)));
}

TEST_F(Connections, KeepAliveAndPipelinedRequestsAreAnsweredInOrder) {
  net::io_context io;
  auto s = open_socket(io, server_->port());
  net::write(*s, net::buffer(std::string("GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /models HTTP/1.1\r\nHost: x\r\n\r\n")));
  beast::flat_buffer buf;
  beast::http::response<beast::http::string_body> r1, r2;
  beast::http::read(*s, buf, r1);
  beast::http::read(*s, buf, r2);
  EXPECT_NE(r1.body().find("ok"), std::string::npos);
  EXPECT_NE(r2.body().find("default"), std::string::npos);
  EXPECT_TRUE(r2.keep_alive());
}

TEST_F(Connections, BeyondTheConnectionLimitAClientGets503) {
  net::io_context io;
  std::vector<std::unique_ptr<tcp::socket>> held;
  for (int i = 0; i < 64; ++i) held.push_back(open_socket(io, server_->port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // all accepted
  auto r = client_->get("/health");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.j()["error"]["code"], "overloaded");
  held.clear();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(client_->get("/health").status, 200);
}

TEST_F(Connections, MemoryDoesNotGrowWithConnectionsEverOpened) {
  auto churn = [&](int n) {
    for (int i = 0; i < n; ++i) ASSERT_EQ(client_->get("/health").status, 200);
  };
  churn(300);  // warm-up: allocator pools, the first buffers
  const long vm0 = vm_kb("VmSize:"), rss0 = vm_kb("VmRSS:");
  churn(2000);
  const long vm1 = vm_kb("VmSize:"), rss1 = vm_kb("VmRSS:");
  // A thread per connection would add its 8 MiB stack each time; here nothing per connection stays.
  EXPECT_LT(vm1 - vm0, 16 * 1024) << "VmSize " << vm0 << " -> " << vm1 << " kB";
  EXPECT_LT(rss1 - rss0, 16 * 1024) << "VmRSS " << rss0 << " -> " << rss1 << " kB";
  EXPECT_LE(server_->active_connections(), 2u);
}

TEST_F(Connections, StopDoesNotWaitForAHalfSentRequest) {
  net::io_context io;
  auto half = open_socket(io, server_->port());
  net::write(*half, net::buffer(std::string("POST /encode HTTP/1.1\r\nHost: x\r\nContent-Le")));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto t0 = std::chrono::steady_clock::now();
  stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

class GracefulStop : public ServerFixture {};

TEST_F(GracefulStop, LetsInFlightRequestsFinishAndKeepsCommittedData) {
  make_collection("c1");
  std::atomic<int> status{0};
  std::thread t([&] {
    Client c(server_->port());
    status = c.post("/collections/c1/search", R"({"queries":["a","b","c","d","e","f","g","h"],"mode":"all","k":5})").status;
  });
  while (server_->active_connections() == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  server_->stop();  // the request is in flight: it must still be answered
  t.join();
  EXPECT_EQ(status.load(), 200);
  stop();
  auto c = Collection::open(data_ + "/c1");
  EXPECT_EQ(c->info().documents, 20u);
}

class Ipv6 : public ServerFixture {
  void configure(ServerOptions& o) override { o.host = "::1"; }
  void SetUp() override {
    boost::system::error_code ec;
    net::io_context io;
    tcp::acceptor probe(io);
    probe.open(tcp::v6(), ec);
    if (!ec) probe.bind({net::ip::make_address("::1"), 0}, ec);
    if (ec) GTEST_SKIP() << "no IPv6 loopback on this machine: " << ec.message();
    ServerFixture::SetUp();
  }
};

TEST_F(Ipv6, ServesOnTheIpv6Loopback) {
  Client c6(server_->port(), "::1");
  EXPECT_EQ(c6.get("/health").status, 200);
  ASSERT_EQ(server_->listening_addresses().size(), 1u);
  EXPECT_EQ(server_->listening_addresses()[0].rfind("[::1]:", 0), 0u);
}

TEST(ServerOptionsTest, HostNamesResolveAndBadHostsAreRefused) {
  char tmpl[] = "/tmp/m3http_XXXXXX";
  const std::string data = mkdtemp(tmpl);
  ServerOptions o;
  o.data_dir = data;
  o.port = 0;
  o.host = "localhost";
  o.models["default"] = tiny_model();
  {
    Server s(o);
    EXPECT_FALSE(s.listening_addresses().empty());
  }
  o.host = "no-such-host.invalid";
  EXPECT_THROW(Server{o}, UsageError);
  std::filesystem::remove_all(data);
}

}  // namespace
}  // namespace m3::http::test
