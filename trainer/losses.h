// The three M3 scores over all (query, passage) pairs of a batch, and the training losses exactly as
// the reference code computes them (M3-SPEC §4 "Per-head InfoNCE", "Self-knowledge distillation").
// Score matrices are [Nq, Np] and raw (inference scale); the losses divide by the temperature.
#pragma once
#include <torch/torch.h>

namespace m3::trainer {

// The code's constants (M3-SPEC §4, "Paper vs code"): teacher w = (1, 0.3, 1), losses λ = (1, 0.1, 1).
struct M3LossConstants {
  double teacher_sparse = 0.3;  // S_inter = S_d + 0.3·S_l + S_m
  double loss_sparse = 0.1;     // L = (L_dense + L_inter + 0.1·L_lex + L_mul)/4, L' = (L'_d + 0.1·L'_l + L'_m)/3
};

// s_dense for every pair: q [Nq,H] · p [Np,H]ᵀ (both already L2-normalised).
torch::Tensor dense_score_matrix(const torch::Tensor& q, const torch::Tensor& p);

// s_lex for every pair: Σ over ids shared by q and p of (max weight of the id in q)·(max in p).
// ids [N,T] int64, weights [N,T] (zero at ids 0..3 and padding, as M3Outputs::sparse is). Exact and
// without a [N,T,vocab] tensor: ids are renumbered to the ids present in the batch, each text's
// weights max-pooled into [N, U] with scatter_reduce("amax"), then one matrix product. Gradients
// reach the position holding each id's maximum, as torch.max does in the reference.
torch::Tensor sparse_score_matrix(const torch::Tensor& q_ids, const torch::Tensor& q_weights,
                                  const torch::Tensor& p_ids, const torch::Tensor& p_weights);

// s_mul for every pair: (1/N_q) Σ_i max_j C_q[i]·C_p[j] over real vectors only (the unpadded §3
// definition, so a score never depends on how a batch was padded or split; the reference's batched
// score lets padded zero rows of p win a negative max). vecs [N,T,D], mask [N,T] (1 = real vector).
// Passages are processed passage_chunk at a time to bound the [Nq, chunk, Tq, Tp] temporary.
torch::Tensor multivec_score_matrix(const torch::Tensor& q_vecs, const torch::Tensor& q_mask, const torch::Tensor& p_vecs,
                                    const torch::Tensor& p_mask, int64_t passage_chunk = 256);

// Which rows of the whole batch a score matrix holds. One process: all of them (first 0, the matrix
// has rows·G columns). Data-parallel with passages gathered from every rank: this rank's queries
// start at global row `first` and the columns are the passages of all `total` queries.
struct QueryRows {
  int64_t first = 0;
  int64_t total = -1;  // -1: the matrix's own rows
};

// InfoNCE: mean over rows of cross-entropy(logits row i, target column (rows.first + i)·group_size).
torch::Tensor info_nce(const torch::Tensor& logits, int64_t group_size, const QueryRows& rows = {});

// −mean_rows Σ_cols softmax(teacher)·log_softmax(student); the teacher is detached here.
torch::Tensor distill_loss(const torch::Tensor& student_logits, const torch::Tensor& teacher_logits);

struct UnifiedLoss {
  torch::Tensor total;
  torch::Tensor dense, lex, mul, inter;  // InfoNCE of S_d, S_l, S_m, S_inter (each /τ)
  torch::Tensor distill;                 // L' (undefined when self-distillation is off)
};

// The fine-tuning loss of M3-SPEC §4 on raw score matrices [B, B·G]:
//   L = (L_dense + L_inter + 0.1·L_lex + L_mul)/4; with self_distill, L = (L + L')/2 where
//   L' = (L'_d + 0.1·L'_l + L'_m)/3 against the detached teacher softmax(S_inter).
UnifiedLoss unified_loss(const torch::Tensor& dense_scores, const torch::Tensor& sparse_scores,
                         const torch::Tensor& multivec_scores, double temperature, int64_t group_size, bool self_distill,
                         const M3LossConstants& c = {}, const QueryRows& rows = {});

}  // namespace m3::trainer
