// The endpoint handlers, one function per endpoint (route_table() in router.cpp binds them to paths),
// and the helpers they share for reading JSON bodies and writing JSON replies.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/collection.h"
#include "http/router.h"

namespace m3::http {

using json = nlohmann::json;

// ---- request bodies (http/request_body.cpp)
// The body as a JSON object within the server's limits (size, nesting depth); 400 naming the problem.
json parse_body(const RouteContext& ctx, bool empty_means_object = false);
// 400 for a key of `body` not in `known` (named, with the known keys listed).
void reject_unknown_fields(const json& body, const std::vector<std::string>& known, const std::string& where = "");
// A search body's settings under the server's bounds (engine/search_request.h), `other_keys` allowed
// beside them; sets ctx.mode_label first (a fixed name or "invalid": metrics never carry client text).
SearchParams parse_search_body(RouteContext& ctx, const json& body, const std::vector<std::string>& other_keys);
// body["documents"]: an array of 1 to limits.max_documents entries (400 otherwise).
const json& documents_array(const RouteContext& ctx, const json& body);
std::string string_field(const json& body, const char* key, const std::string& fallback, bool required = false);
bool bool_field(const json& body, const char* key, bool fallback);
int int_field(const json& body, const char* key, int fallback, int lo, int hi);
double number_field(const json& body, const char* key, double fallback, double lo, double hi);
// A string or an array of strings (OpenAI's "input", TEI's "inputs"): 1..max texts, each valid UTF-8
// within max_bytes.
std::vector<std::string> texts_field(const json& body, const char* key, size_t max_texts, size_t max_bytes);
Response json_reply(int status, const json& body, const Request& req);

// ---- system (handle_system.cpp)
Response handle_health(RouteContext& ctx);
Response handle_metrics(RouteContext& ctx);
Response handle_openapi(RouteContext& ctx);
Response handle_models(RouteContext& ctx);
// ---- the search page (handle_page.cpp)
Response handle_page_index(RouteContext& ctx);
Response handle_page_asset(RouteContext& ctx);
// ---- collections (handle_collections.cpp)
Response handle_list_collections(RouteContext& ctx);
Response handle_get_collection(RouteContext& ctx);
Response handle_create_collection(RouteContext& ctx);
Response handle_drop_collection(RouteContext& ctx);
Response handle_commit(RouteContext& ctx);
// ---- search (handle_search.cpp)
Response handle_search(RouteContext& ctx);
Response handle_shard_stats(RouteContext& ctx);  // internal: round 1 of a sharded search
// Which hit fields a search reply shows ("fields"), and one hit in that form (the coordinator too).
struct HitFields {
  bool docid = true, score = true, scores = true, title = true, text = true, metadata = false;
};
HitFields parse_fields(const json& body);
json hit_json(const Hit& h, const HitFields& f);
// ---- documents (handle_documents.cpp)
Response handle_add_documents(RouteContext& ctx);
Response handle_get_document(RouteContext& ctx);
Response handle_delete_document(RouteContext& ctx);
// A document of a request body, checked (400 naming `where`): the server's and the coordinator's.
Document document_from_json(const json& d, const std::string& where, const Limits& limits);
// ---- embeddings (handle_embed.cpp)
Response handle_encode(RouteContext& ctx);
Response handle_openai_embeddings(RouteContext& ctx);
Response handle_tei_embed(RouteContext& ctx);
Response handle_tei_embed_sparse(RouteContext& ctx);

// The OpenAPI 3 document of route_table() (openapi.cpp).
json openapi_document();

}  // namespace m3::http
