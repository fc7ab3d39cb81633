// safetensors files (M3-SPEC §1.F): 8-byte little-endian header length, JSON header, byte buffer.
// The reader checks that offsets tile the buffer exactly, dtype sizes match shapes, and the file is
// long enough, so a truncated or hand-edited file fails with a message naming the tensor.
#pragma once
#include <string>

#include "encoder/raw_tensor.h"

namespace m3 {

TensorMap read_safetensors(const std::string& path);
// Writes tensors sorted by name, 8-byte aligned, with {"format":"pt"} metadata; write-then-rename.
void write_safetensors(const std::string& path, const TensorMap& tensors);

}  // namespace m3
