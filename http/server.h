// The HTTP server (Boost.Asio/Beast, asynchronous): acceptors for every address --host resolves to
// (IPv4 and IPv6), connections on an io_context run by a fixed pool of I/O threads (--threads), and
// request handlers on a fixed pool of workers (--workers), so no thread is ever made per connection
// and a connection that is idle or slow costs a socket and a buffer, never a thread.
//   - memory: bounded by open connections (at most --max-connections; beyond, 503 and close)
//   - time:   every read and write has a deadline (ServerOptions::timeouts); a silent client is closed
//   - stop(): stop accepting, close idle connections, let in-flight requests finish and answer, return
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "http/server_options.h"

namespace m3::http {

class ServerState;
class Connection;

class Server {
 public:
  explicit Server(const ServerOptions& options);  // binds (port 0 = any free port); throws on failure
  ~Server();
  uint16_t port() const { return port_; }
  std::vector<std::string> listening_addresses() const;  // "127.0.0.1:8080", "[::1]:8080"
  size_t active_connections() const;
  void stop_on_signals();  // SIGTERM/SIGINT call stop() (set up before run())
  void run();              // serves until stop(); the calling thread is one of the I/O threads
  void stop();             // thread-safe, idempotent

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

}  // namespace m3::http
