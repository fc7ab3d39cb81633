// The flags every command that encodes shares (--model, --max-length, --batch-size, --threads,
// --precision, --mcls), declared once, and the Encoder they describe.
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
  int threads = 0;
  std::string precision = "fp32";
  bool mcls = false;
};

void add_model_flags(CLI::App& sub, ModelFlags& flags);
std::unique_ptr<Encoder> load_encoder(const ModelFlags& flags);

}  // namespace m3::tools
