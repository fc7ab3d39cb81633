// Reading JSON request bodies strictly: bounded, an object, known keys only, typed fields.
#include <algorithm>

#include "common/json_input.h"
#include "common/utf8.h"
#include "engine/search_request.h"
#include "http/api_error.h"
#include "http/handlers.h"

namespace m3::http {

json parse_body(const RouteContext& ctx, bool empty_means_object) {
  const auto& body = ctx.req.body();
  if (body.empty()) {
    if (empty_means_object) return json::object();
    throw bad_request("request body is empty; expected a JSON object");
  }
  JsonLimits limits;
  limits.max_bytes = ctx.options.limits.max_body_bytes;
  limits.max_depth = ctx.options.limits.max_json_depth;
  json j = parse_json_input(body, "request body", limits);  // InvalidInputError -> 400
  if (!j.is_object()) throw bad_request("request body must be a JSON object");
  return j;
}

void reject_unknown_fields(const json& body, const std::vector<std::string>& known, const std::string& where) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) != known.end()) continue;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw bad_request("unknown field '" + where + it.key() + "' (known: " + list + ")");
  }
}

std::string string_field(const json& body, const char* key, const std::string& fallback, bool required) {
  if (!body.contains(key) || body[key].is_null()) {
    if (required) throw bad_request(std::string("missing string field '") + key + "'");
    return fallback;
  }
  if (!body[key].is_string()) throw bad_request(std::string("field '") + key + "' must be a string");
  return body[key].get<std::string>();
}

bool bool_field(const json& body, const char* key, bool fallback) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  if (!body[key].is_boolean()) throw bad_request(std::string("field '") + key + "' must be true or false");
  return body[key].get<bool>();
}

int int_field(const json& body, const char* key, int fallback, int lo, int hi) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  const auto& v = body[key];
  const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  if (!v.is_number_integer()) throw bad_request(std::string("field '") + key + "' must be an integer in " + range);
  const long long x = v.is_number_unsigned() ? static_cast<long long>(std::min<uint64_t>(v.get<uint64_t>(), INT64_MAX)) : v.get<long long>();
  if (x < lo || x > hi) throw bad_request(std::string("field '") + key + "' must be in " + range + ", got " + std::to_string(x));
  return static_cast<int>(x);
}

double number_field(const json& body, const char* key, double fallback, double lo, double hi) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  const auto& v = body[key];
  const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  if (!v.is_number()) throw bad_request(std::string("field '") + key + "' must be a number in " + range);
  const double x = v.get<double>();
  if (!(x >= lo && x <= hi)) throw bad_request(std::string("field '") + key + "' must be in " + range + ", got " + v.dump());
  return x;
}

std::vector<std::string> texts_field(const json& body, const char* key, size_t max_texts, size_t max_bytes) {
  if (!body.contains(key)) throw bad_request(std::string("missing field '") + key + "' (a string or an array of strings)");
  const auto& v = body[key];
  std::vector<std::string> texts;
  if (v.is_string()) {
    texts.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) throw bad_request(std::string(key) + "[" + std::to_string(i) + "] must be a string");
      texts.push_back(v[i].get<std::string>());
    }
  } else {
    throw bad_request(std::string("field '") + key + "' must be a string or an array of strings");
  }
  if (texts.empty() || texts.size() > max_texts)
    throw bad_request(std::string("'") + key + "' must hold 1 to " + std::to_string(max_texts) + " texts");
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string where = std::string(key) + "[" + std::to_string(i) + "]";
    if (texts[i].size() > max_bytes) throw bad_request(where + ": " + std::to_string(texts[i].size()) + " bytes exceed the limit of " + std::to_string(max_bytes));
    const size_t bad = find_invalid_utf8(texts[i]);
    if (bad != std::string::npos) throw bad_request(where + ": invalid UTF-8 at byte " + std::to_string(bad));
  }
  return texts;
}

Response json_reply(int status, const json& body, const Request& req) {
  Response res{static_cast<beast_http::status>(status), req.version()};
  res.set(beast_http::field::content_type, "application/json");
  res.keep_alive(req.keep_alive());
  res.body() = body.dump(-1, ' ', false, json::error_handler_t::replace);
  res.prepare_payload();
  return res;
}

SearchParams parse_search_body(RouteContext& ctx, const json& body, const std::vector<std::string>& other_keys) {
  ctx.mode_label = "all";
  if (body.contains("mode")) {
    ctx.mode_label = "invalid";
    if (body["mode"].is_string())
      for (const auto& m : search_mode_names())
        if (m == body["mode"].get<std::string>()) ctx.mode_label = m;
  }
  SearchBounds bounds;
  bounds.max_k = ctx.options.limits.max_k;
  bounds.max_offset = ctx.options.limits.max_offset;
  bounds.max_depth = ctx.options.limits.max_depth;
  return parse_search_request(body, bounds, other_keys);
}

const json& documents_array(const RouteContext& ctx, const json& body) {
  if (!body.contains("documents") || !body["documents"].is_array()) throw bad_request("missing array field 'documents'");
  const auto& arr = body["documents"];
  if (arr.empty() || arr.size() > ctx.options.limits.max_documents)
    throw bad_request("'documents' must hold 1 to " + std::to_string(ctx.options.limits.max_documents) + " documents");
  return arr;
}

}  // namespace m3::http
