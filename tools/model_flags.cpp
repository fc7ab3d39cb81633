#include "tools/model_flags.h"

#include "common/error.h"

namespace m3::tools {

void add_model_flags(CLI::App& sub, ModelFlags& f) {
  sub.add_option("--model", f.model, "model directory in the BGE-M3 layout (default: the embedded model)");
  sub.add_option("--max-length", f.max_length, "tokens per text incl. <s> and </s> (capped by the model)")
      ->check(CLI::Range(2, 1 << 20));
  sub.add_option("--batch-size", f.batch_size, "texts per encoder batch")->check(CLI::Range(1, 4096));
  sub.add_option("--max-batch-tokens", f.max_batch_tokens,
                 "padded tokens per encoder batch at most (inputs are sorted by length, each batch padded to its longest)")
      ->check(CLI::Range(2, 1 << 24));
  sub.add_option("--threads", f.threads, "intra-op threads (0 = all cores)")->check(CLI::Range(0, 1024));
  sub.add_option("--device", f.device, "auto | cpu | cuda (auto: CUDA when LibTorch has it and a GPU is present)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  sub.add_option("--precision", f.precision, "auto | fp32 | bf16 (auto: bf16 on a GPU, fp32 on the CPU)")
      ->check(CLI::IsMember({"auto", "fp32", "bf16"}));
  sub.add_flag("--mcls", f.mcls, "multiple CLS tokens (every 256 tokens) for the dense vector of long inputs");
}

std::unique_ptr<Encoder> load_encoder(const ModelFlags& f) {
  EncoderOptions o;
  o.max_length = f.max_length;
  o.batch_size = f.batch_size;
  o.max_batch_tokens = f.max_batch_tokens;
  o.threads = f.threads;
  o.device = parse_device(f.device);
  o.precision = parse_precision(f.precision);
  o.mcls = f.mcls;
  return Encoder::load(f.model.empty() ? default_model_dir() : f.model, o);
}

}  // namespace m3::tools
