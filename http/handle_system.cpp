// GET /health, /metrics, /openapi.json, /models.
#include "http/handlers.h"

namespace m3::http {

Response handle_health(RouteContext& ctx) { return json_reply(200, {{"status", "ok"}}, ctx.req); }

Response handle_metrics(RouteContext& ctx) {
  std::string body = ctx.metrics.render();
  body += "# HELP m3_queue_depth Queries waiting for the encoder.\n# TYPE m3_queue_depth gauge\nm3_queue_depth " +
          std::to_string(ctx.models.total_queue_depth()) + "\n";
  const auto batchers = ctx.models.batchers();
  body += "# HELP m3_query_batch_limit Queries per encoder call the batch tuner allows now.\n# TYPE m3_query_batch_limit gauge\n";
  for (const auto& b : batchers)
    body += "m3_query_batch_limit{" + prometheus_label("model", b.model) + "} " + std::to_string(b.batch_limit) + "\n";
  body += "# HELP m3_encoder_lanes Query batches the encoder runs at once.\n# TYPE m3_encoder_lanes gauge\n";
  for (const auto& b : batchers)
    body += "m3_encoder_lanes{" + prometheus_label("model", b.model) + "} " + std::to_string(b.lanes) + "\n";
  std::string docs = "# HELP m3_documents Live documents per collection.\n# TYPE m3_documents gauge\n";
  std::string bytes = "# HELP m3_index_bytes Index bytes per collection.\n# TYPE m3_index_bytes gauge\n";
  // Only collections already open: a scrape never opens (and loads the model of) every collection.
  for (const auto& [name, c] : ctx.collections.open_collections()) {
    try {
      const auto i = c->info();
      docs += "m3_documents{" + prometheus_label("collection", name) + "} " + std::to_string(i.documents) + "\n";
      bytes += "m3_index_bytes{" + prometheus_label("collection", name) + "} " + std::to_string(i.sizes.total()) + "\n";
    } catch (const std::exception&) {
      // a damaged collection has no gauges; its searches report the damage
    }
  }
  Response res{beast_http::status::ok, ctx.req.version()};
  res.set(beast_http::field::content_type, "text/plain; version=0.0.4");
  res.keep_alive(ctx.req.keep_alive());
  res.body() = body + docs + bytes;
  res.prepare_payload();
  return res;
}

Response handle_openapi(RouteContext& ctx) { return json_reply(200, openapi_document(), ctx.req); }

Response handle_models(RouteContext& ctx) {
  json list = json::array();
  for (const auto& n : ctx.models.names()) list.push_back(n);
  return json_reply(200, {{"models", list}}, ctx.req);
}

}  // namespace m3::http
