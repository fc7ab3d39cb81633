// Logging of `m3 serve` through spdlog: --log-level for everything, and one access-log line per
// request at info level: peer, method, path (without the query string), status, milliseconds, bytes.
#pragma once
#include <string>
#include <string_view>

namespace m3::http {

void configure_logging(const std::string& level);  // UsageError naming the valid levels
void log_access(std::string_view peer, std::string_view method, std::string_view target, int status, double ms, size_t bytes);
void log_error(const std::string& message);  // a 5xx's cause, for the operator (the client gets less)

}  // namespace m3::http
