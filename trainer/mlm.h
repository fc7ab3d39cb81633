// Masked-language-model pre-training (stage a): the RoBERTa LM head and BERT-style masking.
// The head is trainer-only: it is never written into the public model directory (the loader
// ignores lm_head.*), only into the trainer's resume checkpoints.
#pragma once
#include <torch/torch.h>

#include "encoder/model_config.h"
#include "trainer/rng.h"

namespace m3::trainer {

// dense(H→H) → GELU → LayerNorm → decoder tied to the word embeddings, plus a vocabulary bias.
struct MlmHeadImpl : torch::nn::Module {
  explicit MlmHeadImpl(const ModelConfig& c);
  // hidden [M,H] (only the masked positions) -> logits [M,V].
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& word_embeddings);

  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::Tensor bias;
};
TORCH_MODULE(MlmHead);

struct MaskedTokens {
  torch::Tensor input_ids;  // [N,T] with the chosen positions replaced
  torch::Tensor labels;     // [N,T] original id at chosen positions, -100 elsewhere
};

// Chooses each real, non-special position (id > 3) with probability `rate`; of those 80% become
// <mask>, 10% a random ordinary id (4 .. mask_id-1), 10% stay. At least one position per text with
// a content token is chosen, so every text contributes. ids/mask are CPU int64 [N,T].
MaskedTokens mask_tokens(const torch::Tensor& ids, const torch::Tensor& mask, int64_t mask_id, double rate, Rng& rng);

// Cross-entropy over the chosen positions only (the LM head runs on those rows, not on [N,T,V]).
// labels may stay on the CPU.
torch::Tensor mlm_loss(MlmHead& head, const torch::Tensor& hidden, const torch::Tensor& word_embeddings,
                       const torch::Tensor& labels);

}  // namespace m3::trainer
