// One client connection: reads a request (header, then body, each under its own deadline), hands it
// to a worker, writes the response, and waits for the next one under the idle deadline. Every step
// is an asynchronous operation on the connection's strand; nothing blocks an I/O thread.
// ConnectionHub counts and tracks the open connections so the server can refuse past the limit and
// close them on shutdown.
#pragma once
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "http/router.h"
#include "http/server_options.h"

namespace m3::http {

class Connection;

class ConnectionHub {
 public:
  ConnectionHub(const ServerOptions& options, Router& router, boost::asio::io_context& io, boost::asio::thread_pool& workers)
      : options(options), router(router), io(io), workers(workers) {}
  const ServerOptions& options;
  Router& router;
  boost::asio::io_context& io;
  boost::asio::thread_pool& workers;
  std::atomic<bool> stopping{false};

  size_t open() const { return open_.load(); }
  void add(const std::shared_ptr<Connection>& c);
  void remove(const Connection* c);
  void shutdown_all();  // asks every open connection to finish (from any thread)

 private:
  std::atomic<size_t> open_{0};
  std::mutex mu_;
  std::unordered_map<const Connection*, std::weak_ptr<Connection>> live_;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(boost::asio::ip::tcp::socket socket, ConnectionHub& hub);
  ~Connection();
  void start();
  void shutdown();  // from any thread: close if idle, else finish the request in flight and close

 private:
  enum class State { Idle, Reading, Handling, Writing, Closed };
  void wait_for_request();
  void read_header();
  void read_body();
  void handle();
  void write(std::shared_ptr<Response> res);
  void fail_request(int status, const std::string& code, const std::string& message);
  void close();

  boost::beast::tcp_stream stream_;
  ConnectionHub& hub_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  State state_ = State::Idle;
  bool first_ = true;
  std::string peer_;
};

}  // namespace m3::http
