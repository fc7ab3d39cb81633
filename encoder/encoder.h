// Batched M3 encoding behind a torch-free interface: texts in, Embeddings out, in input order, on
// the CPU or a CUDA GPU (EncoderOptions::device; the results are copied back, nothing else).
// Inputs are tokenised, sorted by length, and cut into batches padded only to their own longest
// input (bounded by batch_size texts and max_batch_tokens padded tokens), so mixed-length input
// does not pay for padding. Runs under InferenceMode (no autograd) in eval mode.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "encoder/device.h"
#include "encoder/embedding.h"
#include "encoder/fusion_weights.h"
#include "encoder/model_config.h"
#include "encoder/tokenizer.h"

namespace m3 {

// auto: bf16 on a GPU, fp32 on the CPU (a CPU without bf16 units would be slower in bf16).
enum class Precision { Auto, FP32, BF16 };
Precision parse_precision(const std::string& name);  // "auto" | "fp32" | "bf16"

struct EncoderOptions {
  int max_length = 8192;         // tokens incl. specials; clamped to the model's limit
  int batch_size = 32;           // texts per batch at most
  int max_batch_tokens = 16384;  // padded tokens per batch at most (long inputs get small batches)
  int threads = 0;               // intra-op threads; 0 = all cores
  Precision precision = Precision::Auto;
  Device device = Device::Auto;  // the model, the forward pass and the three heads run there; only results come back
  bool mcls = false;             // multiple CLS for long inputs (M3-SPEC §3, MCLS): dense only
  int mcls_interval = 256;       // content tokens per inserted <s>
  bool colbert = true;           // compute the multi-vector output (skip to save time/memory)
};

class Encoder {
 public:
  // Loads a model directory (public BGE-M3 layout). Throws m3::Error naming any problem.
  static std::unique_ptr<Encoder> load(const std::string& model_dir, EncoderOptions options = {});
  ~Encoder();

  std::vector<Embedding> encode(const std::vector<std::string>& texts) const;
  std::vector<Embedding> encode(const std::vector<std::string>& texts, int max_length) const;
  // Already tokenised inputs (each [0] ... [2], within max_length).
  std::vector<Embedding> encode_ids(const std::vector<std::vector<int32_t>>& ids) const;
  // Token ids as encode() would feed them (MCLS insertion and truncation applied).
  std::vector<int32_t> tokenize(const std::string& text, int max_length) const;

  const Tokenizer& tokenizer() const;
  const ModelConfig& config() const;
  const EncoderOptions& options() const;
  const std::string& model_dir() const;
  const std::string& fingerprint() const;  // changes whenever config or weights change
  const FusionWeights& fusion_weights() const;  // the model's m3_fusion.json (empty without one)
  int dense_dim() const { return config().hidden_size; }
  int multivec_dim() const { return config().multivec_dim(); }
  int max_length() const;                  // effective limit: min(option, model)
  std::string device_name() const;         // "cpu" or "cuda:0": where it runs (after auto)
  bool bf16() const;                       // the precision it runs in (after auto)

 private:
  struct Impl;
  explicit Encoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Where the embedded default model lives (Decision 5): $M3_MODEL, next to the program, the source tree.
std::string default_model_dir();

}  // namespace m3
