// A model directory in the public BGE-M3 layout (M3-SPEC §1.A), read and validated without torch:
//   config.json, model.safetensors | pytorch_model.bin, colbert_linear.{pt,safetensors},
//   sparse_linear.{pt,safetensors}, sentencepiece.bpe.model.
// Names are normalised (one leading "roberta." stripped, LayerNorm gamma/beta aliased; lm_head.*,
// pooler.* and embeddings.position_ids ignored), and every expected tensor is checked by name and
// shape: all problems are collected and reported together, and loading stops.
#pragma once
#include <string>
#include <vector>

#include "encoder/model_config.h"
#include "encoder/raw_tensor.h"

namespace m3 {

struct ExpectedTensor { std::string name; std::vector<int64_t> shape; };

// Encoder tensor names and shapes the config implies (389 for BGE-M3), then the heads'.
std::vector<ExpectedTensor> expected_encoder_tensors(const ModelConfig& c);
std::vector<ExpectedTensor> expected_head_tensors(const ModelConfig& c);  // "colbert.weight", ...

struct Checkpoint {
  std::string dir;
  ModelConfig config;
  TensorMap encoder;   // normalised names, validated
  TensorMap heads;     // "colbert.weight", "colbert.bias", "sparse.weight", "sparse.bias"
  std::string tokenizer_path;  // sentencepiece.bpe.model
  std::string fingerprint;     // xxhash-free content hash of config + weights, hex (for collections)
};

Checkpoint load_checkpoint(const std::string& dir);

// Writes a checkpoint in the same layout: model.safetensors (dtype as given, F32/F16/BF16),
// heads as .safetensors too (Decision 6 adds the .pt files through LibTorch in m3_model.cpp).
void save_checkpoint_tensors(const std::string& dir, const ModelConfig& config, const TensorMap& encoder,
                             const TensorMap& heads);

// Normalises one checkpoint key; returns "" for keys that are deliberately ignored.
std::string normalise_tensor_name(const std::string& key);

}  // namespace m3
