// m3 serve: the HTTP search API over every collection directory under --data (http/router.h).
#include <csignal>
#include <cstdio>
#include <thread>

#include "common/error.h"
#include "http/server.h"
#include "tools/command.h"

namespace m3::tools {
namespace {

std::atomic<http::Server*> g_server{nullptr};
extern "C" void on_signal(int) {
  if (auto* s = g_server.load()) s->stop();  // only sets a flag: async-signal-safe
}

M3_COMMAND("serve", "Serve the HTTP search API for every collection under --data", [](CLI::App& sub) {
  auto o = std::make_shared<http::ServerOptions>();
  sub.add_option("--data", o->data_dir, "directory holding collection directories")->required()->check(CLI::ExistingDirectory);
  sub.add_option("--host", o->host, "address to bind (loopback by default)");
  sub.add_option("--port", o->port, "port (0 = any free port)");
  sub.add_option("--threads", o->threads, "encoder intra-op threads (0 = all cores)")->check(CLI::Range(0, 1024));
  sub.add_option("--api-key", o->api_key, "require 'Authorization: Bearer KEY' on write endpoints");
  sub.add_option("--model", o->default_model, "model for new collections and /encode (default: the embedded one)");
  sub.add_option("--batch-window-us", o->batch_window_us, "query batching window in microseconds")->check(CLI::Range(0, 1000000));
  sub.add_option("--max-batch", o->max_batch, "queries per encoder call at most (1 = no batching)")->check(CLI::Range(1, 4096));
  sub.add_option("--max-body-bytes", o->limits.max_body_bytes, "largest request body (413 beyond)");
  sub.add_option("--max-query-bytes", o->limits.max_query_bytes, "longest query text");
  sub.add_option("--max-k", o->limits.max_k, "largest k")->check(CLI::Range(1, 100000));
  sub.add_option("--max-depth", o->limits.max_depth, "largest depth")->check(CLI::Range(1, 1000000));
  sub.add_option("--max-batch-queries", o->limits.max_batch_queries, "queries per batch search request");
  sub.add_option("--max-connections", o->limits.max_connections, "concurrent connections (503 beyond)");
  sub.callback([o] {
    http::Server server(*o);
    g_server = &server;
    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);
    std::fprintf(stderr, "m3 serve: listening on http://%s:%u (data %s)\n", o->host.c_str(), server.port(), o->data_dir.c_str());
    server.run();
    g_server = nullptr;
    std::fprintf(stderr, "m3 serve: stopped\n");
  });
});

}  // namespace
}  // namespace m3::tools
