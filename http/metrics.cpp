#include "http/metrics.h"

#include <sstream>

namespace m3::http {

std::string prometheus_label(const std::string& name, const std::string& value) {
  std::string out = name + "=\"";
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out + "\"";
}

const std::vector<double>& Metrics::bounds() {
  static const std::vector<double> b = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return b;
}

void Metrics::observe(const std::string& endpoint, const std::string& mode, int status, double seconds) {
  std::lock_guard<std::mutex> l(mu_);
  ++requests_[{endpoint, status}];
  auto& s = latency_[{endpoint, mode}];
  if (s.buckets.empty()) s.buckets.assign(bounds().size(), 0);
  ++s.count;
  s.sum += seconds;
  for (size_t i = 0; i < bounds().size(); ++i)
    if (seconds <= bounds()[i]) ++s.buckets[i];
}

std::string Metrics::render() const {
  std::lock_guard<std::mutex> l(mu_);
  std::ostringstream o;
  o << "# HELP m3_requests_total HTTP requests by endpoint and status.\n# TYPE m3_requests_total counter\n";
  for (const auto& [k, v] : requests_)
    o << "m3_requests_total{" << prometheus_label("endpoint", k.first) << "," << prometheus_label("status", std::to_string(k.second))
      << "} " << v << "\n";
  o << "# HELP m3_request_seconds Request latency by endpoint and search mode.\n# TYPE m3_request_seconds histogram\n";
  for (const auto& [k, s] : latency_) {
    const std::string labels = prometheus_label("endpoint", k.first) + "," + prometheus_label("mode", k.second.empty() ? "none" : k.second);
    for (size_t i = 0; i < bounds().size(); ++i)
      o << "m3_request_seconds_bucket{" << labels << ",le=\"" << bounds()[i] << "\"} " << s.buckets[i] << "\n";
    o << "m3_request_seconds_bucket{" << labels << ",le=\"+Inf\"} " << s.count << "\n";
    o << "m3_request_seconds_sum{" << labels << "} " << s.sum << "\n";
    o << "m3_request_seconds_count{" << labels << "} " << s.count << "\n";
  }
  return o.str();
}

}  // namespace m3::http
