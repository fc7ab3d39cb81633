#include "encoder/model_config.h"

#include <climits>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "common/json_input.h"

namespace m3 {

namespace {
template <typename T>
void read_field(const nlohmann::json& j, const char* name, T& out, const std::string& origin) {
  if (!j.contains(name)) return;  // defaults are BGE-M3's
  try {
    out = j.at(name).get<T>();
  } catch (const std::exception&) {
    throw Error(origin + ": field '" + name + "' has the wrong type");
  }
}

// An int field must be a JSON integer that fits an int: nlohmann's get<int>() truncates 1.5 and
// converts 1e21 with undefined behaviour (found by tests/fuzz/fuzz_model_config.cpp).
void read_field(const nlohmann::json& j, const char* name, int& out, const std::string& origin) {
  if (!j.contains(name)) return;
  out = int(json_integer(j.at(name), INT_MIN, INT_MAX, origin + ": field '" + name + "'"));
}
}  // namespace

ModelConfig ModelConfig::from_json_text(const std::string& text, const std::string& origin) {
  nlohmann::json j;
  j = parse_json_input(text, origin, JsonLimits{16u << 20, 64});
  if (!j.is_object()) throw Error(origin + ": expected a JSON object");
  ModelConfig c;
  read_field(j, "hidden_size", c.hidden_size, origin);
  read_field(j, "num_hidden_layers", c.num_hidden_layers, origin);
  read_field(j, "num_attention_heads", c.num_attention_heads, origin);
  read_field(j, "intermediate_size", c.intermediate_size, origin);
  read_field(j, "vocab_size", c.vocab_size, origin);
  read_field(j, "max_position_embeddings", c.max_position_embeddings, origin);
  read_field(j, "type_vocab_size", c.type_vocab_size, origin);
  read_field(j, "layer_norm_eps", c.layer_norm_eps, origin);
  read_field(j, "pad_token_id", c.pad_token_id, origin);
  read_field(j, "bos_token_id", c.bos_token_id, origin);
  read_field(j, "eos_token_id", c.eos_token_id, origin);
  read_field(j, "hidden_dropout_prob", c.hidden_dropout_prob, origin);
  read_field(j, "attention_probs_dropout_prob", c.attention_probs_dropout_prob, origin);
  read_field(j, "hidden_act", c.hidden_act, origin);
  read_field(j, "colbert_dim", c.colbert_dim, origin);
  auto positive = [&](int v, const char* name) {
    if (v <= 0) throw Error(origin + ": field '" + name + "' must be positive, got " + std::to_string(v));
  };
  positive(c.hidden_size, "hidden_size");
  positive(c.num_hidden_layers, "num_hidden_layers");
  positive(c.num_attention_heads, "num_attention_heads");
  positive(c.intermediate_size, "intermediate_size");
  positive(c.vocab_size, "vocab_size");
  positive(c.type_vocab_size, "type_vocab_size");
  auto token_id = [&](int v, const char* name) {
    if (v < 0 || v >= c.vocab_size)
      throw Error(origin + ": field '" + name + "' must be a token id in [0, vocab_size), got " + std::to_string(v));
  };
  token_id(c.pad_token_id, "pad_token_id");
  token_id(c.bos_token_id, "bos_token_id");
  token_id(c.eos_token_id, "eos_token_id");
  auto fraction = [&](double v, const char* name, double lo, double hi) {
    if (!(v >= lo && v < hi)) throw Error(origin + ": field '" + name + "' must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "), got " + std::to_string(v));
  };
  if (!(c.layer_norm_eps > 0 && c.layer_norm_eps < 1))
    throw Error(origin + ": field 'layer_norm_eps' must be in (0, 1), got " + std::to_string(c.layer_norm_eps));
  fraction(c.hidden_dropout_prob, "hidden_dropout_prob", 0, 1);
  fraction(c.attention_probs_dropout_prob, "attention_probs_dropout_prob", 0, 1);
  if (c.hidden_size % c.num_attention_heads != 0)
    throw Error(origin + ": hidden_size " + std::to_string(c.hidden_size) + " is not a multiple of num_attention_heads " +
                std::to_string(c.num_attention_heads));
  if (c.max_position_embeddings < c.pad_token_id + 4)
    throw Error(origin + ": max_position_embeddings " + std::to_string(c.max_position_embeddings) + " is too small");
  if (c.hidden_act != "gelu")
    throw Error(origin + ": hidden_act '" + c.hidden_act + "' is not supported (XLM-R uses exact 'gelu')");
  if (j.contains("position_embedding_type") && j["position_embedding_type"] != "absolute")
    throw Error(origin + ": position_embedding_type must be 'absolute'");
  return c;
}

ModelConfig ModelConfig::from_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open model config");
  std::stringstream ss;
  ss << in.rdbuf();
  return from_json_text(ss.str(), path);
}

void ModelConfig::save(const std::string& path) const {
  nlohmann::json j = {
      {"architectures", {"XLMRobertaModel"}},
      {"model_type", "xlm-roberta"},
      {"hidden_size", hidden_size},
      {"num_hidden_layers", num_hidden_layers},
      {"num_attention_heads", num_attention_heads},
      {"intermediate_size", intermediate_size},
      {"vocab_size", vocab_size},
      {"max_position_embeddings", max_position_embeddings},
      {"type_vocab_size", type_vocab_size},
      {"layer_norm_eps", layer_norm_eps},
      {"pad_token_id", pad_token_id},
      {"bos_token_id", bos_token_id},
      {"eos_token_id", eos_token_id},
      {"hidden_dropout_prob", hidden_dropout_prob},
      {"attention_probs_dropout_prob", attention_probs_dropout_prob},
      {"hidden_act", hidden_act},
      {"position_embedding_type", "absolute"},
      {"initializer_range", 0.02},
      {"torch_dtype", "float32"},
  };
  if (colbert_dim > 0) j["colbert_dim"] = colbert_dim;
  std::ofstream out(path);
  if (!out) throw Error(path + ": cannot write model config");
  out << j.dump(2) << "\n";
  if (!out) throw Error(path + ": write failed");
}

}  // namespace m3
