// What a posting's 8-bit impact means, and how a query is put on the same integer scale.
//
// Documents: impact_u8 = clamp(round(v / scale), 1, 255) with one `scale` per inverted index
// (= the largest impact value in it / 255), v = the learned weight (sparse head) or the BM25
// term-frequency part tf·(k1+1) / (tf + k1·(1 - b + b·dl/avgdl)) (BM25; idf goes into the query).
// Queries: weight w -> q = round(w / unit) with unit = max_w / 2^24, so scores are sums of integer
// products, exact and independent of summation order. That is what makes TAAT, MaxScore and BMW
// return bit-identical scores (and hence identical top-k, ties broken by doc id); the query-side
// rounding is below float precision (relative 2^-25).
// Final score = float(sum · unit · scale): one expression, used by every path (to_score()).
#pragma once
#include <cstdint>
#include <vector>

#include "common/sparse_vector.h"

namespace m3 {

enum class ImpactKind : uint32_t { Learned = 0, BM25 = 1 };

struct ImpactModel {
  ImpactKind kind = ImpactKind::Learned;
  float k1 = 0.9f, b = 0.4f;  // BM25 only (Anserini's defaults, as in the M3 paper's baseline)
  float avgdl = 1.f;          // BM25 only: average document length the impacts were built with
  // The unquantized impact of a stored value (weight, or term frequency) in a document of length dl.
  float value(float v, float dl) const;
};

uint8_t quantize_impact(float impact, float scale);  // never 0: a stored term keeps a non-zero impact

// A query on the integer scale. Terms ascending and unique.
struct QuantizedQuery {
  std::vector<uint32_t> terms;
  std::vector<uint32_t> weights;  // <= 2^24
  double unit = 0;                // weight ≈ q·unit
  bool empty() const { return terms.empty(); }
};

// Weights must be finite; non-positive ones are dropped (they cannot raise a score).
QuantizedQuery quantize_query(const SparseVector& q);

inline float to_score(uint64_t sum, double multiplier /* unit·scale */) { return float(double(sum) * multiplier); }

// BM25 idf (Lucene's non-negative form): ln(1 + (N - df + 0.5) / (df + 0.5)).
double bm25_idf(uint64_t n_docs, uint64_t df);

}  // namespace m3
