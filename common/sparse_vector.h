// A sparse vector of (term id, weight): the lexical head's output and what SparseIndex stores.
// Kept sorted by id with unique ids, so dot products are a linear merge.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace m3 {

struct SparseVector {
  std::vector<uint32_t> ids;     // ascending, unique
  std::vector<float> weights;    // > 0, same length as ids

  size_t size() const { return ids.size(); }
  bool empty() const { return ids.empty(); }
};

// Σ over shared ids of a.w * b.w (M3-SPEC §3 s_lex).
inline float sparse_dot(const SparseVector& a, const SparseVector& b) {
  float s = 0.f;
  size_t i = 0, j = 0;
  while (i < a.ids.size() && j < b.ids.size()) {
    if (a.ids[i] < b.ids[j]) ++i;
    else if (a.ids[i] > b.ids[j]) ++j;
    else { s += a.weights[i] * b.weights[j]; ++i; ++j; }
  }
  return s;
}

}  // namespace m3
