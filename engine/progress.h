// Progress reporting on stderr for long jobs: a redrawn bar when stderr is a terminal, plain
// periodic lines otherwise (logs, CI), so neither floods a log nor stays silent.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

namespace m3 {

class Progress {
 public:
  // total 0 = unknown (no bar, no ETA). interval: seconds between plain lines. unit: what is counted.
  Progress(std::string what, size_t total, double interval_seconds = 10.0, bool enabled = true, std::string unit = "docs");
  void update(size_t done, bool force = false);
  void finish(size_t done);

  static std::string format_duration(double seconds);  // "1h02m", "4m05s", "12s"

 private:
  std::string what_, unit_;
  size_t total_;
  double interval_;
  bool enabled_, tty_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace m3
