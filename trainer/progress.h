// The progress line of a training run: loss per head averaged over the last window, learning
// rate, tokens/s and ETA; and the same numbers as one JSON line for loss curves.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace m3::trainer {

struct ProgressWindow {
  std::string stage;
  int64_t step = 0, total = 0;                          // total 0: still measuring speed
  double loss = 0;                                      // mean total loss over the window
  std::vector<std::pair<std::string, double>> parts;    // mean per component
  double lr = 0;
  double tokens_per_second = 0;
  double elapsed_s = 0, eta_s = 0;
};

std::string format_duration(double seconds);  // "1h02m", "3m05s", "12.3s"
std::string progress_line(const ProgressWindow& w);
std::string progress_json(const ProgressWindow& w);

}  // namespace m3::trainer
