// The M3 model in LibTorch: the XLM-RoBERTa encoder written out plainly (M3-SPEC §1.D) and the three
// heads (§3). The same module serves (encoder.h, under InferenceMode) and trains (trainer/).
// Every checkpoint tensor name appears in exactly one place: named_weights() in m3_model.cpp.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "encoder/checkpoint.h"
#include "encoder/device.h"

namespace m3 {

// One post-LN transformer layer: self-attention + residual + LayerNorm, GELU FFN + residual + LayerNorm.
struct XlmLayerImpl : torch::nn::Module {
  explicit XlmLayerImpl(const ModelConfig& c);
  // x [B,T,H]; additive_mask [B,1,1,T] (0 for real keys, dtype-min for padding).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& additive_mask);
  // Inference without padding in the GEMMs: xp [N,H] holds only the real tokens, `rows` their flat
  // positions in the [B,T] batch. Every linear layer runs on those N rows; only attention sees the
  // padded [B,T] layout (pad keys masked, pad rows zero). Same result per real token as forward().
  torch::Tensor forward_packed(const torch::Tensor& xp, const torch::Tensor& rows, int64_t b, int64_t t,
                               const torch::Tensor& additive_mask);
  // Switching mode drops the fused inference weights, so a trained model never serves stale ones.
  void train(bool on = true) override;
  // Builds the fused Q|K|V weights used in eval mode without autograd (call after any dtype change;
  // done once before serving, so concurrent encoders never race on it).
  void prepare_inference();

  int num_heads;
  double hidden_dropout, attention_dropout, eps;
  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr}, attention_output{nullptr};
  torch::nn::LayerNorm attention_norm{nullptr};
  torch::nn::Linear intermediate{nullptr}, output{nullptr};
  torch::nn::LayerNorm output_norm{nullptr};

 private:
  // Scaled dot-product attention of q, k, v [B,nh,T,d] under the mask: the context [B,T,H].
  torch::Tensor attention_context(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  const torch::Tensor& additive_mask, bool inference) const;
  // Q|K|V of x (any leading shape) as one GEMM when the fused weights fit, else three.
  torch::Tensor qkv(const torch::Tensor& x, bool inference);
  // Inference only: Q, K, V as one [3H, H] GEMM (built on first use in eval mode without autograd).
  torch::Tensor fused_qkv_weight_, fused_qkv_bias_;
};
TORCH_MODULE(XlmLayer);

struct XlmRobertaImpl : torch::nn::Module {
  explicit XlmRobertaImpl(const ModelConfig& c);
  // RoBERTa position ids: cumsum of non-pad tokens, offset by pad_token_id; pads get pad_token_id.
  torch::Tensor position_ids(const torch::Tensor& ids) const;
  torch::Tensor embed(const torch::Tensor& ids);
  torch::Tensor additive_mask(const torch::Tensor& mask, torch::ScalarType dtype) const;
  // ids [B,T] int64 (pad = 1), mask [B,T] (1 real, 0 pad) -> last hidden state [B,T,H].
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& mask);

  ModelConfig config;
  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr}, token_type_embeddings{nullptr};
  torch::nn::LayerNorm embedding_norm{nullptr};
  std::vector<XlmLayer> layers;
  // How each layer is run; the trainer swaps in an activation-checkpointing runner.
  std::function<torch::Tensor(XlmLayer&, const torch::Tensor&, const torch::Tensor&)> layer_runner;
};
TORCH_MODULE(XlmRoberta);

// The three heads' outputs for a padded batch.
struct M3Outputs {
  torch::Tensor hidden;   // [B,T,H] last hidden state
  torch::Tensor dense;    // [B,H]   L2-normalised H[:,0] (or the MCLS mean when cls_mask is given)
  torch::Tensor sparse;   // [B,T]   ReLU(H·w+b), zero at pad and at ids 0,1,2,3
  torch::Tensor colbert;  // [B,T-1,D] normalised (H[:,1:]·Wᵀ+b), zero rows at pad / excluded positions
  torch::Tensor colbert_mask;  // [B,T-1] 1 where a colbert vector is real
};

struct M3ModelImpl : torch::nn::Module {
  explicit M3ModelImpl(const ModelConfig& c);
  // cls_mask (optional, [B,T]): positions whose hidden states are averaged for the dense vector (MCLS);
  // those positions other than 0 are also excluded from the ColBERT vectors.
  M3Outputs forward(const torch::Tensor& ids, const torch::Tensor& mask, const torch::Tensor& cls_mask = {});

  // (checkpoint name, parameter) for every encoder tensor, then "colbert.*", "sparse.*".
  std::vector<std::pair<std::string, torch::Tensor>> named_weights();
  void load_weights(const Checkpoint& ck);      // copies + up-casts; shapes were validated by load_checkpoint
  // Writes the public layout: config.json, model.safetensors (storage dtype F32/F16/BF16),
  // colbert_linear.pt + sparse_linear.pt (torch zip, Decision 6). The tokenizer is copied by the caller.
  void save(const std::string& dir, DType storage = DType::F32);
  // Eval mode plus each layer's fused inference weights (after loading and any precision change).
  void prepare_inference();

  ModelConfig config;
  XlmRoberta encoder{nullptr};
  torch::nn::Linear colbert_linear{nullptr}, sparse_linear{nullptr};
};
TORCH_MODULE(M3Model);

// Loads a model directory (fp32 parameters, eval mode). Throws m3::Error naming any problem.
M3Model load_m3_model(const Checkpoint& ck);

// The torch device `d` names: auto = the first CUDA device when LibTorch sees one, else the CPU.
// UsageError for cuda when LibTorch has no CUDA or sees no GPU.
torch::Device torch_device(Device d);

}  // namespace m3
