// The coordinator's HTTP client to shard servers (Boost.Beast, asynchronous): requests to many shards
// go out at once on the client's own io_context and threads, each with one deadline covering
// resolve, connect, write and read, and a reply size limit (a shard's reply is outside input too).
// Connections are kept alive and reused from a bounded pool per replica (at most max_idle_per_replica
// idle sockets each; beyond, a socket is closed after its reply). A reused socket the shard closed
// meanwhile (its idle timeout) is retried once on a fresh connection.
#pragma once
#include <boost/beast/http/verb.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "http/shard_map.h"

namespace m3::http {

struct ShardClientOptions {
  int timeout_ms = 5000;                  // per request: resolve + connect + write + read
  size_t max_reply_bytes = 64 << 20;      // larger replies fail (treated as the replica failing)
  size_t max_idle_per_replica = 16;       // pooled keep-alive connections per replica
  int threads = 2;                        // the client's I/O threads
};

struct ShardRequest {
  const ReplicaAddress* replica = nullptr;
  boost::beast::http::verb method = boost::beast::http::verb::post;
  std::string target;  // "/collections/x/search"
  std::string body;    // JSON, or empty
  std::string authorization;  // forwarded "Authorization" header, or empty
};

struct ShardReply {
  int status = 0;     // HTTP status; 0: no reply (connection, timeout, size limit, malformed)
  std::string body;
  std::string error;  // why there is no reply
  bool ok() const { return status >= 200 && status < 300; }
};

class ShardClient {
 public:
  explicit ShardClient(const ShardClientOptions& options);
  ~ShardClient();
  ShardClient(const ShardClient&) = delete;
  ShardClient& operator=(const ShardClient&) = delete;

  // Sends every request at once; returns when each has a reply or failed (at most ~timeout_ms).
  std::vector<ShardReply> send_all(const std::vector<ShardRequest>& requests);
  const ShardClientOptions& options() const { return options_; }
  struct Impl;  // the io_context, its threads and the connection pool (shard_client.cpp)

 private:
  ShardClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace m3::http
