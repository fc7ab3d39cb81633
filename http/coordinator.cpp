#include "http/coordinator.h"

#include <chrono>
#include <map>

#include "common/json_input.h"
#include "engine/result_merge.h"
#include "engine/search_request.h"
#include "engine/shard_routing.h"
#include "engine/shard_search.h"
#include "http/api_error.h"
#include "http/handlers.h"

namespace m3::http {

namespace {

using V = boost::beast::http::verb;

std::string percent_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else { out += '%'; out += hex[c >> 4]; out += hex[c & 15]; }
  }
  return out;
}

std::string authorization_of(const RouteContext& ctx) {
  const auto a = ctx.req[boost::beast::http::field::authorization];
  return std::string(a.data(), a.size());
}

// A shard's reply body: bounded JSON (the client already capped its size), an object.
json parse_shard_json(const ShardReply& r, size_t shard, size_t max_bytes) {
  JsonLimits limits;
  limits.max_bytes = max_bytes;
  limits.max_depth = 64;
  json j;
  try {
    j = parse_json_input(r.body, "shard " + std::to_string(shard) + " reply", limits);
  } catch (const InvalidInputError& e) {
    throw ApiError(502, "bad_shard_reply", e.what());
  }
  if (!j.is_object()) throw ApiError(502, "bad_shard_reply", "shard " + std::to_string(shard) + " reply: not a JSON object");
  return j;
}

// A shard's 4xx is the client's mistake (the same request would fail unsharded): passed on.
[[noreturn]] void pass_on_client_error(const ShardReply& r, size_t shard, size_t max_bytes) {
  std::string message = "shard " + std::to_string(shard) + " refused the request";
  try {
    const json j = parse_shard_json(r, shard, max_bytes);
    if (j.contains("error") && j["error"].is_object() && j["error"].contains("message") && j["error"]["message"].is_string())
      message = j["error"]["message"].get<std::string>().substr(0, 2000);
  } catch (const ApiError&) {
  }
  throw ApiError(r.status, r.status == 404 ? "not_found" : "bad_request", message);
}

std::optional<float> optional_score(const json& scores, const char* key, const std::string& what) {
  if (!scores.contains(key)) return std::nullopt;
  return static_cast<float>(json_number(scores[key], -1e30, 1e30, what + "." + key));
}

std::string optional_string(const json& h, const char* key, const std::string& what) {
  if (!h.contains(key)) return "";
  if (!h[key].is_string()) throw InvalidInputError(what + ": '" + key + "' must be a string");
  return h[key].get<std::string>();
}

std::vector<Hit> hits_of(const json& reply, size_t max_hits, const std::string& what) {
  if (!reply.contains("hits") || !reply["hits"].is_array() || reply["hits"].size() > max_hits)
    throw InvalidInputError(what + ": 'hits' must be an array of at most " + std::to_string(max_hits));
  std::vector<Hit> out;
  for (const auto& h : reply["hits"]) {
    if (!h.is_object() || !h.contains("docid") || !h["docid"].is_string())
      throw InvalidInputError(what + ": each hit must be an object with a string 'docid'");
    Hit hit;
    hit.docid = h["docid"].get<std::string>();
    hit.score = static_cast<float>(json_number(h.value("score", json(0.0)), -1e30, 1e30, what + ".score"));
    if (h.contains("scores")) {
      const auto& s = h["scores"];
      if (!s.is_object()) throw InvalidInputError(what + ": 'scores' must be an object");
      hit.scores.dense = optional_score(s, "dense", what);
      hit.scores.sparse = optional_score(s, "sparse", what);
      hit.scores.multivec = optional_score(s, "multivec", what);
      hit.scores.bm25 = optional_score(s, "bm25", what);
    }
    hit.title = optional_string(h, "title", what);
    hit.text = optional_string(h, "text", what);
    hit.metadata_json = h.contains("metadata") && h["metadata"].is_object() ? h["metadata"].dump() : "{}";
    out.push_back(std::move(hit));
  }
  return out;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Coordinator::Coordinator(ShardMap map, const CoordinatorOptions& options)
    : map_(std::move(map)), options_(options), client_(std::make_unique<ShardClient>(options.client)) {}

std::vector<Coordinator::ShardAnswer> Coordinator::read_from_shards(const ShardedCollection& sc, const std::vector<size_t>& shards,
                                                                    V method, const std::string& target, const std::string& body,
                                                                    const std::string& authorization, bool not_found_is_an_answer) {
  std::vector<ShardAnswer> answers(sc.shards.size());
  const uint64_t start = rotation_++;
  std::vector<size_t> pending = shards;
  for (size_t attempt = 0; !pending.empty(); ++attempt) {
    std::vector<ShardRequest> reqs;
    std::vector<size_t> asked;
    for (size_t s : pending) {
      const auto& replicas = sc.shards[s];
      if (attempt >= replicas.size()) continue;  // every replica tried
      reqs.push_back({&replicas[(start + attempt) % replicas.size()], method, target, body, authorization});
      asked.push_back(s);
    }
    if (reqs.empty()) break;
    const auto replies = client_->send_all(reqs);
    pending.clear();
    for (size_t i = 0; i < asked.size(); ++i) {
      const size_t s = asked[i];
      const auto& r = replies[i];
      const bool client_mistake = r.status >= 400 && r.status < 500 && (r.status != 404 || not_found_is_an_answer);
      if (r.ok() || client_mistake) {
        answers[s].answered = true;
        answers[s].reply = r;
      } else {
        answers[s].failures += (answers[s].failures.empty() ? "" : "; ") + reqs[i].replica->url + ": " +
                               (r.status ? "HTTP " + std::to_string(r.status) : r.error);
        pending.push_back(s);
      }
    }
  }
  return answers;
}

Response Coordinator::search(RouteContext& ctx) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string& name = ctx.params[0];
  const auto& sc = map_.at(name);
  const json body = parse_body(ctx);
  if (body.contains("queries")) throw bad_request("a sharded collection takes one 'query' per search request, not 'queries'");
  if (body.contains("shard_scope")) throw bad_request("'shard_scope' is set by the coordinator, not by clients");
  const SearchParams p = parse_search_body(ctx, body, {"query", "fields"});
  const HitFields fields = parse_fields(body);
  if (!body.contains("query") || !body["query"].is_string()) throw bad_request("'query' must be a string");
  if (body["query"].get<std::string>().size() > ctx.options.limits.max_query_bytes)
    throw bad_request("'query' exceeds " + std::to_string(ctx.options.limits.max_query_bytes) + " bytes");
  // Every shard returns its top-(k + offset); the page is cut after the merge.
  if (p.k + p.offset > ctx.options.limits.max_k)
    throw bad_request("on a sharded collection k + offset must be at most " + std::to_string(ctx.options.limits.max_k) +
                      " (each shard returns its top k + offset)");
  SearchParams asked = p;
  asked.k = p.k + p.offset;
  asked.offset = 0;
  json shard_body = body;
  shard_body.erase("offset");
  shard_body["k"] = asked.k;
  shard_body["fields"] = {"docid", "score", "scores", "title", "text", "metadata"};

  std::vector<size_t> live(sc.shards.size());
  for (size_t i = 0; i < live.size(); ++i) live[i] = i;
  std::vector<size_t> missing;
  std::map<size_t, std::string> why_missing;
  const std::string auth = authorization_of(ctx);
  const std::string base = "/collections/" + percent_encode(name);
  auto drop_missing = [&](const std::vector<ShardAnswer>& answers) {
    std::vector<size_t> still;
    for (size_t s : live) {
      if (answers[s].answered) {
        if (!answers[s].reply.ok()) pass_on_client_error(answers[s].reply, s, client_->options().max_reply_bytes);
        still.push_back(s);
      } else {
        missing.push_back(s);
        why_missing[s] = answers[s].failures;
      }
    }
    live = still;
  };

  const bool two_rounds = needs_shard_stats(asked);  // UsageError (400) for rrf
  if (two_rounds) {
    // One shard_stats round over the live shards (round 1, or 1b with the scope in the body).
    auto stats_round = [&](const std::string& what) {
      const auto answers = read_from_shards(sc, live, V::post, base + "/shard_stats", shard_body.dump(), auth, false);
      drop_missing(answers);
      std::vector<ShardStats> stats;
      for (size_t s : live) {
        try {
          stats.push_back(parse_shard_stats(parse_shard_json(answers[s].reply, s, client_->options().max_reply_bytes),
                                            static_cast<size_t>(pool_depth(asked)), 8192, "shard " + std::to_string(s) + " " + what));
        } catch (const InvalidInputError& e) {
          throw ApiError(502, "bad_shard_reply", e.what());
        }
      }
      return stats;
    };
    const std::vector<ShardStats> stats = stats_round("statistics");
    ShardScope scope = combine_shard_stats(stats, asked);
    if (needs_bm25_round(stats) && !live.empty()) {  // round 1b: BM25's floor under the global statistics
      shard_body["shard_scope"] = shard_scope_json(scope);
      add_bm25_floor(scope, stats_round("BM25 scores"), asked);
    }
    shard_body["shard_scope"] = shard_scope_json(scope);
  }
  std::vector<std::vector<Hit>> lists;
  json weights;
  if (!live.empty()) {
    const auto answers = read_from_shards(sc, live, V::post, base + "/search", shard_body.dump(), auth, false);
    drop_missing(answers);
    for (size_t s : live) {
      const json reply = parse_shard_json(answers[s].reply, s, client_->options().max_reply_bytes);
      try {
        lists.push_back(hits_of(reply, static_cast<size_t>(asked.k), "shard " + std::to_string(s) + " hits"));
      } catch (const InvalidInputError& e) {
        throw ApiError(502, "bad_shard_reply", e.what());
      }
      if (weights.is_null() && reply.contains("weights") && reply["weights"].is_array() && reply["weights"].size() <= 4) weights = reply["weights"];
    }
  }
  std::sort(missing.begin(), missing.end());
  if (!missing.empty() && options_.require_all_shards) {
    std::string list;
    for (size_t s : missing) list += (list.empty() ? "" : "; ") + std::string("shard ") + std::to_string(s) + " (" + why_missing[s] + ")";
    throw ApiError(503, "shard_unavailable", "no live replica for " + list);
  }
  const auto merged = merge_shard_hits(std::move(lists), p.k, p.offset);
  json hits = json::array();
  for (const auto& h : merged) hits.push_back(hit_json(h, fields));
  json reply = {{"hits", hits}, {"took_ms", ms_since(t0)}, {"shards", sc.shards.size()}};
  if (p.offset > 0) reply["offset"] = p.offset;
  if (!weights.is_null()) reply["weights"] = weights;
  if (!missing.empty()) {
    reply["partial"] = true;
    reply["missing_shards"] = missing;
  }
  return json_reply(200, reply, ctx.req);
}

Response Coordinator::add_documents(RouteContext& ctx) {
  const std::string& name = ctx.params[0];
  const auto& sc = map_.at(name);
  const json body = parse_body(ctx);
  reject_unknown_fields(body, {"documents"});
  const json& arr = documents_array(ctx, body);
  // Every document checked before any is sent (a bad one sends none), then grouped by shard.
  std::map<size_t, json> by_shard;
  for (size_t i = 0; i < arr.size(); ++i) {
    const Document d = document_from_json(arr[i], "documents[" + std::to_string(i) + "]", ctx.options.limits);
    json doc = arr[i];
    doc["docid"] = d.docid;  // an integer docid routes and is stored as its decimal text
    by_shard[shard_of(d.docid, static_cast<uint32_t>(sc.shards.size()))].push_back(doc);
  }
  std::vector<ShardRequest> reqs;
  std::vector<size_t> shard_of_req;
  const std::string target = "/collections/" + percent_encode(name) + "/documents";
  std::map<size_t, std::string> bodies;
  for (auto& [s, docs] : by_shard) bodies[s] = json{{"documents", docs}}.dump();
  for (const auto& [s, b] : bodies)
    for (const auto& r : sc.shards[s]) {
      reqs.push_back({&r, V::post, target, b, authorization_of(ctx)});
      shard_of_req.push_back(s);
    }
  const auto replies = client_->send_all(reqs);
  std::string failed;
  json per_shard = json::object();
  for (size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].status >= 400 && replies[i].status < 500) pass_on_client_error(replies[i], shard_of_req[i], client_->options().max_reply_bytes);
    if (!replies[i].ok())
      failed += (failed.empty() ? "" : "; ") + std::string("shard ") + std::to_string(shard_of_req[i]) + " at " + reqs[i].replica->url +
                ": " + (replies[i].status ? "HTTP " + std::to_string(replies[i].status) : replies[i].error);
  }
  if (!failed.empty())
    throw ApiError(503, "shard_unavailable", "not every replica took the documents (retry the request; writes replace by docid): " + failed);
  for (const auto& [s, docs] : by_shard) per_shard[std::to_string(s)] = docs.size();
  return json_reply(202, {{"accepted", arr.size()}, {"shards", per_shard}}, ctx.req);
}

Response Coordinator::get_document(RouteContext& ctx) {
  const auto& sc = map_.at(ctx.params[0]);
  const std::string& docid = ctx.params[1];
  const size_t s = shard_of(docid, static_cast<uint32_t>(sc.shards.size()));
  const auto answers = read_from_shards(sc, {s}, V::get, "/collections/" + percent_encode(ctx.params[0]) + "/documents/" + percent_encode(docid),
                                        "", authorization_of(ctx), true);
  if (!answers[s].answered) throw ApiError(503, "shard_unavailable", "no live replica for shard " + std::to_string(s) + " (" + answers[s].failures + ")");
  if (!answers[s].reply.ok()) pass_on_client_error(answers[s].reply, s, client_->options().max_reply_bytes);
  return json_reply(200, parse_shard_json(answers[s].reply, s, client_->options().max_reply_bytes), ctx.req);
}

Response Coordinator::delete_document(RouteContext& ctx) {
  const auto& sc = map_.at(ctx.params[0]);
  const std::string& docid = ctx.params[1];
  const size_t s = shard_of(docid, static_cast<uint32_t>(sc.shards.size()));
  std::vector<ShardRequest> reqs;
  for (const auto& r : sc.shards[s])
    reqs.push_back({&r, V::delete_, "/collections/" + percent_encode(ctx.params[0]) + "/documents/" + percent_encode(docid), "",
                    authorization_of(ctx)});
  const auto replies = client_->send_all(reqs);
  std::string failed;
  size_t not_found_count = 0;
  for (size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].status == 404) { ++not_found_count; continue; }
    if (replies[i].status >= 400 && replies[i].status < 500) pass_on_client_error(replies[i], s, client_->options().max_reply_bytes);
    if (!replies[i].ok())
      failed += (failed.empty() ? "" : "; ") + reqs[i].replica->url + ": " + (replies[i].status ? "HTTP " + std::to_string(replies[i].status) : replies[i].error);
  }
  if (!failed.empty()) throw ApiError(503, "shard_unavailable", "shard " + std::to_string(s) + ": not every replica took the delete: " + failed);
  if (not_found_count == replies.size()) throw not_found("no document '" + docid.substr(0, 256) + "' in '" + ctx.params[0] + "'");
  return json_reply(202, {{"deleted", docid}, {"shard", s}}, ctx.req);
}

Response Coordinator::commit(RouteContext& ctx) {
  const auto& sc = map_.at(ctx.params[0]);
  if (!ctx.req.body().empty()) reject_unknown_fields(parse_body(ctx), {});
  std::vector<ShardRequest> reqs;
  std::vector<size_t> shard_of_req;
  for (size_t s = 0; s < sc.shards.size(); ++s)
    for (const auto& r : sc.shards[s]) {
      reqs.push_back({&r, V::post, "/collections/" + percent_encode(ctx.params[0]) + "/commit", "", authorization_of(ctx)});
      shard_of_req.push_back(s);
    }
  const auto replies = client_->send_all(reqs);
  std::string failed;
  for (size_t i = 0; i < replies.size(); ++i)
    if (!replies[i].ok())
      failed += (failed.empty() ? "" : "; ") + std::string("shard ") + std::to_string(shard_of_req[i]) + " at " + reqs[i].replica->url +
                ": " + (replies[i].status ? "HTTP " + std::to_string(replies[i].status) : replies[i].error);
  if (!failed.empty()) throw ApiError(503, "shard_unavailable", "commit did not reach every replica (retry it): " + failed);
  return json_reply(200, {{"committed", reqs.size()}, {"shards", sc.shards.size()}}, ctx.req);
}

Response Coordinator::describe(RouteContext& ctx) {
  const auto& sc = map_.at(ctx.params[0]);
  json shards = json::array();
  for (const auto& replicas : sc.shards) {
    json urls = json::array();
    for (const auto& r : replicas) urls.push_back(r.url);
    shards.push_back(urls);
  }
  return json_reply(200, {{"name", ctx.params[0]}, {"sharded", true}, {"shards", shards}}, ctx.req);
}

}  // namespace m3::http
