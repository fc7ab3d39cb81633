// Creating a model to train and choosing what trains.
#pragma once
#include <string>
#include <vector>

#include "encoder/m3_model.h"

namespace m3::trainer {

// XLM-R / BERT initialisation for a from-scratch model: every Linear and Embedding weight
// N(0, 0.02), biases 0, LayerNorm 1/0, the padding row of the word embeddings 0. (LibTorch's
// defaults, N(0,1) embeddings in particular, train far worse.) Uses torch's global generator.
void init_weights(M3Model& model);

// Which parameters train. spec: "all", or a comma list of "encoder", "sparse", "colbert"
// ("heads" = "sparse,colbert": the reference's fix_encoder). Sets requires_grad on every parameter
// and returns the trainable ones. Throws UsageError on an unknown name.
std::vector<torch::Tensor> select_trainable(M3Model& model, const std::string& spec);
bool encoder_trains(M3Model& model);

}  // namespace m3::trainer
