// The HTTP server: an accept loop and one thread per connection (keep-alive, synchronous Beast
// reads/writes), so a search that waits on the query batcher blocks only its own connection.
// stop() (SIGTERM in `m3 serve`) closes the listener, lets in-flight requests finish, and returns;
// committed data is on disk by construction (index/ commits are atomic), so nothing committed is lost.
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "http/collections.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server_options.h"

namespace m3::http {

class Server {
 public:
  explicit Server(const ServerOptions& options);  // binds (port 0 = any free port); throws on failure
  ~Server();
  uint16_t port() const { return port_; }
  size_t active_connections() const { return active_; }
  void run();   // serves until stop()
  void stop();  // thread-safe, idempotent

 private:
  void session(int fd);
  ServerOptions options_;
  Metrics metrics_;
  std::unique_ptr<Collections> collections_;
  std::unique_ptr<Router> router_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> active_{0};
  std::mutex threads_mu_;
  std::vector<std::thread> threads_;
};

}  // namespace m3::http
