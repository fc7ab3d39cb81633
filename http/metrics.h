// Prometheus metrics of the server: request counts and latency histograms by endpoint and mode,
// errors by status; gauges (queue depth, documents, index bytes) are added at scrape time.
#pragma once
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace m3::http {

class Metrics {
 public:
  void observe(const std::string& endpoint, const std::string& mode, int status, double seconds);
  // Counters and histograms in Prometheus text format (gauges are appended by the caller).
  std::string render() const;

 private:
  struct Series {
    uint64_t count = 0;
    double sum = 0;
    std::vector<uint64_t> buckets;
  };
  static const std::vector<double>& bounds();
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Series> latency_;        // (endpoint, mode)
  std::map<std::pair<std::string, int>, uint64_t> requests_;             // (endpoint, status)
};

}  // namespace m3::http
