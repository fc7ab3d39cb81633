#include "http/connection.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <chrono>

namespace m3::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using std::chrono::milliseconds;

void ConnectionHub::add(const std::shared_ptr<Connection>& c) {
  ++open_;
  std::lock_guard<std::mutex> l(mu_);
  live_[c.get()] = c;
}

void ConnectionHub::remove(const Connection* c) {
  {
    std::lock_guard<std::mutex> l(mu_);
    live_.erase(c);
  }
  --open_;
}

void ConnectionHub::shutdown_all() {
  std::vector<std::shared_ptr<Connection>> all;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [p, w] : live_)
      if (auto c = w.lock()) all.push_back(std::move(c));
  }
  for (auto& c : all) c->shutdown();
}

Connection::Connection(net::ip::tcp::socket socket, ConnectionHub& hub) : stream_(std::move(socket)), hub_(hub) {
  beast::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) peer_ = (ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string()) + ":" + std::to_string(ep.port());
  buffer_.max_size(hub_.options.limits.max_header_bytes + 64 * 1024);  // bounded even for pipelined bytes
}

Connection::~Connection() { hub_.remove(this); }

void Connection::start() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
}

void Connection::shutdown() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    switch (self->state_) {
      case State::Idle: self->close(); break;  // nothing sent yet on this request: nothing to lose
      case State::Reading:                      // a half-sent request gets a short grace, not the full deadline
        self->stream_.expires_after(milliseconds(500));
        break;
      default: break;  // handling or writing: finishes, then closes (stopping is set)
    }
  });
}

// Between requests: wait for the first byte under the idle deadline (the header deadline for a new
// connection), so an idle keep-alive connection is closed after --idle-timeout-ms.
void Connection::wait_for_request() {
  if (hub_.stopping && !first_ && buffer_.size() == 0) return close();
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(hub_.options.limits.max_header_bytes));
  parser_->body_limit(hub_.options.limits.max_body_bytes);
  if (buffer_.size() > 0) return read_header();  // pipelined bytes already here
  state_ = State::Idle;
  // While stopping, a connection that has sent nothing yet gets the same short grace as a half-sent one.
  stream_.expires_after(milliseconds(hub_.stopping ? 500 : first_ ? hub_.options.timeouts.header_ms : hub_.options.timeouts.idle_ms));
  stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, size_t n) {
    if (ec) return self->close();  // idle timeout, client closed, or shutdown
    self->buffer_.commit(n);
    self->read_header();
  });
}

void Connection::read_header() {
  state_ = State::Reading;
  if (hub_.stopping) stream_.expires_after(milliseconds(500));
  else stream_.expires_after(milliseconds(hub_.options.timeouts.header_ms));
  bhttp::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
    if (ec == beast::error::timeout) return self->fail_request(408, "timeout", "request header not received in time");
    if (ec == bhttp::error::body_limit)  // a Content-Length past the limit is refused before any body is read
      return self->fail_request(413, "payload_too_large", "request body exceeds " + std::to_string(self->hub_.options.limits.max_body_bytes) + " bytes");
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
      return self->fail_request(431, "header_too_large", "request header exceeds " + std::to_string(self->hub_.options.limits.max_header_bytes) + " bytes");
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset || ec == net::error::operation_aborted)
      return self->close();
    if (ec) return self->fail_request(400, "bad_request", "malformed HTTP request: " + ec.message());
    self->read_body();
  });
}

void Connection::read_body() {
  if (!hub_.stopping) stream_.expires_after(milliseconds(hub_.options.timeouts.body_ms));
  bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
    if (ec == bhttp::error::body_limit)
      return self->fail_request(413, "payload_too_large", "request body exceeds " + std::to_string(self->hub_.options.limits.max_body_bytes) + " bytes");
    if (ec == beast::error::timeout) return self->fail_request(408, "timeout", "request body not received in time");
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset || ec == net::error::operation_aborted)
      return self->close();
    if (ec) return self->fail_request(400, "bad_request", "malformed HTTP request: " + ec.message());
    self->handle();
  });
}

// The request runs on a worker (it may wait for the query batcher or the disk); the I/O threads stay
// free. The work guard keeps io_context::run() alive while no I/O is pending for this connection.
void Connection::handle() {
  state_ = State::Handling;
  stream_.expires_never();
  first_ = false;
  auto req = std::make_shared<Request>(parser_->release());
  net::post(hub_.workers, [self = shared_from_this(), req, guard = net::make_work_guard(hub_.io)] {
    auto res = std::make_shared<Response>(self->hub_.router.handle(*req, self->peer_));
    net::post(self->stream_.get_executor(), [self, res] { self->write(res); });
  });
}

void Connection::write(std::shared_ptr<Response> res) {
  state_ = State::Writing;
  if (hub_.stopping) res->keep_alive(false);
  stream_.expires_after(milliseconds(hub_.options.timeouts.write_ms));
  bhttp::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
    if (ec || !res->keep_alive()) return self->close();
    self->wait_for_request();
  });
}

// A request that never reached the router (malformed, too large, too slow): answer once and close,
// since the stream position after a failed parse is unknown.
void Connection::fail_request(int status, const std::string& code, const std::string& message) {
  auto res = std::make_shared<Response>(hub_.router.reject(status, code, message, peer_));
  res->keep_alive(false);
  first_ = false;
  write(res);
}

void Connection::close() {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
}

}  // namespace m3::http
