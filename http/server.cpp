#include "http/server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "common/error.h"
#include "http/access_log.h"
#include "http/collections.h"
#include "http/connection.h"
#include "http/coordinator.h"
#include "http/metrics.h"
#include "http/models.h"
#include "http/router.h"

namespace m3::http {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
std::unique_ptr<Coordinator> make_coordinator(const ServerOptions& o) {
  if (o.shard_map.empty()) return nullptr;
  CoordinatorOptions co;
  co.shard_map_path = o.shard_map;
  co.require_all_shards = o.require_all_shards;
  co.client.timeout_ms = o.shard_timeout_ms;
  co.client.max_reply_bytes = o.max_shard_reply_bytes;
  return std::make_unique<Coordinator>(load_shard_map(o.shard_map), co);
}
}  // namespace

struct Server::Impl {
  explicit Impl(const ServerOptions& o)
      : options(o),
        workers(static_cast<size_t>(std::max(1, o.workers))),
        models(options),
        collections(options, models),
        coordinator(make_coordinator(options)),
        router(options, collections, models, metrics, coordinator.get()),
        hub(options, router, io, workers) {}
  ServerOptions options;
  net::io_context io;
  net::thread_pool workers;
  Metrics metrics;
  Models models;
  Collections collections;
  std::unique_ptr<Coordinator> coordinator;
  Router router;
  ConnectionHub hub;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::unique_ptr<net::signal_set> signals;
  std::once_flag stopped;

  void accept(tcp::acceptor& a) {
    a.async_accept(net::make_strand(io), [this, &a](boost::system::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !a.is_open()) return;  // stop() closed the acceptor
      if (!ec) admit(std::move(socket));
      accept(a);  // a failed accept (EMFILE, a reset) never stops the listener
    });
  }

  // Past the connection limit a client gets a 503 it can read, then the close; it holds no state.
  void admit(tcp::socket socket) {
    if (hub.open() >= options.limits.max_connections) {
      auto res = std::make_shared<Response>(router.reject(503, "overloaded", "too many open connections (" +
                                                          std::to_string(options.limits.max_connections) + ")", ""));
      res->keep_alive(false);
      auto sock = std::make_shared<tcp::socket>(std::move(socket));
      boost::beast::http::async_write(*sock, *res, [sock, res](boost::system::error_code, size_t) {
        boost::system::error_code ignore;
        sock->shutdown(tcp::socket::shutdown_both, ignore);
        sock->close(ignore);
      });
      return;
    }
    auto c = std::make_shared<Connection>(std::move(socket), hub);
    hub.add(c);
    c->start();
  }
};

Server::Server(const ServerOptions& options) : impl_(std::make_unique<Impl>(options)) {
  configure_logging(options.log_level);
  tcp::resolver resolver(impl_->io);
  boost::system::error_code ec;
  auto results = resolver.resolve(options.host, std::to_string(options.port), tcp::resolver::passive, ec);
  if (ec || results.empty()) throw UsageError("--host " + options.host + ": cannot resolve (" + ec.message() + ")");
  std::string errors;
  for (const auto& r : results) {
    auto ep = r.endpoint();
    if (port_ != 0) ep.port(port_);  // port 0: every address shares the port the first one got
    auto a = std::make_unique<tcp::acceptor>(impl_->io);
    a->open(ep.protocol(), ec);
    if (!ec) a->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec && ep.protocol() == tcp::v6()) a->set_option(net::ip::v6_only(true), ec);
    if (!ec) a->bind(ep, ec);
    if (!ec) a->listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      errors += " " + ep.address().to_string() + ": " + ec.message() + ";";
      continue;
    }
    port_ = a->local_endpoint().port();
    impl_->acceptors.push_back(std::move(a));
  }
  if (impl_->acceptors.empty())
    throw Error("cannot listen on " + options.host + ":" + std::to_string(options.port) + ":" + errors);
}

Server::~Server() {
  stop();
  impl_->workers.join();
}

std::vector<std::string> Server::listening_addresses() const {
  std::vector<std::string> out;
  for (const auto& a : impl_->acceptors) {
    boost::system::error_code ec;
    auto ep = a->local_endpoint(ec);
    if (ec) continue;
    const auto addr = ep.address().to_string();
    out.push_back((ep.address().is_v6() ? "[" + addr + "]" : addr) + ":" + std::to_string(ep.port()));
  }
  return out;
}

size_t Server::active_connections() const { return impl_->hub.open(); }

void Server::stop_on_signals() {
  impl_->signals = std::make_unique<net::signal_set>(impl_->io, SIGTERM, SIGINT);
  impl_->signals->async_wait([this](boost::system::error_code ec, int) {
    if (!ec) stop();
  });
}

void Server::run() {
  for (auto& a : impl_->acceptors) impl_->accept(*a);
  std::vector<std::thread> threads;
  for (int i = 1; i < std::max(1, impl_->options.threads); ++i) threads.emplace_back([this] { impl_->io.run(); });
  impl_->io.run();  // returns when acceptors are closed and every connection (and its handler) is done
  for (auto& t : threads) t.join();
  impl_->workers.join();
}

void Server::stop() {
  std::call_once(impl_->stopped, [this] {
    impl_->hub.stopping = true;
    net::post(impl_->io, [this] {
      for (auto& a : impl_->acceptors) {
        boost::system::error_code ec;
        a->close(ec);
      }
      if (impl_->signals) {
        boost::system::error_code ec;
        impl_->signals->cancel(ec);
      }
      impl_->hub.shutdown_all();
    });
  });
}

}  // namespace m3::http
