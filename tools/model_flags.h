// The flags every command that encodes shares (--model, --max-length, --batch-size,
// --max-batch-tokens, --threads, --device, --precision, --mcls), declared once, and the Encoder they
// describe.
#pragma once
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "encoder/encoder.h"

namespace m3::tools {

struct ModelFlags {
  std::string model;  // empty: the embedded default (Decision 5)
  int max_length = 8192;
  int batch_size = 32;
  int max_batch_tokens = 16384;
  int threads = 0;
  std::string device = "auto";
  std::string precision = "auto";
  bool mcls = false;
};

void add_model_flags(CLI::App& sub, ModelFlags& flags);
std::unique_ptr<Encoder> load_encoder(const ModelFlags& flags);

}  // namespace m3::tools
