#include "trainer/train_step.h"

#include <algorithm>

#include "trainer/cross_rank_passages.h"
#include "trainer/losses.h"
#include "trainer/torch_compat.h"

namespace m3::trainer {

PaddedTexts pad_texts(const std::vector<TokenSpan>& texts, int max_len, int pad_id) {
  size_t longest = 0;
  for (const auto& t : texts) longest = std::max(longest, std::min<size_t>(t.size, static_cast<size_t>(max_len)));
  const auto n = static_cast<int64_t>(texts.size()), width = static_cast<int64_t>(longest);
  PaddedTexts out;
  out.ids = torch::full({n, width}, pad_id, torch::kLong);
  out.mask = torch::zeros({n, width}, torch::kLong);
  auto ids = out.ids.accessor<int64_t, 2>();
  auto mask = out.mask.accessor<int64_t, 2>();
  for (int64_t i = 0; i < n; ++i) {
    const auto& t = texts[static_cast<size_t>(i)];
    const size_t len = std::min<size_t>(t.size, static_cast<size_t>(max_len));
    for (size_t j = 0; j < len; ++j) {
      ids[i][static_cast<int64_t>(j)] = t[j];
      mask[i][static_cast<int64_t>(j)] = 1;
    }
    if (len < t.size && len > 0) ids[i][static_cast<int64_t>(len) - 1] = t[t.size - 1];  // keep </s>
    out.real_tokens += static_cast<int64_t>(len);
  }
  return out;
}

EncodedTexts encode_texts(M3Model& model, const PaddedTexts& texts, int64_t sub_batch, const torch::Device& device) {
  const int64_t n = texts.ids.size(0);
  if (sub_batch <= 0) sub_batch = n;
  auto ids = texts.ids.to(device), mask = texts.mask.to(device);
  if (n == 0) {
    const auto& w = model->colbert_linear->weight;  // [D, H]
    const int64_t t = ids.size(1), c = std::max<int64_t>(0, t - 1);
    auto f = w.options().requires_grad(false);
    return {ids, torch::zeros({0, w.size(1)}, f), torch::zeros({0, t}, f), torch::zeros({0, c, w.size(0)}, f),
            torch::zeros({0, c}, mask.options())};
  }
  std::vector<torch::Tensor> dense, sparse, colbert, colbert_mask;
  for (int64_t at = 0; at < n; at += sub_batch) {
    const int64_t end = std::min(n, at + sub_batch);
    auto out = model->forward(ids.slice(0, at, end), mask.slice(0, at, end));
    dense.push_back(out.dense);
    sparse.push_back(out.sparse);
    colbert.push_back(out.colbert);
    colbert_mask.push_back(out.colbert_mask);
  }
  return {ids, torch::cat(dense), torch::cat(sparse), torch::cat(colbert), torch::cat(colbert_mask)};
}

StepLoss mlm_step(M3Model& model, MlmHead& head, const PaddedTexts& masked_inputs, const torch::Tensor& labels,
                  const StepSettings& s) {
  auto ids = masked_inputs.ids.to(s.device), mask = masked_inputs.mask.to(s.device);
  const int64_t n = ids.size(0), sub = s.sub_batch > 0 ? s.sub_batch : n;
  std::vector<torch::Tensor> hidden;
  for (int64_t at = 0; at < n; at += sub) {
    const int64_t end = std::min(n, at + sub);
    hidden.push_back(model->encoder->forward(ids.slice(0, at, end), mask.slice(0, at, end)));
  }
  auto loss = mlm_loss(head, torch::cat(hidden), model->encoder->word_embeddings->weight, labels);
  return {loss, {{"mlm", loss.detach()}}};
}

namespace {

QueryRows query_rows(const StepSettings& s) {
  return s.cross ? QueryRows{s.cross->queries.first, s.cross->queries.total} : QueryRows{};
}

// Data-parallel: this rank's share of the batch mean, so the ranks' losses and gradients sum to the
// single-process ones. A rank without queries contributes zero but still back-propagates through
// the gathered passages (their backward is a collective every rank joins).
StepLoss share_of_batch(StepLoss local, const StepSettings& s, const torch::Tensor& gathered) {
  if (!s.cross) return local;
  if (s.cross->queries.count == 0) {
    StepLoss none{gathered.sum() * 0.0, local.parts};
    for (auto& [name, v] : none.parts) v = torch::zeros({}, gathered.options().requires_grad(false));
    return none;
  }
  const double w = s.cross->queries.weight();
  local.loss = local.loss * w;
  for (auto& [name, v] : local.parts) v = v * w;
  return local;
}

}  // namespace

StepLoss pairs_step(M3Model& model, const PaddedTexts& queries, const PaddedTexts& passages, const StepSettings& s) {
  auto q = encode_texts(model, queries, s.sub_batch, s.device);
  auto p = encode_texts(model, passages, s.sub_batch, s.device);
  compat::AutocastPause fp32_scores;
  auto p_dense = p.dense.to(torch::kFloat);
  if (s.cross) {
    p.dense = p_dense;
    p_dense = gather_passages(p, s.cross->queries, 1, PassageHeads::DenseOnly, *s.cross->dist).dense;
    if (s.cross->queries.count == 0) return share_of_batch({torch::Tensor(), {{"dense", torch::Tensor()}}}, s, p_dense);
  }
  auto loss = info_nce(dense_score_matrix(q.dense.to(torch::kFloat), p_dense) / s.temperature, 1, query_rows(s));
  return share_of_batch({loss, {{"dense", loss.detach()}}}, s, p_dense);
}

StepLoss unified_step(M3Model& model, const PaddedTexts& queries, const PaddedTexts& passages, int64_t group_size,
                      bool self_distill, const StepSettings& s) {
  auto q = encode_texts(model, queries, s.sub_batch, s.device);
  auto p = encode_texts(model, passages, s.sub_batch, s.device);
  compat::AutocastPause fp32_scores;
  auto f = [](const torch::Tensor& t) { return t.to(torch::kFloat); };
  torch::Tensor gathered;
  if (s.cross) {
    p.dense = f(p.dense);
    p.sparse = f(p.sparse);
    p.colbert = f(p.colbert);
    p = gather_passages(p, s.cross->queries, group_size, PassageHeads::All, *s.cross->dist);
    if (s.cross->queries.count == 0) {
      gathered = p.dense.sum() + p.sparse.sum() + p.colbert.sum();
      StepLoss none{torch::Tensor(), {{"dense", {}}, {"lex", {}}, {"mul", {}}, {"inter", {}}}};
      if (self_distill) none.parts.emplace_back("distill", torch::Tensor());
      return share_of_batch(none, s, gathered);
    }
  }
  auto sd = dense_score_matrix(f(q.dense), f(p.dense));
  auto sl = sparse_score_matrix(q.ids, f(q.sparse), p.ids, f(p.sparse));
  auto sm = multivec_score_matrix(f(q.colbert), q.colbert_mask, f(p.colbert), p.colbert_mask, s.passage_chunk);
  auto l = unified_loss(sd, sl, sm, s.temperature, group_size, self_distill, {}, query_rows(s));
  StepLoss out{l.total, {{"dense", l.dense.detach()}, {"lex", l.lex.detach()}, {"mul", l.mul.detach()},
                         {"inter", l.inter.detach()}}};
  if (l.distill.defined()) out.parts.emplace_back("distill", l.distill.detach());
  return share_of_batch(out, s, gathered);
}

}  // namespace m3::trainer
