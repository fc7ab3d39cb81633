// A tensor as read from a checkpoint file, before it becomes a torch::Tensor: dtype, shape and the
// little-endian bytes. The readers (safetensors, torch zip) produce these; checkpoint.h validates them.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace m3 {

enum class DType { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL };

size_t dtype_size(DType t);
const char* dtype_name(DType t);  // safetensors spelling: "F32", "BF16", ...
DType dtype_from_name(const std::string& name, const std::string& origin);  // throws on unknown

struct RawTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<char> data;  // numel * dtype_size bytes, row-major, contiguous

  int64_t numel() const;
  std::string shape_string() const;  // "[1024, 1024]"
  // Converts any floating dtype to fp32 (F16/BF16 up-cast, F64 down-cast).
  std::vector<float> to_float() const;
};

using TensorMap = std::map<std::string, RawTensor>;

// Helpers for writers: fp32 values -> F32 / F16 / BF16 bytes (round to nearest even).
RawTensor raw_from_float(const std::vector<float>& values, std::vector<int64_t> shape, DType dtype);

}  // namespace m3
