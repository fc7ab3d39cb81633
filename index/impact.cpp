#include "index/impact.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace m3 {

float ImpactModel::value(float v, float dl) const {
  if (kind == ImpactKind::Learned) return v;
  float norm = k1 * (1.f - b + b * dl / avgdl);
  return v * (k1 + 1.f) / (v + norm);
}

uint8_t quantize_impact(float impact, float scale) {
  float q = std::nearbyint(impact / scale);
  if (!(q >= 1.f)) return 1;  // also NaN-safe
  return q > 255.f ? uint8_t(255) : uint8_t(q);
}

QuantizedQuery quantize_query(const SparseVector& q) {
  if (q.ids.size() != q.weights.size())
    throw UsageError("sparse query: " + std::to_string(q.ids.size()) + " ids but " + std::to_string(q.weights.size()) + " weights");
  QuantizedQuery out;
  float max_w = 0;
  for (size_t i = 0; i < q.size(); ++i) {
    if (!std::isfinite(q.weights[i])) throw UsageError("sparse query: weight of term " + std::to_string(q.ids[i]) + " is not finite");
    if (i > 0 && q.ids[i] <= q.ids[i - 1]) throw UsageError("sparse query: term ids must be ascending and unique (term " + std::to_string(q.ids[i]) + ")");
    max_w = std::max(max_w, q.weights[i]);
  }
  if (max_w <= 0) return out;
  out.unit = double(max_w) / double(1 << 24);
  for (size_t i = 0; i < q.size(); ++i) {
    if (q.weights[i] <= 0) continue;
    auto w = uint32_t(std::llround(double(q.weights[i]) / out.unit));
    if (w == 0) continue;
    out.terms.push_back(q.ids[i]);
    out.weights.push_back(w);
  }
  return out;
}

double bm25_idf(uint64_t n_docs, uint64_t df) {
  return std::log(1.0 + (double(n_docs) - double(df) + 0.5) / (double(df) + 0.5));
}

}  // namespace m3
