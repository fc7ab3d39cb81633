// GET /collections, GET|PUT|DELETE /collections/{name}, POST /collections/{name}/commit.
#include <filesystem>

#include "engine/collection_description.h"
#include "http/api_error.h"
#include "http/coordinator.h"
#include "http/handlers.h"

namespace m3::http {

namespace {

// The description with server-side paths replaced by names: the collection's, and the model's
// (a registered model's name, else the directory's last component).
json describe_for_client(const Collection& c, const std::string& name, const Models& models) {
  json j = describe_collection(c);
  j["collection"] = name;
  const std::string dir = j["model"].get<std::string>();
  std::string model = std::filesystem::path(dir).filename().string();
  for (const auto& n : models.names())
    if (std::filesystem::weakly_canonical(models.dir_of(n)) == std::filesystem::weakly_canonical(dir)) model = n;
  j["model"] = model;
  return j;
}

}  // namespace

Response handle_list_collections(RouteContext& ctx) {
  json list = json::array();
  for (const auto& n : ctx.collections.names()) list.push_back(n);
  json reply = {{"collections", list}};
  if (ctx.coordinator) {  // the sharded collections this server coordinates
    json sharded = json::array();
    for (const auto& [name, sc] : ctx.coordinator->map()) sharded.push_back(name);
    reply["sharded"] = sharded;
  }
  return json_reply(200, reply, ctx.req);
}

Response handle_get_collection(RouteContext& ctx) {
  const auto& name = ctx.params[0];
  if (ctx.coordinator && ctx.coordinator->serves(name)) return ctx.coordinator->describe(ctx);
  return json_reply(200, describe_for_client(*ctx.collections.get(name), name, ctx.models), ctx.req);
}

Response handle_create_collection(RouteContext& ctx) {
  const auto& name = ctx.params[0];
  const json body = parse_body(ctx, /*empty_means_object=*/true);
  reject_unknown_fields(body, {"model", "dense", "mv_codec", "mv_bits", "passage_max_length", "bm25_avgdl"});
  CollectionOptions o;
  o.model_dir = ctx.models.dir_of(string_field(body, "model", "default"));
  o.dense = string_field(body, "dense", o.dense);
  o.mv_codec = string_field(body, "mv_codec", o.mv_codec);
  o.mv_bits = int_field(body, "mv_bits", o.mv_bits, 1, 4);
  o.passage_max_length = int_field(body, "passage_max_length", o.passage_max_length, 2, 8192);
  // Fixed BM25 average length (0 = running): the same value on every shard keeps BM25 exact.
  o.bm25_avgdl = number_field(body, "bm25_avgdl", o.bm25_avgdl, 0, IndexSettings::kMaxBm25Avgdl);
  auto c = ctx.collections.create(name, o);
  return json_reply(201, describe_for_client(*c, name, ctx.models), ctx.req);
}

Response handle_drop_collection(RouteContext& ctx) {
  ctx.collections.drop(ctx.params[0]);
  return json_reply(200, {{"deleted", ctx.params[0]}}, ctx.req);
}

Response handle_commit(RouteContext& ctx) {
  if (ctx.coordinator && ctx.coordinator->serves(ctx.params[0])) return ctx.coordinator->commit(ctx);
  auto c = ctx.collections.get(ctx.params[0]);
  if (!ctx.req.body().empty()) reject_unknown_fields(parse_body(ctx), {});
  const uint64_t g = c->commit();
  return json_reply(200, {{"generation", g}, {"documents", c->info().documents}}, ctx.req);
}

}  // namespace m3::http
