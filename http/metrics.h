// Prometheus metrics of the server: request counts and latency histograms by endpoint and mode.
// Label values come only from fixed sets — the route table's endpoint names, the search modes, or
// "invalid" / "none" — so no request can add a series; every value is still escaped as the text
// format requires (backslash, double quote, newline). Gauges are appended at scrape time (documents
// and index bytes of the collections the server has open).
#pragma once
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace m3::http {

// label="value" with the value escaped for the Prometheus text format.
std::string prometheus_label(const std::string& name, const std::string& value);

class Metrics {
 public:
  // endpoint: a route's fixed name or "other"; mode: a search mode name, "invalid", or "" (none).
  void observe(const std::string& endpoint, const std::string& mode, int status, double seconds);
  std::string render() const;

 private:
  struct Series {
    uint64_t count = 0;
    double sum = 0;
    std::vector<uint64_t> buckets;
  };
  static const std::vector<double>& bounds();
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Series> latency_;  // (endpoint, mode)
  std::map<std::pair<std::string, int>, uint64_t> requests_;       // (endpoint, status)
};

}  // namespace m3::http
