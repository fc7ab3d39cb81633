#include "trainer/model_setup.h"

#include <sstream>

#include "common/error.h"

namespace m3::trainer {

void init_weights(M3Model& model) {
  torch::NoGradGuard no_grad;
  for (auto& m : model->modules(/*include_self=*/false)) {
    if (auto* lin = m->as<torch::nn::Linear>()) {
      lin->weight.normal_(0, 0.02);
      if (lin->bias.defined()) lin->bias.zero_();
    } else if (auto* emb = m->as<torch::nn::Embedding>()) {
      emb->weight.normal_(0, 0.02);
    } else if (auto* ln = m->as<torch::nn::LayerNorm>()) {
      ln->weight.fill_(1);
      ln->bias.zero_();
    }
  }
  model->encoder->word_embeddings->weight[model->config.pad_token_id].zero_();
}

std::vector<torch::Tensor> select_trainable(M3Model& model, const std::string& spec) {
  bool encoder = false, sparse = false, colbert = false;
  std::stringstream ss(spec);
  std::string part;
  while (std::getline(ss, part, ',')) {
    if (part == "all") {
      encoder = sparse = colbert = true;
    } else if (part == "heads") {
      sparse = colbert = true;
    } else if (part == "encoder") {
      encoder = true;
    } else if (part == "sparse") {
      sparse = true;
    } else if (part == "colbert" || part == "multivec") {
      colbert = true;
    } else {
      throw UsageError("--train-heads: unknown part '" + part + "' (expected all, heads, encoder, sparse, colbert)");
    }
  }
  if (!encoder && !sparse && !colbert) throw UsageError("--train-heads selects nothing to train");
  for (auto& p : model->encoder->parameters()) p.set_requires_grad(encoder);
  for (auto& p : model->sparse_linear->parameters()) p.set_requires_grad(sparse);
  for (auto& p : model->colbert_linear->parameters()) p.set_requires_grad(colbert);
  std::vector<torch::Tensor> out;
  for (auto& p : model->parameters())
    if (p.requires_grad()) out.push_back(p);
  return out;
}

bool encoder_trains(M3Model& model) {
  for (auto& p : model->encoder->parameters())
    if (p.requires_grad()) return true;
  return false;
}

}  // namespace m3::trainer
