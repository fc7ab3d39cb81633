#include "trainer/progress.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace m3::trainer {

std::string format_duration(double s) {
  char buf[32];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s) / 3600, (static_cast<int>(s) % 3600) / 60);
  }
  return buf;
}

std::string progress_line(const ProgressWindow& w) {
  char buf[256];
  std::string line = "[" + w.stage + "] step " + std::to_string(w.step);
  if (w.total > 0) {
    std::snprintf(buf, sizeof buf, "/%lld (%.0f%%)", static_cast<long long>(w.total), 100.0 * static_cast<double>(w.step) / static_cast<double>(w.total));
    line += buf;
  }
  std::snprintf(buf, sizeof buf, " | loss %.4f |", w.loss);
  line += buf;
  for (const auto& [name, v] : w.parts) {
    std::snprintf(buf, sizeof buf, " %s %.4f", name.c_str(), v);
    line += buf;
  }
  const double tps = w.tokens_per_second;
  if (tps >= 1e6) {
    std::snprintf(buf, sizeof buf, " | lr %.2e | %.2fM tok/s", w.lr, tps / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, " | lr %.2e | %.1fk tok/s", w.lr, tps / 1e3);
  }
  line += buf;
  line += " | " + format_duration(w.elapsed_s) + " elapsed, ETA " + (w.total > 0 ? format_duration(w.eta_s) : std::string("?"));
  return line;
}

std::string progress_json(const ProgressWindow& w) {
  nlohmann::json j = {{"stage", w.stage}, {"step", w.step}, {"total", w.total}, {"loss", w.loss},
                      {"lr", w.lr}, {"tokens_per_s", w.tokens_per_second}, {"elapsed_s", w.elapsed_s}};
  for (const auto& [name, v] : w.parts) j[name] = v;
  return j.dump();
}

}  // namespace m3::trainer
