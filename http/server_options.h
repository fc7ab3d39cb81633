// Everything `m3 serve` can be told, with its defaults and bounds in one place (the CLI flags in
// tools/cmd_serve.cpp bind to these fields; tests construct them directly).
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace m3::http {

// What one request may ask for. Larger bodies: 413; the rest: 400 naming the field.
struct Limits {
  size_t max_body_bytes = 8 << 20;
  size_t max_header_bytes = 16 * 1024;
  int max_json_depth = 32;          // nesting of any request body (metadata included)
  size_t max_query_bytes = 4096;    // one query's text
  int max_k = 1000;
  int max_offset = 10000;           // paging: offset + k at most max_offset + max_k
  int max_depth = 10000;
  size_t max_batch_queries = 64;    // "queries": [...]
  size_t max_documents = 1000;      // per POST .../documents
  size_t max_encode_texts = 64;     // per embedding request
  size_t max_text_bytes = 1 << 20;  // one document or one text to embed
  size_t max_connections = 1024;    // open at once; beyond: 503 and close
};

// Connection timeouts in milliseconds: a client that is slow or silent is closed, never waited on.
struct Timeouts {
  int header_ms = 10'000;   // from the first byte (or the connection) to the end of the header
  int body_ms = 30'000;     // from the end of the header to the end of the body
  int idle_ms = 60'000;     // a keep-alive connection between requests
  int write_ms = 30'000;    // sending a response
};

struct ServerOptions {
  std::string data_dir;
  std::string host = "127.0.0.1";   // IPv4, IPv6 or a host name (every address it resolves to)
  uint16_t port = 8080;             // 0 = any free port
  int threads = 2;                  // I/O threads running the io_context (accept, read, write)
  int workers = 32;                 // request handlers in flight at most (search, writes, encode)
  int encoder_threads = 0;          // encoder intra-op threads (0: half the cores, at least 1; see README)
  int encoder_lanes = 0;            // query batches encoded at once, each on encoder_threads (0: auto, see models.cpp)
  std::string encoder_device = "auto";     // auto | cpu | cuda (encoder/device.h)
  std::string encoder_precision = "auto";  // auto | fp32 | bf16 (auto: bf16 on a GPU)
  std::string api_key;              // non-empty: write endpoints need "Authorization: Bearer <key>"
  std::map<std::string, std::string> models;  // model name -> directory ("default" is always present)
  std::string cors_origin;          // empty: no CORS headers; else this origin (or "*") is allowed
  std::string log_level = "info";   // spdlog level: trace debug info warn error critical off
  bool access_log = true;           // one line per request at info level
  int batch_window_us = 0;          // query batching: extra wait for more queries (0: take what is queued)
  size_t max_batch = 32;            // queries per encoder call at most (1 = no batching)
  bool batch_tuning = true;         // cap batches where larger ones measured costlier per query (batch_size_tuner.h)
  // Coordinator of sharded collections (http/coordinator.h): empty = none.
  std::string shard_map;            // JSON file: collection -> shards -> replica URLs (http/shard_map.h)
  bool require_all_shards = false;  // a search missing a shard: 503 instead of 200 "partial"
  int shard_timeout_ms = 5000;      // per request to a shard replica
  size_t max_shard_reply_bytes = 64 << 20;
  Limits limits;
  Timeouts timeouts;
};

}  // namespace m3::http
