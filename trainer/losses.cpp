#include "trainer/losses.h"

#include "common/error.h"

namespace m3::trainer {

namespace F = torch::nn::functional;

torch::Tensor dense_score_matrix(const torch::Tensor& q, const torch::Tensor& p) { return q.matmul(p.t()); }

torch::Tensor sparse_score_matrix(const torch::Tensor& q_ids, const torch::Tensor& q_weights, const torch::Tensor& p_ids,
                                  const torch::Tensor& p_weights) {
  const int64_t nq = q_ids.numel();
  auto all = torch::cat({q_ids.reshape({-1}), p_ids.reshape({-1})});
  auto unique = torch::_unique(all, /*sorted=*/false, /*return_inverse=*/true);
  const int64_t u = std::get<0>(unique).size(0);
  auto inverse = std::get<1>(unique);
  auto q_index = inverse.slice(0, 0, nq).view(q_ids.sizes());
  auto p_index = inverse.slice(0, nq).view(p_ids.sizes());
  // Weights are >= 0 (ReLU), so max-pooling into zeros equals the reference's max over positions.
  auto pool = [u](const torch::Tensor& index, const torch::Tensor& w) {
    return torch::zeros({w.size(0), u}, w.options()).scatter_reduce(1, index, w, "amax", /*include_self=*/true);
  };
  return pool(q_index, q_weights).matmul(pool(p_index, p_weights).t());
}

torch::Tensor multivec_score_matrix(const torch::Tensor& q_vecs, const torch::Tensor& q_mask, const torch::Tensor& p_vecs,
                                    const torch::Tensor& p_mask, int64_t passage_chunk) {
  const auto dtype = q_vecs.scalar_type();
  auto qm = q_mask.to(dtype);                                  // [Nq,Tq]
  auto n_q = qm.sum(-1).clamp_min(1).unsqueeze(1);             // [Nq,1]
  auto p_pad = p_mask.eq(0).unsqueeze(0).unsqueeze(2);         // [1,Np,1,Tp]
  const int64_t np = p_vecs.size(0);
  if (passage_chunk <= 0) passage_chunk = np;
  std::vector<torch::Tensor> parts;
  for (int64_t at = 0; at < np; at += passage_chunk) {
    const int64_t end = std::min(np, at + passage_chunk);
    auto tok = torch::einsum("qid,pjd->qpij", {q_vecs, p_vecs.slice(0, at, end)});  // [Nq,Pc,Tq,Tp]
    // Padded passage positions never win the max: cosines are >= -1, so -1e4 is below every real one.
    tok.masked_fill_(p_pad.slice(1, at, end), -1e4);
    auto best = std::get<0>(tok.max(-1));                       // [Nq,Pc,Tq]
    parts.push_back((best * qm.unsqueeze(1)).sum(-1));          // padded query rows add nothing
  }
  return torch::cat(parts, 1) / n_q;
}

torch::Tensor info_nce(const torch::Tensor& logits, int64_t group_size, const QueryRows& rows) {
  const int64_t total = rows.total < 0 ? logits.size(0) : rows.total;
  if (logits.size(1) != total * group_size || rows.first < 0 || rows.first + logits.size(0) > total)
    throw Error("info_nce: score matrix [" + std::to_string(logits.size(0)) + ", " + std::to_string(logits.size(1)) +
                "] does not match group size " + std::to_string(group_size) + " (queries " + std::to_string(rows.first) +
                "+ of " + std::to_string(total) + ")");
  auto targets = (torch::arange(logits.size(0), torch::TensorOptions().dtype(torch::kLong).device(logits.device())) +
                  rows.first) * group_size;
  return F::cross_entropy(logits.to(torch::kFloat), targets);
}

torch::Tensor distill_loss(const torch::Tensor& student_logits, const torch::Tensor& teacher_logits) {
  auto teacher = torch::softmax(teacher_logits.detach().to(torch::kFloat), -1);
  return -(teacher * torch::log_softmax(student_logits.to(torch::kFloat), -1)).sum(-1).mean();
}

UnifiedLoss unified_loss(const torch::Tensor& dense_scores, const torch::Tensor& sparse_scores,
                         const torch::Tensor& multivec_scores, double temperature, int64_t group_size, bool self_distill,
                         const M3LossConstants& c, const QueryRows& rows) {
  auto sd = dense_scores.to(torch::kFloat) / temperature;
  auto sl = sparse_scores.to(torch::kFloat) / temperature;
  auto sm = multivec_scores.to(torch::kFloat) / temperature;
  auto s_inter = sd + c.teacher_sparse * sl + sm;
  UnifiedLoss out;
  out.dense = info_nce(sd, group_size, rows);
  out.lex = info_nce(sl, group_size, rows);
  out.mul = info_nce(sm, group_size, rows);
  out.inter = info_nce(s_inter, group_size, rows);
  out.total = (out.dense + out.inter + c.loss_sparse * out.lex + out.mul) / 4;
  if (self_distill) {
    out.distill = (distill_loss(sd, s_inter) + c.loss_sparse * distill_loss(sl, s_inter) + distill_loss(sm, s_inter)) / 3;
    out.total = (out.total + out.distill) / 2;
  }
  return out;
}

}  // namespace m3::trainer
