#include "http/shard_client.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <functional>
#include <thread>

namespace m3::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

struct ShardClient::Impl {
  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> work{io.get_executor()};
  std::vector<std::thread> threads;
  std::mutex pool_mu;
  std::map<std::string, std::vector<tcp::socket>> idle;  // "host:port" -> kept-alive sockets

  std::optional<tcp::socket> take(const std::string& key) {
    std::lock_guard<std::mutex> l(pool_mu);
    auto it = idle.find(key);
    if (it == idle.end() || it->second.empty()) return std::nullopt;
    tcp::socket s = std::move(it->second.back());
    it->second.pop_back();
    return s;
  }
  void give_back(const std::string& key, tcp::socket s, size_t max_idle) {
    std::lock_guard<std::mutex> l(pool_mu);
    auto& v = idle[key];
    if (v.size() < max_idle) v.push_back(std::move(s));
  }
};

namespace {

// One request's life: [resolve, connect | pooled socket], write, read, then back to the pool.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(ShardClient::Impl& impl, const ShardClientOptions& o, const ShardRequest& r, std::function<void(ShardReply)> done)
      : impl_(impl), o_(o), r_(r), done_(std::move(done)), resolver_(impl.io), resolve_timer_(impl.io), stream_(impl.io) {
    key_ = r.replica->host + ":" + std::to_string(r.replica->port);
  }

  void start() {
    deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(o_.timeout_ms);
    if (auto s = impl_.take(key_)) {
      reused_ = true;
      stream_.socket() = std::move(*s);
      write();
      return;
    }
    connect();
  }

 private:
  void connect() {
    reused_ = false;
    auto self = shared_from_this();
    // The resolver has no deadline of its own: a timer cancels it at the request's deadline.
    resolve_timer_.expires_at(deadline_);
    resolve_timer_.async_wait([self](beast::error_code ec) {
      if (!ec) self->resolver_.cancel();
    });
    resolver_.async_resolve(r_.replica->host, std::to_string(r_.replica->port),
                            [self](beast::error_code ec, tcp::resolver::results_type results) {
                              self->resolve_timer_.cancel();
                              if (ec) return self->fail("resolve: " + ec.message());
                              self->stream_.expires_at(self->deadline_);
                              self->stream_.async_connect(results, [self](beast::error_code ec, const tcp::endpoint&) {
                                if (ec) return self->fail("connect: " + ec.message());
                                self->write();
                              });
                            });
  }

  void write() {
    req_ = {r_.method, r_.target, 11};
    req_.set(bhttp::field::host, r_.replica->host);
    req_.set(bhttp::field::content_type, "application/json");
    if (!r_.authorization.empty()) req_.set(bhttp::field::authorization, r_.authorization);
    req_.keep_alive(true);
    req_.body() = r_.body;
    req_.prepare_payload();
    stream_.expires_at(deadline_);
    auto self = shared_from_this();
    bhttp::async_write(stream_, req_, [self](beast::error_code ec, size_t) {
      if (ec) return self->retry_or_fail("write: " + ec.message());
      self->read();
    });
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(o_.max_reply_bytes);
    parser_->header_limit(16 * 1024);
    buffer_.clear();
    auto self = shared_from_this();
    // The header first, so a declared Content-Length past the limit is refused before any of the
    // body is read (the parser's body_limit alone was seen to let a first reply of a process
    // through with Boost 1.74); body_limit still bounds chunked and read-to-close bodies, and the
    // size is checked once more at the end.
    bhttp::async_read_header(stream_, buffer_, *parser_, [self](beast::error_code ec, size_t) {
      if (ec) return self->retry_or_fail("read: " + ec.message());
      const auto declared = self->parser_->content_length();
      if (declared && *declared > self->o_.max_reply_bytes)
        return self->fail("reply larger than " + std::to_string(self->o_.max_reply_bytes) + " bytes");
      self->read_body();
    });
  }

  void read_body() {
    auto self = shared_from_this();
    bhttp::async_read(stream_, buffer_, *parser_, [self](beast::error_code ec, size_t) {
      if (ec == bhttp::error::body_limit) return self->fail("reply larger than " + std::to_string(self->o_.max_reply_bytes) + " bytes");
      if (ec) return self->fail("read: " + ec.message());
      if (self->parser_->get().body().size() > self->o_.max_reply_bytes)
        return self->fail("reply larger than " + std::to_string(self->o_.max_reply_bytes) + " bytes");
      auto res = self->parser_->release();
      ShardReply reply;
      reply.status = static_cast<int>(res.result_int());
      reply.body = std::move(res.body());
      if (res.keep_alive()) {
        self->stream_.expires_never();
        self->impl_.give_back(self->key_, self->stream_.release_socket(), self->o_.max_idle_per_replica);
      }
      self->finish(std::move(reply));
    });
  }

  // A pooled socket may have been closed by the shard while idle: one fresh attempt, same deadline.
  void retry_or_fail(const std::string& why) {
    if (reused_ && std::chrono::steady_clock::now() < deadline_) {
      beast::error_code ignore;
      stream_.socket().close(ignore);
      connect();
      return;
    }
    fail(why);
  }

  void fail(const std::string& why) {
    beast::error_code ignore;
    stream_.socket().close(ignore);
    ShardReply reply;
    reply.error = why;
    finish(std::move(reply));
  }

  void finish(ShardReply reply) {
    if (done_) {
      auto d = std::move(done_);
      done_ = nullptr;
      d(std::move(reply));
    }
  }

  ShardClient::Impl& impl_;
  const ShardClientOptions& o_;
  ShardRequest r_;
  std::function<void(ShardReply)> done_;
  std::string key_;
  bool reused_ = false;
  std::chrono::steady_clock::time_point deadline_;
  tcp::resolver resolver_;
  net::steady_timer resolve_timer_;
  beast::tcp_stream stream_;
  bhttp::request<bhttp::string_body> req_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
};

}  // namespace

ShardClient::ShardClient(const ShardClientOptions& options) : options_(options), impl_(std::make_unique<Impl>()) {
  for (int i = 0; i < std::max(1, options_.threads); ++i) impl_->threads.emplace_back([this] { impl_->io.run(); });
}

ShardClient::~ShardClient() {
  impl_->work.reset();
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
}

std::vector<ShardReply> ShardClient::send_all(const std::vector<ShardRequest>& requests) {
  std::vector<ShardReply> replies(requests.size());
  std::mutex mu;
  std::condition_variable cv;
  size_t left = requests.size();
  for (size_t i = 0; i < requests.size(); ++i) {
    auto ex = std::make_shared<Exchange>(*impl_, options_, requests[i], [&, i](ShardReply r) {
      std::lock_guard<std::mutex> l(mu);
      replies[i] = std::move(r);
      if (--left == 0) cv.notify_all();
    });
    net::post(impl_->io, [ex] { ex->start(); });
  }
  std::unique_lock<std::mutex> l(mu);
  cv.wait(l, [&] { return left == 0; });
  return replies;
}

}  // namespace m3::http
