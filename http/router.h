// Routing and the JSON API (issue 6): one function from a parsed HTTP request to a response.
//   GET  /health  /metrics  /collections  /collections/{name}
//   PUT  /collections/{name}            DELETE /collections/{name}
//   POST /collections/{name}/search     POST /collections/{name}/documents
//   DELETE /collections/{name}/documents/{docid}   POST /collections/{name}/commit
//   POST /encode
// Errors are {"error": {"code", "message"}} with a 4xx/5xx status; nothing a client sends crashes it.
#pragma once
#include <boost/beast/http.hpp>

#include "http/collections.h"
#include "http/metrics.h"
#include "http/server_options.h"

namespace m3::http {

namespace beast_http = boost::beast::http;
using Request = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;

class Router {
 public:
  Router(const ServerOptions& options, Collections& collections, Metrics& metrics);
  Response handle(const Request& req);
  // A JSON error response (also used by the server for 413/503 before routing).
  static Response error_response(int status, const std::string& code, const std::string& message, unsigned version,
                                 bool keep_alive);

 private:
  ServerOptions options_;
  Collections& collections_;
  Metrics& metrics_;
};

}  // namespace m3::http
