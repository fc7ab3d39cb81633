#include "http/batch_size_tuner.h"

#include <algorithm>

namespace m3::http {

BatchSizeTuner::BatchSizeTuner(size_t max_batch)
    : max_batch_(std::max<size_t>(1, max_batch)),
      cost_(size_class(max_batch_) + 1, 0.0),
      samples_(size_class(max_batch_) + 1, 0) {}

size_t BatchSizeTuner::size_class(size_t n) {
  size_t c = 0;
  while (n > 1) n >>= 1, ++c;
  return c;
}

size_t BatchSizeTuner::settled_limit() const {
  size_t cheapest = 0;
  bool any = false;
  for (size_t c = 0; c < cost_.size(); ++c)
    if (samples_[c] && (!any || cost_[c] < cost_[cheapest])) cheapest = c, any = true;
  if (!any) return max_batch_;
  for (size_t c = cheapest + 1; c < cost_.size(); ++c)
    if (samples_[c] && cost_[c] > kMargin * cost_[cheapest])
      return std::min(max_batch_, (size_t(2) << cheapest) - 1);  // the top of the cheapest class
  return max_batch_;
}

size_t BatchSizeTuner::current_limit() const {
  std::lock_guard<std::mutex> l(mu_);
  return settled_limit();
}

size_t BatchSizeTuner::limit() {
  std::lock_guard<std::mutex> l(mu_);
  const size_t settled = settled_limit();
  if (settled >= max_batch_ || ++calls_ % kProbeEvery != 0) return settled;
  // A probe. Below the cap an unmeasured class is tried first (under load the first batches are
  // already several queries, so single queries may never have been measured), then the class above.
  const size_t c = size_class(settled);
  if (c > 0 && samples_[c - 1] == 0) return (size_t(1) << c) - 1;
  return std::min(max_batch_, 2 * settled + 1);
}

void BatchSizeTuner::record(size_t queries, double seconds) {
  if (queries == 0 || !(seconds >= 0)) return;
  std::lock_guard<std::mutex> l(mu_);
  const size_t c = std::min(size_class(queries), cost_.size() - 1);
  const double per_query = seconds / double(queries);
  cost_[c] = samples_[c] ? (1 - kSmoothing) * cost_[c] + kSmoothing * per_query : per_query;
  ++samples_[c];
}

}  // namespace m3::http
