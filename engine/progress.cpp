#include "engine/progress.h"

#include <unistd.h>

#include <cstdio>

namespace m3 {

Progress::Progress(std::string what, size_t total, double interval, bool enabled, std::string unit)
    : what_(std::move(what)), unit_(std::move(unit)), total_(total), interval_(interval), enabled_(enabled), tty_(::isatty(2) != 0) {
  start_ = last_ = std::chrono::steady_clock::now();
  if (tty_) interval_ = 0.2;
}

std::string Progress::format_duration(double s) {
  char buf[32];
  const long t = static_cast<long>(s + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%lds", t);
  return buf;
}

void Progress::update(size_t done, bool force) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && std::chrono::duration<double>(now - last_).count() < interval_) return;
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  std::string eta = "?";
  if (total_ > done && rate > 0) eta = format_duration(static_cast<double>(total_ - done) / rate);
  if (total_ && done >= total_) eta = "0s";
  if (tty_) {
    const int width = 30;
    const int filled = total_ ? static_cast<int>(width * std::min(1.0, static_cast<double>(done) / total_)) : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    if (total_)
      std::fprintf(stderr, "\r%s [%s] %zu/%zu %s  %.1f %s/s  ETA %s   ", what_.c_str(), bar.c_str(), done, total_, unit_.c_str(), rate,
                   unit_.c_str(), eta.c_str());
    else
      std::fprintf(stderr, "\r%s %zu %s  %.1f %s/s   ", what_.c_str(), done, unit_.c_str(), rate, unit_.c_str());
  } else {
    if (total_)
      std::fprintf(stderr, "%s: %zu/%zu %s, %.1f %s/s, ETA %s\n", what_.c_str(), done, total_, unit_.c_str(), rate, unit_.c_str(),
                   eta.c_str());
    else
      std::fprintf(stderr, "%s: %zu %s, %.1f %s/s\n", what_.c_str(), done, unit_.c_str(), rate, unit_.c_str());
  }
  std::fflush(stderr);
}

void Progress::finish(size_t done) {
  if (!enabled_) return;
  update(done, true);
  if (tty_) std::fprintf(stderr, "\n");
}

}  // namespace m3
