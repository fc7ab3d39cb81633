#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <cstring>

#include "common/error.h"

namespace m3::http {

namespace net = boost::asio;
namespace beast = boost::beast;

Server::Server(const ServerOptions& options) : options_(options) {
  collections_ = std::make_unique<Collections>(options_);
  router_ = std::make_unique<Router>(options_, *collections_, metrics_);
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw Error("socket(): " + std::string(std::strerror(errno)));
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(options_.port);
  if (::inet_pton(AF_INET, options_.host.c_str(), &addr.sin_addr) != 1) throw UsageError("--host " + options_.host + ": not an IPv4 address");
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw Error("cannot bind " + options_.host + ":" + std::to_string(options_.port) + ": " + std::strerror(errno));
  if (::listen(listen_fd_, 512) != 0) throw Error("listen(): " + std::string(std::strerror(errno)));
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
}

Server::~Server() {
  stop();
  std::lock_guard<std::mutex> l(threads_mu_);
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void Server::stop() { stopping_ = true; }

void Server::run() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;  // wake up regularly to notice stop()
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (active_ >= options_.limits.max_connections) {
      const char* busy = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 81\r\n\r\n"
                         "{\"error\":{\"code\":\"overloaded\",\"message\":\"too many concurrent connections\"}}    ";
      (void)!::write(fd, busy, std::strlen(busy));
      ::close(fd);
      continue;
    }
    ++active_;
    std::lock_guard<std::mutex> l(threads_mu_);
    threads_.emplace_back([this, fd] { session(fd); --active_; });
  }
  // Graceful: stop accepting, let every connection finish its in-flight request.
  std::lock_guard<std::mutex> l(threads_mu_);
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void Server::session(int fd) {
  net::io_context io;
  net::ip::tcp::socket sock(io);
  sock.assign(net::ip::tcp::v4(), fd);
  timeval tv{0, 250000};  // reads time out so idle keep-alive connections notice shutdown
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  beast::flat_buffer buffer;
  size_t served = 0;  // requests answered on this connection
  while (!stopping_ || served == 0) {
    beast::http::request_parser<beast::http::string_body> parser;
    parser.body_limit(options_.limits.max_body_bytes);
    parser.header_limit(64 * 1024);
    beast::error_code ec;
    bool got = false;
    int grace = 2;  // after stop(), a just-accepted connection still gets ~0.5 s to deliver its request
    while (!stopping_ || parser.got_some() || (served == 0 && grace-- > 0)) {
      beast::http::read(sock, buffer, parser, ec);
      if (!ec) { got = true; break; }
      if (ec == net::error::would_block || ec == net::error::try_again || ec == net::error::timed_out) {
        ec = {};
        continue;  // idle or slow client: keep the parser's partial state and read on
      }
      break;
    }
    if (!got) {
      if (ec == beast::http::error::body_limit) {
        auto res = Router::error_response(413, "payload_too_large",
                                          "request body exceeds " + std::to_string(options_.limits.max_body_bytes) + " bytes", 11, false);
        beast::http::write(sock, res, ec);
        metrics_.observe("other", "", 413, 0);
      } else if (ec && ec != beast::http::error::end_of_stream && ec != net::error::eof && ec != net::error::connection_reset) {
        auto res = Router::error_response(400, "bad_request", "malformed HTTP request: " + ec.message(), 11, false);
        beast::http::write(sock, res, ec);
      }
      break;
    }
    ++served;
    auto req = parser.release();
    auto res = router_->handle(req);
    if (stopping_) res.keep_alive(false);
    beast::http::write(sock, res, ec);
    if (ec || !res.keep_alive()) break;
  }
  beast::error_code ignore;
  sock.shutdown(net::ip::tcp::socket::shutdown_both, ignore);
  sock.close(ignore);
}

}  // namespace m3::http
