#include "encoder/scores.h"

#include <limits>

#include "common/error.h"

namespace m3 {

float dense_score(const Embedding& q, const Embedding& p) {
  if (q.dense.size() != p.dense.size()) throw Error("dense_score: dimensions differ");
  float s = 0;
  for (size_t i = 0; i < q.dense.size(); ++i) s += q.dense[i] * p.dense[i];
  return s;
}

float sparse_score(const Embedding& q, const Embedding& p) { return sparse_dot(q.sparse, p.sparse); }

float multivec_score(const float* q, int nq, const float* p, int np, int dim) {
  if (nq == 0 || np == 0) return 0.f;
  double total = 0;
  for (int i = 0; i < nq; ++i) {
    float best = -std::numeric_limits<float>::infinity();
    for (int j = 0; j < np; ++j) {
      float s = 0;
      for (int d = 0; d < dim; ++d) s += q[i * dim + d] * p[j * dim + d];
      best = s > best ? s : best;
    }
    total += best;
  }
  return static_cast<float>(total / nq);
}

float multivec_score(const Embedding& q, const Embedding& p) {
  if (q.colbert_dim != p.colbert_dim) throw Error("multivec_score: dimensions differ");
  return multivec_score(q.colbert.data(), q.colbert_rows, p.colbert.data(), p.colbert_rows, q.colbert_dim);
}

HeadScores all_scores(const Embedding& q, const Embedding& p) {
  return {dense_score(q, p), sparse_score(q, p), multivec_score(q, p)};
}

}  // namespace m3
