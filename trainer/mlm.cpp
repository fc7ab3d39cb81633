#include "trainer/mlm.h"

namespace m3::trainer {

MlmHeadImpl::MlmHeadImpl(const ModelConfig& c) {
  dense = register_module("dense", torch::nn::Linear(c.hidden_size, c.hidden_size));
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
  bias = register_parameter("bias", torch::zeros({c.vocab_size}));
  torch::NoGradGuard no_grad;
  dense->weight.normal_(0, 0.02);
  dense->bias.zero_();
}

torch::Tensor MlmHeadImpl::forward(const torch::Tensor& hidden, const torch::Tensor& word_embeddings) {
  auto x = norm(torch::gelu(dense(hidden)));
  return torch::nn::functional::linear(x, word_embeddings, bias);
}

MaskedTokens mask_tokens(const torch::Tensor& ids, const torch::Tensor& mask, int64_t mask_id, double rate, Rng& rng) {
  auto input = ids.clone();
  auto labels = torch::full_like(ids, -100);
  auto in = input.accessor<int64_t, 2>();
  auto lab = labels.accessor<int64_t, 2>();
  auto m = mask.accessor<int64_t, 2>();
  const int64_t n = ids.size(0), t = ids.size(1);
  for (int64_t i = 0; i < n; ++i) {
    std::vector<int64_t> content;
    for (int64_t j = 0; j < t; ++j)
      if (m[i][j] && in[i][j] > 3) content.push_back(j);
    if (content.empty()) continue;
    std::vector<int64_t> chosen;
    for (auto j : content)
      if (rng.uniform() < rate) chosen.push_back(j);
    if (chosen.empty()) chosen.push_back(content[rng.below(content.size())]);
    for (auto j : chosen) {
      lab[i][j] = in[i][j];
      const double r = rng.uniform();
      if (r < 0.8) {
        in[i][j] = mask_id;
      } else if (r < 0.9 && mask_id > 5) {
        in[i][j] = 4 + static_cast<int64_t>(rng.below(static_cast<uint64_t>(mask_id - 4)));
      }
    }
  }
  return {input, labels};
}

torch::Tensor mlm_loss(MlmHead& head, const torch::Tensor& hidden, const torch::Tensor& word_embeddings,
                       const torch::Tensor& labels) {
  // The chosen rows are found where the labels live (the CPU), so the GPU is not waited for.
  auto flat_labels = labels.reshape({-1});
  auto rows = flat_labels.ne(-100).nonzero().squeeze(1);
  auto h = hidden.reshape({-1, hidden.size(-1)}).index_select(0, rows.to(hidden.device()));
  auto logits = head->forward(h, word_embeddings);
  auto targets = flat_labels.index_select(0, rows).to(hidden.device());
  return torch::nn::functional::cross_entropy(logits.to(torch::kFloat), targets);
}

}  // namespace m3::trainer
