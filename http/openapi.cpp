// The OpenAPI 3 description, generated from route_table() so the document and the server's real
// routes cannot drift apart (tests/http checks both ways), with request schemas for the bodies.
#include "engine/search_request.h"
#include "http/handlers.h"

namespace m3::http {

namespace {

json error_schema() {
  return {{"type", "object"},
          {"properties", {{"error", {{"type", "object"}, {"properties", {{"code", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}};
}

json texts_schema() {
  return {{"oneOf", json::array({{{"type", "string"}}, {{"type", "array"}, {"items", {{"type", "string"}}}}})}};
}

// The request body schema of a route, by its metrics name (null: no body).
json request_schema(const std::string& endpoint, beast_http::verb method) {
  const json str = {{"type", "string"}}, integer = {{"type", "integer"}}, boolean = {{"type", "boolean"}};
  if (endpoint == "search" || endpoint == "shard_stats") {
    json props = {{"query", str}, {"queries", {{"type", "array"}, {"items", str}}},
                  {"fields", {{"type", "array"}, {"items", {{"type", "string"}, {"enum", {"docid", "score", "scores", "title", "text", "metadata"}}}}}}};
    for (const auto& k : search_request_keys())
      if (!props.contains(k)) props[k] = k == "filter" ? json{{"type", "object"}, {"description", "metadata filter: {field, eq|in|range} or {and|or: [...]} or {not: {...}}"}} :
                                         k == "shard_scope" ? json{{"type", "object"}, {"description", "internal, set by a sharded collection's coordinator: {dense_floor, sparse_floor, bm25: {documents, df: [[term, df]]}}"}} : k == "weights" ? json{{"type", "array"}, {"items", {{"type", "number"}}}} :
                                         (k == "mode" || k == "fusion" || k == "sparse_algo") ? str : integer;
    props["mode"]["enum"] = search_mode_names();
    return {{"type", "object"}, {"additionalProperties", false}, {"properties", props}};
  }
  if (endpoint == "collection" && method == beast_http::verb::put)
    return {{"type", "object"}, {"additionalProperties", false},
            {"properties", {{"model", str}, {"dense", str}, {"mv_codec", str}, {"mv_bits", integer}, {"passage_max_length", integer}, {"bm25_avgdl", {{"type", "number"}}}}}};
  if (endpoint == "documents") {
    json doc = {{"type", "object"}, {"additionalProperties", false}, {"required", {"docid", "text"}},
                {"properties", {{"docid", str}, {"title", str}, {"text", str}, {"metadata", {{"type", "object"}}}}}};
    return {{"type", "object"}, {"additionalProperties", false}, {"required", {"documents"}},
            {"properties", {{"documents", {{"type", "array"}, {"items", doc}}}}}};
  }
  if (endpoint == "encode")
    return {{"type", "object"}, {"additionalProperties", false}, {"required", {"texts"}},
            {"properties", {{"texts", {{"type", "array"}, {"items", str}}}, {"model", str}, {"max_length", integer},
                            {"return_dense", boolean}, {"return_sparse", boolean}, {"return_colbert_vecs", boolean},
                            {"sparse_keys", {{"type", "string"}, {"enum", {"ids", "tokens"}}}}}}};
  if (endpoint == "embeddings")
    return {{"type", "object"}, {"additionalProperties", false}, {"required", {"input"}},
            {"properties", {{"input", texts_schema()}, {"model", str}, {"encoding_format", {{"type", "string"}, {"enum", {"float", "base64"}}}},
                            {"dimensions", integer}, {"user", str}}}};
  if (endpoint == "embed" || endpoint == "embed_sparse") {
    json props = {{"inputs", texts_schema()}, {"truncate", boolean}, {"truncation_direction", str}};
    if (endpoint == "embed") props["normalize"] = boolean;
    return {{"type", "object"}, {"additionalProperties", false}, {"required", {"inputs"}}, {"properties", props}};
  }
  return nullptr;
}

// What the page routes answer with (the page is not JSON).
json page_content(const std::string& pattern) {
  if (pattern == "/") return {{"text/html", json::object()}};
  return {{"text/javascript", json::object()}, {"text/css", json::object()}};
}

}  // namespace

json openapi_document() {
  json paths = json::object();
  for (const auto& r : route_table()) {
    std::string method(beast_http::to_string(r.method));
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    json op = {{"summary", r.summary}, {"operationId", method + "_" + std::string(r.endpoint)}};
    json params = json::array();
    const std::string pattern = r.pattern;
    for (size_t at = pattern.find('{'); at != std::string::npos; at = pattern.find('{', at + 1))
      params.push_back({{"name", pattern.substr(at + 1, pattern.find('}', at) - at - 1)}, {"in", "path"}, {"required", true},
                        {"schema", {{"type", "string"}}}});
    if (!params.empty()) op["parameters"] = params;
    const json schema = request_schema(r.endpoint, r.method);
    if (!schema.is_null()) op["requestBody"] = {{"required", true}, {"content", {{"application/json", {{"schema", schema}}}}}};
    if (r.needs_key) op["security"] = json::array({{{"bearer", json::array()}}});
    const json content = {{"application/json", {{"schema", error_schema()}}}};
    op["responses"] = {{r.method == beast_http::verb::put ? "201" : (r.endpoint == std::string("documents") || r.endpoint == std::string("document")) &&
                                                                          r.method != beast_http::verb::get ? "202" : "200",
                        std::string(r.endpoint).rfind("page", 0) == 0 ? json{{"description", "success"}, {"content", page_content(r.pattern)}}
                                                          : json{{"description", "success"}}},
                       {"4XX", {{"description", "the client's mistake (bad_request, unauthorized, not_found, ...)"}, {"content", content}}},
                       {"5XX", {{"description", "a fault on the server's side (corruption, io_error, internal)"}, {"content", content}}}};
    paths[r.pattern][method] = op;
  }
  return {{"openapi", "3.0.3"},
          {"info", {{"title", "m3 search API"}, {"version", "1"}, {"description", "Hybrid search with the M3 embedding model: dense, sparse, multi-vector and BM25."}}},
          {"paths", paths},
          {"components", {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}}};
}

}  // namespace m3::http
