// libFuzzer target: a model directory's config.json through ModelConfig::from_json_text (every
// limit the encoder enforces comes from it). Any input must give a config whose derived sizes are
// usable, or an m3::Error naming the field.
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "encoder/model_config.h"
#include "tests/fuzz/fuzz_support.h"

std::vector<std::string> m3_fuzz_seeds() {
  return {m3::fuzz::slurp(m3::fuzz::fixtures_dir() + "/tiny-m3/config.json"),
          R"({"hidden_size":1024,"num_hidden_layers":24,"num_attention_heads":16,"intermediate_size":4096,"vocab_size":250002,"max_position_embeddings":8194,"layer_norm_eps":1e-05,"pad_token_id":1,"hidden_act":"gelu"})",
          R"({"hidden_size":7,"num_attention_heads":0,"max_position_embeddings":-1})"};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    m3::ModelConfig c = m3::ModelConfig::from_json_text(std::string(reinterpret_cast<const char*>(data), size), "fuzz/config.json");
    // What the encoder computes from an accepted config must not divide by zero or overflow.
    (void)c.head_dim();
    (void)c.max_tokens();
    (void)c.multivec_dim();
  } catch (const m3::Error&) {
  }
  return 0;
}
