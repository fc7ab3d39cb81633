// Routing: the one table of endpoints (route_table(): method, path pattern, metrics name, whether it
// writes, the handler, a summary for the OpenAPI description), and the Router that matches a request
// against it, checks the API key, runs the handler, maps errors to status codes, records metrics and
// writes the access log.
//   Client mistakes: 400 bad_request, 401 unauthorized, 404 not_found, 405 method_not_allowed,
//   409 conflict, 413 payload_too_large (also 408, 431 from the connection).
//   Server faults: 500 corruption (damaged files), 503 io_error (the OS refused), 500 internal.
// Error bodies are {"error": {"code", "message"}}; messages never show the server's directories.
#pragma once
#include <boost/beast/http.hpp>
#include <string>
#include <vector>

#include "http/collections.h"
#include "http/metrics.h"
#include "http/models.h"
#include "http/server_options.h"

namespace m3::http {

namespace beast_http = boost::beast::http;
using Request = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;

// What a handler gets: the request, its path parameters ({name}, {docid}, decoded) and the server.
class Coordinator;  // http/coordinator.h

struct RouteContext {
  const Request& req;
  std::vector<std::string> params;
  const ServerOptions& options;
  Collections& collections;
  Models& models;
  Metrics& metrics;
  std::string mode_label;  // set by the search handler: a mode name or "invalid"
  Coordinator* coordinator = nullptr;  // m3 serve --shard-map: answers for the sharded collections
};

using Handler = Response (*)(RouteContext&);

struct Route {
  beast_http::verb method;
  const char* pattern;   // "/collections/{name}/documents/{docid}"
  const char* endpoint;  // metrics label (fixed)
  bool needs_key;        // writes: "Authorization: Bearer <api key>" when the server has one
  Handler handler;
  const char* summary;
};

const std::vector<Route>& route_table();

class Router {
 public:
  Router(const ServerOptions& options, Collections& collections, Models& models, Metrics& metrics,
         Coordinator* coordinator = nullptr);
  Response handle(const Request& req, const std::string& peer);
  // A request refused before routing (malformed, too large, too slow, too many connections).
  Response reject(int status, const std::string& code, const std::string& message, const std::string& peer);

 private:
  Response route(RouteContext& ctx, std::string& endpoint);
  Response error(int status, const std::string& code, const std::string& message, const Request* req) const;
  void add_cors(Response& res) const;
  const ServerOptions& options_;
  Collections& collections_;
  Models& models_;
  Metrics& metrics_;
  Coordinator* coordinator_;
};

}  // namespace m3::http
