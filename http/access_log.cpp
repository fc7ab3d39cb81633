#include "http/access_log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "common/error.h"

namespace m3::http {

namespace {
std::shared_ptr<spdlog::logger> logger() {
  static std::shared_ptr<spdlog::logger> l = [] {
    auto lg = spdlog::get("m3.serve");
    return lg ? lg : spdlog::stderr_logger_mt("m3.serve");
  }();
  return l;
}

// Control characters never reach the log as themselves (a client cannot forge log lines).
std::string printable(std::string_view s, size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  if (s.size() > max) out += "...";
  return out;
}
}  // namespace

void configure_logging(const std::string& level) {
  const auto lv = spdlog::level::from_str(level);
  if (lv == spdlog::level::off && level != "off")
    throw UsageError("--log-level " + level + ": expected trace, debug, info, warn, error, critical or off");
  logger()->set_level(lv);
  logger()->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
}

void log_access(std::string_view peer, std::string_view method, std::string_view target, int status, double ms, size_t bytes) {
  auto l = logger();
  if (!l->should_log(spdlog::level::info)) return;
  const auto path = target.substr(0, target.find('?'));
  l->info("{} {} {} {} {:.2f}ms {}B", peer.empty() ? "-" : std::string(peer), printable(method, 16), printable(path, 256), status,
          ms, bytes);
}

void log_error(const std::string& message) { logger()->error("{}", printable(message, 2000)); }

}  // namespace m3::http
