// POST /collections/{name}/search: one "query" or a batch of "queries" (encoded in one encoder call,
// meeting other requests' queries in the query batcher), every setting of engine/search_request.h,
// paging ("offset") and a choice of returned hit fields ("fields").
#include <chrono>
#include <optional>

#include "common/utf8.h"
#include "engine/search_request.h"
#include "engine/shard_search.h"
#include "http/coordinator.h"
#include "http/api_error.h"
#include "http/handlers.h"
#include "http/query_embedding_cache.h"

namespace m3::http {

namespace {

std::vector<std::string> queries_of(const json& body, const Limits& limits, bool& batch);

}  // namespace

HitFields parse_fields(const json& body) {
  if (!body.contains("fields")) return {};
  const auto& f = body["fields"];
  if (!f.is_array()) throw bad_request("'fields' must be an array of: docid, score, scores, title, text, metadata");
  HitFields h{false, false, false, false, false, false};
  for (const auto& v : f) {
    const std::string s = v.is_string() ? v.get<std::string>() : v.dump();
    if (s == "docid") h.docid = true;
    else if (s == "score") h.score = true;
    else if (s == "scores") h.scores = true;
    else if (s == "title") h.title = true;
    else if (s == "text") h.text = true;
    else if (s == "metadata") h.metadata = true;
    else throw bad_request("'fields': unknown field " + s.substr(0, 64) + " (known: docid, score, scores, title, text, metadata)");
  }
  return h;
}

json hit_json(const Hit& h, const HitFields& f) {
  json j = json::object();
  if (f.docid) j["docid"] = h.docid;
  if (f.score) j["score"] = h.score;
  if (f.scores) {
    json s = json::object();
    if (h.scores.dense) s["dense"] = *h.scores.dense;
    if (h.scores.sparse) s["sparse"] = *h.scores.sparse;
    if (h.scores.multivec) s["multivec"] = *h.scores.multivec;
    if (h.scores.bm25) s["bm25"] = *h.scores.bm25;
    j["scores"] = s;
  }
  if (f.title) j["title"] = h.title;
  if (f.text) j["text"] = h.text;
  if (f.metadata) j["metadata"] = json::parse(h.metadata_json, nullptr, false);
  return j;
}

namespace {

std::vector<std::string> queries_of(const json& body, const Limits& limits, bool& batch) {
  batch = body.contains("queries");
  if (batch == body.contains("query")) throw bad_request("give either 'query' (a string) or 'queries' (an array of strings)");
  std::vector<std::string> queries;
  if (batch) {
    const auto& q = body["queries"];
    if (!q.is_array() || q.empty() || q.size() > limits.max_batch_queries)
      throw bad_request("'queries' must be an array of 1 to " + std::to_string(limits.max_batch_queries) + " strings");
    for (size_t i = 0; i < q.size(); ++i) {
      if (!q[i].is_string()) throw bad_request("queries[" + std::to_string(i) + "] must be a string");
      queries.push_back(q[i].get<std::string>());
    }
  } else {
    if (!body["query"].is_string()) throw bad_request("'query' must be a string");
    queries.push_back(body["query"].get<std::string>());
  }
  for (size_t i = 0; i < queries.size(); ++i) {
    const std::string where = batch ? "queries[" + std::to_string(i) + "]" : "'query'";
    const auto& q = queries[i];
    if (q.size() > limits.max_query_bytes)
      throw bad_request(where + ": " + std::to_string(q.size()) + " bytes exceed the limit of " + std::to_string(limits.max_query_bytes));
    const size_t bad = find_invalid_utf8(q);
    if (bad != std::string::npos) throw bad_request(where + ": invalid UTF-8 at byte " + std::to_string(bad));
    if (q.find_first_not_of(" \t\r\n\f\v") == std::string::npos) throw bad_request(where + " is empty");
  }
  return queries;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Response handle_search(RouteContext& ctx) {
  if (ctx.coordinator && ctx.coordinator->serves(ctx.params[0])) return ctx.coordinator->search(ctx);
  const auto t0 = std::chrono::steady_clock::now();
  auto c = ctx.collections.get(ctx.params[0]);
  const json body = parse_body(ctx);
  const SearchParams p = parse_search_body(ctx, body, {"query", "queries", "fields"});
  const HitFields fields = parse_fields(body);
  bool batch = false;
  const auto queries = queries_of(body, ctx.options.limits, batch);

  const auto te = std::chrono::steady_clock::now();
  // Round 2 of a sharded search: the embedding round 1 computed here, if still cached.
  std::optional<Embedding> cached;
  if (p.shard_scope && !batch) cached = shard_round_cache().take(QueryEmbeddingCache::key(c->encoder(), p.query_max_length, queries[0]));
  const auto embeddings = cached ? std::vector<Embedding>{std::move(*cached)}
                                 : ctx.models.batcher_for(c->encoder()).encode(queries, p.query_max_length);
  const double encode_ms = ms_since(te);
  json results = json::array();
  double search_ms = 0;
  for (const auto& e : embeddings) {
    const auto ts = std::chrono::steady_clock::now();
    auto r = c->search_embedding(e, p);
    const double ms = ms_since(ts);
    search_ms += ms;
    json hits = json::array();
    for (const auto& h : r.hits) hits.push_back(hit_json(h, fields));
    results.push_back({{"hits", hits}, {"search_ms", ms}});
  }
  json reply = batch ? json{{"results", results}} : json{{"hits", results[0]["hits"]}};
  reply["took_ms"] = ms_since(t0);
  reply["encode_ms"] = encode_ms;
  reply["search_ms"] = search_ms;
  if (p.offset > 0) reply["offset"] = p.offset;
  const SearchParams used = p.with_model_weights(c->encoder().fusion_weights());
  if (used.fusion == Fusion::Weighted && (used.mode == SearchMode::DenseSparse || used.mode == SearchMode::All)) {
    const auto w = used.effective_weights();  // the request's, the model's (m3_fusion.json) or the paper's
    auto shown = [](float x) { return std::stod(std::to_string(x)); };  // 0.3, not the float's 0.30000001192...
    json listed = json::array();
    for (float x : shown_weights(used.mode, w)) listed.push_back(shown(x));
    reply["weights"] = listed;
  }
  return json_reply(200, reply, ctx.req);
}

// Round 1 of a sharded search (engine/shard_search.h): this shard's top-depth scores of the heads
// the mode pools, BM25's N and df for the query's terms, and whether its weights pool BM25. With a
// "shard_scope" holding BM25 statistics, round 1b: its top-depth BM25 scores under them. Same body
// as a search (one query); the embedding is kept for the next round.
Response handle_shard_stats(RouteContext& ctx) {
  auto c = ctx.collections.get(ctx.params[0]);
  const json body = parse_body(ctx);
  const SearchParams p = parse_search_body(ctx, body, {"query", "fields"}).with_model_weights(c->encoder().fusion_weights());
  parse_fields(body);
  bool batch = false;
  const auto queries = queries_of(body, ctx.options.limits, batch);
  if (batch) throw bad_request("shard statistics take one 'query'");
  ctx.mode_label = to_string(p.mode);
  const std::string key = QueryEmbeddingCache::key(c->encoder(), p.query_max_length, queries[0]);
  std::optional<Embedding> cached;
  if (p.shard_scope) cached = shard_round_cache().take(key);
  const Embedding embedding = cached ? std::move(*cached) : ctx.models.batcher_for(c->encoder()).encode(queries, p.query_max_length)[0];
  const auto stats = collect_shard_stats(*c->snapshot(), embedding, p);
  shard_round_cache().put(key, embedding);
  return json_reply(200, shard_stats_json(stats), ctx.req);
}

}  // namespace m3::http
