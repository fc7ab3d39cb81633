// m3 serve: the HTTP search API over every collection directory under --data (http/server.h).
#include <cstdio>

#include "common/error.h"
#include "http/server.h"
#include "tools/command.h"

namespace m3::tools {
namespace {

M3_COMMAND("serve", "Serve the HTTP search API for every collection under --data", [](CLI::App& sub) {
  auto o = std::make_shared<http::ServerOptions>();
  auto models = std::make_shared<std::vector<std::string>>();
  sub.add_option("--data", o->data_dir, "directory holding collection directories")->required()->check(CLI::ExistingDirectory);
  sub.add_option("--host", o->host, "address or host name to listen on (every address it resolves to; IPv4 and IPv6)");
  sub.add_option("--port", o->port, "port (0 = any free port)");
  sub.add_option("--threads", o->threads, "I/O threads (accept, read, write)")->check(CLI::Range(1, 256));
  sub.add_option("--workers", o->workers, "requests handled at once at most (search, writes, embeddings)")->check(CLI::Range(1, 1024));
  sub.add_option("--encoder-threads", o->encoder_threads, "encoder intra-op threads (0 = half the cores, at least 1: the other half searches)")->check(CLI::Range(0, 1024));
  sub.add_option("--encoder-lanes", o->encoder_lanes, "query batches encoded at once, each on --encoder-threads threads (0 = enough lanes to cover the cores; 1 on a GPU)")
      ->check(CLI::Range(0, 64));
  sub.add_option("--device", o->encoder_device, "where the encoder runs: auto | cpu | cuda (auto: CUDA when present)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  sub.add_option("--precision", o->encoder_precision, "encoder precision: auto | fp32 | bf16 (auto: bf16 on a GPU, fp32 on the CPU)")
      ->check(CLI::IsMember({"auto", "fp32", "bf16"}));
  sub.add_option("--api-key", o->api_key, "require 'Authorization: Bearer KEY' on write endpoints");
  sub.add_option("--model", *models, "NAME=DIR: a model clients may name (repeatable); DIR alone sets 'default' (default: the embedded model)");
  sub.add_option("--cors-origin", o->cors_origin, "allow this browser origin (or *) to call the API (default: no CORS)");
  sub.add_option("--log-level", o->log_level, "trace | debug | info | warn | error | critical | off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  sub.add_flag("!--no-access-log", o->access_log, "no access-log line per request");
  sub.add_option("--batch-window-us", o->batch_window_us, "query batching: extra wait for more queries (default 0: none)")->check(CLI::Range(0, 1000000));
  sub.add_option("--max-batch", o->max_batch, "queries per encoder call at most (1 = no batching)")->check(CLI::Range(1, 4096));
  sub.add_flag("!--no-batch-tuning", o->batch_tuning, "always batch up to --max-batch (default: cap where larger batches measured costlier per query)");
  sub.add_option("--max-body-bytes", o->limits.max_body_bytes, "largest request body (413 beyond)")->check(CLI::Range(size_t{1}, size_t{1} << 30));
  sub.add_option("--max-query-bytes", o->limits.max_query_bytes, "longest query text")->check(CLI::Range(size_t{1}, size_t{1} << 20));
  sub.add_option("--max-k", o->limits.max_k, "largest k")->check(CLI::Range(1, 10000));
  sub.add_option("--max-depth", o->limits.max_depth, "largest depth")->check(CLI::Range(1, 100000));
  sub.add_option("--max-batch-queries", o->limits.max_batch_queries, "queries per batch search request")->check(CLI::Range(size_t{1}, size_t{4096}));
  sub.add_option("--max-connections", o->limits.max_connections, "open connections at most (503 beyond)")->check(CLI::Range(size_t{1}, size_t{1} << 20));
  sub.add_option("--header-timeout-ms", o->timeouts.header_ms, "time to receive a request's header")->check(CLI::Range(1, 3600000));
  sub.add_option("--body-timeout-ms", o->timeouts.body_ms, "time to receive a request's body")->check(CLI::Range(1, 3600000));
  sub.add_option("--idle-timeout-ms", o->timeouts.idle_ms, "an idle keep-alive connection is closed after this")->check(CLI::Range(1, 3600000));
  sub.add_option("--shard-map", o->shard_map,
                 "coordinate sharded collections: JSON file {collection: [[replica URL, ...] per shard]} (README: Sharding)")
      ->check(CLI::ExistingFile);
  sub.add_flag("--require-all-shards", o->require_all_shards, "a search with a shard unreachable fails with 503 (default: 200 with \"partial\")");
  sub.add_option("--shard-timeout-ms", o->shard_timeout_ms, "per request to a shard replica (then the next replica)")->check(CLI::Range(1, 600000));
  sub.add_option("--max-shard-reply-bytes", o->max_shard_reply_bytes, "largest reply taken from a shard (larger: that replica failed)")
      ->check(CLI::Range(size_t{1024}, size_t{1} << 32));
  sub.add_option("--write-timeout-ms", o->timeouts.write_ms, "time to send a response")->check(CLI::Range(1, 3600000));
  sub.callback([o, models] {
    for (const auto& m : *models) {
      const auto eq = m.find('=');
      const std::string name = eq == std::string::npos ? "default" : m.substr(0, eq);
      const std::string dir = eq == std::string::npos ? m : m.substr(eq + 1);
      if (name.empty() || dir.empty()) throw UsageError("--model " + m + ": expected NAME=DIR or DIR");
      if (o->models.count(name)) throw UsageError("--model: '" + name + "' given twice");
      o->models[name] = dir;
    }
    http::Server server(*o);
    server.stop_on_signals();
    for (const auto& a : server.listening_addresses())
      std::fprintf(stderr, "m3 serve: listening on http://%s (data %s)\n", a.c_str(), o->data_dir.c_str());
    server.run();
    std::fprintf(stderr, "m3 serve: stopped\n");
  });
});

}  // namespace
}  // namespace m3::tools
