// Everything `m3 serve` can be told, with its defaults in one place.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace m3::http {

struct Limits {
  size_t max_body_bytes = 8 << 20;  // larger bodies: 413
  size_t max_query_bytes = 4096;    // one query's text
  int max_k = 1000;
  int max_depth = 10000;
  size_t max_batch_queries = 64;    // "queries": [...]
  size_t max_documents = 1000;      // per POST .../documents
  size_t max_encode_texts = 64;     // per POST /encode
  size_t max_text_bytes = 1 << 20;  // one document or encode text
  size_t max_connections = 256;     // concurrent; beyond: 503
};

struct ServerOptions {
  std::string data_dir;
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  int threads = 0;                  // encoder intra-op threads (0 = all cores)
  std::string api_key;              // non-empty: write endpoints need "Authorization: Bearer <key>"
  std::string default_model;        // model for PUT without "model" (empty: the embedded default)
  int batch_window_us = 2000;       // query batching: wait this long for more queries
  size_t max_batch = 32;            // ... and at most this many per encoder call (1 = off)
  Limits limits;
};

}  // namespace m3::http
