// An HTTP-level error: status code, a stable machine-readable code and a message naming the problem.
// Handlers throw it; the router turns it (and m3::Error kinds) into {"error": {"code", "message"}}.
#pragma once
#include <string>

#include "common/error.h"

namespace m3::http {

class ApiError : public Error {
 public:
  ApiError(int status, std::string code, const std::string& message) : Error(message), status_(status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

inline ApiError bad_request(const std::string& m) { return ApiError(400, "bad_request", m); }
inline ApiError not_found(const std::string& m) { return ApiError(404, "not_found", m); }

}  // namespace m3::http
