// BatchSizeTuner: learns, from the encoder calls it is told about, the largest query batch worth
// forming on this machine, so that batching can never make the server slower than encoding queries
// one at a time (on some CPUs a batched forward pass costs more per query than single ones: padding,
// threads fighting the search workers, kernels chosen for the shape).
//
// Batches are grouped in size classes 1, 2-3, 4-7, 8-15, ... For each class it keeps a smoothed cost
// per query (wall time of the encoder call / queries). The limit is the whole of max_batch unless a
// larger class measured clearly costlier per query (by kMargin) than the cheapest class; then the limit
// is the cheapest class's top size. While limited, every kProbeEvery-th call is a probe: the class
// below if it was never measured, else one class higher, so a change (load, machine) is noticed and
// the limit can move.
#pragma once
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace m3::http {

class BatchSizeTuner {
 public:
  static constexpr double kSmoothing = 0.2;  // weight of the newest call in a class's cost
  static constexpr double kMargin = 1.15;    // a larger class must cost 15 % more per query to cap
  static constexpr uint64_t kProbeEvery = 64;

  explicit BatchSizeTuner(size_t max_batch);
  // Queries the next encoder call may take (1..max_batch).
  size_t limit();
  // One encoder call of `queries` queries took `seconds`.
  void record(size_t queries, double seconds);
  size_t max_batch() const { return max_batch_; }
  size_t current_limit() const;  // for metrics: the limit without consuming a probe

 private:
  static size_t size_class(size_t n);  // floor(log2(n))
  size_t settled_limit() const;        // the limit the costs so far support (mu_ held)

  const size_t max_batch_;
  mutable std::mutex mu_;
  std::vector<double> cost_;  // seconds per query, per class (valid where samples_ > 0)
  std::vector<uint64_t> samples_;
  uint64_t calls_ = 0;
};

}  // namespace m3::http
