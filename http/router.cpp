#include "http/router.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "http/access_log.h"
#include "http/api_error.h"
#include "http/handlers.h"

namespace m3::http {

using json = nlohmann::json;
using V = beast_http::verb;

const std::vector<Route>& route_table() {
  static const std::vector<Route> routes = {
      {V::get, "/", "page", false, handle_page_index, "The search page (HTML; its files are compiled into the binary)"},
      {V::get, "/page/{file}", "page_asset", false, handle_page_asset, "A file of the search page (JavaScript, CSS)"},
      {V::get, "/health", "health", false, handle_health, "Liveness: 200 while the server runs"},
      {V::get, "/metrics", "metrics", false, handle_metrics, "Prometheus metrics (text format)"},
      {V::get, "/openapi.json", "openapi", false, handle_openapi, "This OpenAPI 3 description"},
      {V::get, "/models", "models", false, handle_models, "The models this server may use, by name"},
      {V::get, "/collections", "collections", false, handle_list_collections, "List collections"},
      {V::get, "/collections/{name}", "collection", false, handle_get_collection, "A collection's settings, counts and sizes"},
      {V::put, "/collections/{name}", "collection", true, handle_create_collection, "Create a collection"},
      {V::delete_, "/collections/{name}", "collection", true, handle_drop_collection, "Delete a collection and its files"},
      {V::post, "/collections/{name}/search", "search", false, handle_search, "Search: one query or a batch, any mode, filters, paging"},
      {V::post, "/collections/{name}/shard_stats", "shard_stats", false, handle_shard_stats,
       "Internal, round 1 of a sharded search: this shard's per-head top-depth scores and BM25 statistics for a query"},
      {V::post, "/collections/{name}/documents", "documents", true, handle_add_documents, "Add or replace documents (visible after commit)"},
      {V::get, "/collections/{name}/documents/{docid}", "document", false, handle_get_document, "A stored document by docid"},
      {V::delete_, "/collections/{name}/documents/{docid}", "document", true, handle_delete_document, "Delete a document (visible after commit)"},
      {V::post, "/collections/{name}/commit", "commit", true, handle_commit, "Make added and deleted documents visible, durably"},
      {V::post, "/encode", "encode", false, handle_encode, "M3 outputs of texts: dense, sparse, ColBERT (FlagEmbedding's return_* flags)"},
      {V::post, "/v1/embeddings", "embeddings", false, handle_openai_embeddings, "OpenAI-compatible dense embeddings"},
      {V::post, "/embed", "embed", false, handle_tei_embed, "text-embeddings-inference-compatible dense embeddings"},
      {V::post, "/embed_sparse", "embed_sparse", false, handle_tei_embed_sparse, "text-embeddings-inference-compatible sparse embeddings"},
  };
  return routes;
}

namespace {

std::string_view sv(boost::beast::string_view s) { return {s.data(), s.size()}; }

std::vector<std::string> split_path(std::string_view target) {
  const auto path = target.substr(0, target.find('?'));
  std::vector<std::string> parts;
  std::string cur;
  for (char c : path) {
    if (c == '/') {
      if (!cur.empty()) parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  return parts;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoding of a path segment (docids may hold '/', '#', spaces).
std::string url_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Every route's pattern split into segments once, in route_table() order.
const std::vector<std::vector<std::string>>& route_segments() {
  static const std::vector<std::vector<std::string>> segments = [] {
    std::vector<std::vector<std::string>> out;
    for (const auto& r : route_table()) out.push_back(split_path(r.pattern));
    return out;
  }();
  return segments;
}

// The pattern's {params} from `parts`, or false if the path has another shape.
bool match(const std::vector<std::string>& pat, const std::vector<std::string>& parts, std::vector<std::string>& params) {
  if (pat.size() != parts.size()) return false;
  std::vector<std::string> got;
  for (size_t i = 0; i < pat.size(); ++i) {
    if (pat[i].front() == '{') got.push_back(url_decode(parts[i]));
    else if (pat[i] != parts[i]) return false;
  }
  params = std::move(got);
  return true;
}

// Equal-length comparison that reads every byte whatever the content, so the time an attacker sees
// does not tell how much of a guess was right.
bool constant_time_equal(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

// Server-side paths never reach a client: the data directory becomes the collection-relative name.
std::string without_server_paths(std::string message, const std::string& data_dir) {
  if (data_dir.empty()) return message;
  for (const std::string& prefix : {data_dir + "/", data_dir}) {
    size_t at;
    while ((at = message.find(prefix)) != std::string::npos) message.erase(at, prefix.size());
  }
  return message;
}

}  // namespace

Router::Router(const ServerOptions& options, Collections& collections, Models& models, Metrics& metrics,
               Coordinator* coordinator)
    : options_(options), collections_(collections), models_(models), metrics_(metrics), coordinator_(coordinator) {}

Response Router::error(int status, const std::string& code, const std::string& message, const Request* req) const {
  Response res{static_cast<beast_http::status>(status), req ? req->version() : 11};
  res.set(beast_http::field::content_type, "application/json");
  res.keep_alive(req ? req->keep_alive() : false);
  res.body() = json{{"error", {{"code", code}, {"message", without_server_paths(message, options_.data_dir)}}}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
  res.prepare_payload();
  return res;
}

void Router::add_cors(Response& res) const {
  if (options_.cors_origin.empty()) return;
  res.set(beast_http::field::access_control_allow_origin, options_.cors_origin);
  if (options_.cors_origin != "*") res.set(beast_http::field::vary, "Origin");
}

Response Router::route(RouteContext& ctx, std::string& endpoint) {
  const auto parts = split_path(sv(ctx.req.target()));
  std::string allowed;
  for (size_t i = 0; i < route_table().size(); ++i) {
    const Route& r = route_table()[i];
    std::vector<std::string> params;
    if (!match(route_segments()[i], parts, params)) continue;
    endpoint = r.endpoint;
    if (r.method != ctx.req.method()) {
      allowed += (allowed.empty() ? "" : ", ") + std::string(beast_http::to_string(r.method));
      continue;
    }
    if (r.needs_key && !options_.api_key.empty() &&
        !constant_time_equal(sv(ctx.req[beast_http::field::authorization]), "Bearer " + options_.api_key))
      throw ApiError(401, "unauthorized", "this endpoint needs 'Authorization: Bearer <api key>'");
    ctx.params = std::move(params);
    return r.handler(ctx);
  }
  if (allowed.empty()) {
    endpoint = "other";
    throw not_found("no such endpoint: " + std::string(ctx.req.method_string()) + " " +
                    std::string(ctx.req.target().substr(0, 200)));
  }
  if (ctx.req.method() == V::options && !options_.cors_origin.empty()) {  // CORS preflight
    Response res{beast_http::status::no_content, ctx.req.version()};
    res.set(beast_http::field::access_control_allow_methods, allowed);
    res.set(beast_http::field::access_control_allow_headers, "Content-Type, Authorization");
    res.set(beast_http::field::access_control_max_age, "600");
    res.keep_alive(ctx.req.keep_alive());
    res.prepare_payload();
    return res;
  }
  Response res = error(405, "method_not_allowed",
                       std::string(ctx.req.method_string()) + " is not allowed here (allowed: " + allowed + ")", &ctx.req);
  res.set(beast_http::field::allow, allowed);
  return res;
}

Response Router::handle(const Request& req, const std::string& peer) {
  const auto t0 = std::chrono::steady_clock::now();
  std::string endpoint = "other";
  RouteContext ctx{req, {}, options_, collections_, models_, metrics_, "", coordinator_};
  Response res;
  try {
    res = route(ctx, endpoint);
  } catch (const ApiError& e) {
    res = error(e.status(), e.code(), e.what(), &req);
  } catch (const UsageError& e) {
    res = error(400, "bad_request", e.what(), &req);
  } catch (const InvalidInputError& e) {
    res = error(400, "bad_request", e.what(), &req);
  } catch (const NotFoundError& e) {
    res = error(404, "not_found", e.what(), &req);
  } catch (const CorruptionError& e) {
    log_error(std::string("corruption: ") + e.what());
    res = error(500, "corruption", e.what(), &req);
  } catch (const IoError& e) {
    log_error(std::string("I/O error: ") + e.what());
    res = error(503, "io_error", e.what(), &req);
  } catch (const std::bad_alloc&) {
    log_error("out of memory");
    res = error(503, "overloaded", "the server ran out of memory for this request", &req);
  } catch (const std::exception& e) {
    log_error(std::string("internal: ") + e.what());
    res = error(500, "internal", e.what(), &req);
  }
  add_cors(res);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  metrics_.observe(endpoint, ctx.mode_label, res.result_int(), seconds);
  if (options_.access_log) log_access(peer, sv(req.method_string()), sv(req.target()), res.result_int(), seconds * 1e3, res.body().size());
  return res;
}

Response Router::reject(int status, const std::string& code, const std::string& message, const std::string& peer) {
  Response res = error(status, code, message, nullptr);
  add_cors(res);
  metrics_.observe("other", "", status, 0);
  if (options_.access_log) log_access(peer, "-", "-", status, 0, res.body().size());
  return res;
}

}  // namespace m3::http
