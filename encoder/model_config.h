// XLM-RoBERTa hyper-parameters read from a model directory's config.json (M3-SPEC §1.B), plus the
// M3 head shape. Every limit the encoder enforces (max length, vocabulary) comes from here.
#pragma once
#include <string>

namespace m3 {

struct ModelConfig {
  int hidden_size = 1024;
  int num_hidden_layers = 24;
  int num_attention_heads = 16;
  int intermediate_size = 4096;
  int vocab_size = 250002;
  int max_position_embeddings = 8194;  // = max tokens + 2 (RoBERTa position offset)
  int type_vocab_size = 1;
  double layer_norm_eps = 1e-5;
  int pad_token_id = 1;
  int bos_token_id = 0;
  int eos_token_id = 2;
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  std::string hidden_act = "gelu";
  int colbert_dim = -1;  // <= 0: same as hidden_size (FlagEmbedding's default)

  // Longest input in tokens, specials included (8192 for BGE-M3).
  int max_tokens() const { return max_position_embeddings - pad_token_id - 1; }
  int multivec_dim() const { return colbert_dim > 0 ? colbert_dim : hidden_size; }
  int head_dim() const { return hidden_size / num_attention_heads; }

  // Reads and validates config.json; throws m3::Error naming the field on a bad value.
  static ModelConfig from_file(const std::string& path);
  static ModelConfig from_json_text(const std::string& text, const std::string& origin);
  // Writes a config.json in the Hugging Face XLMRobertaModel layout (loadable by transformers).
  void save(const std::string& path) const;
};

}  // namespace m3
