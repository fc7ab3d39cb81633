// The three M3 scores and their weighted sum (M3-SPEC §3), on plain vectors. Inference temperature 1.
#pragma once
#include <vector>

#include "encoder/embedding.h"
#include "encoder/fusion_weights.h"

namespace m3 {

float dense_score(const Embedding& q, const Embedding& p);   // e_q · e_p
float sparse_score(const Embedding& q, const Embedding& p);  // Σ shared ids w_q w_p
// (1/N_q) Σ_i max_j C_q[i]·C_p[j] — the unpadded definition (no implicit zero rows).
float multivec_score(const Embedding& q, const Embedding& p);
float multivec_score(const float* q, int nq, const float* p, int np, int dim);

struct HeadScores { float dense = 0, sparse = 0, multivec = 0; };
// w1·s_dense + w2·s_lex + w3·s_mul (not divided by the weight sum; the ranking is the same). BM25, the
// optional fourth head of the engine's fused modes, needs collection statistics and is not scored here.
inline float hybrid_score(const HeadScores& s, const HeadWeights& w) {
  return w[kDenseHead] * s.dense + w[kSparseHead] * s.sparse + w[kMultivecHead] * s.multivec;
}
HeadScores all_scores(const Embedding& q, const Embedding& p);

}  // namespace m3
