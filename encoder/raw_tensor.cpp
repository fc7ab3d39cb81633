#include "encoder/raw_tensor.h"

#include <cmath>
#include <cstring>

#include "common/error.h"

namespace m3 {

namespace {
struct DTypeInfo { DType t; const char* name; size_t size; };
constexpr DTypeInfo kDTypes[] = {
    {DType::F32, "F32", 4}, {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2}, {DType::F64, "F64", 8},
    {DType::I64, "I64", 8}, {DType::I32, "I32", 4}, {DType::I16, "I16", 2},   {DType::I8, "I8", 1},
    {DType::U8, "U8", 1},   {DType::BOOL, "BOOL", 1},
};

float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      int e = -1;
      do { ++e; mant <<= 1; } while ((mant & 0x400) == 0);
      bits = sign | ((127 - 15 - e) << 23) | ((mant & 0x3FF) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const int32_t exp = static_cast<int32_t>((x >> 23) & 0xFF) - 127 + 15;
  uint32_t mant = x & 0x7FFFFF;
  if (((x >> 23) & 0xFF) == 0xFF) return static_cast<uint16_t>(sign | 0x7C00 | (mant ? 0x200 : 0));
  if (exp >= 31) return static_cast<uint16_t>(sign | 0x7C00);
  if (exp <= 0) {
    if (exp < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000;
    const int shift = 14 - exp;
    uint32_t h = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  uint32_t h = (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1FFF;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) ++h;  // may carry into the exponent: still correct
  return static_cast<uint16_t>(sign | h);
}

float bf16_to_float(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t float_to_bf16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7FFFFFFF) > 0x7F800000) return static_cast<uint16_t>((x >> 16) | 0x40);  // NaN stays NaN
  x += 0x7FFF + ((x >> 16) & 1);
  return static_cast<uint16_t>(x >> 16);
}
}  // namespace

size_t dtype_size(DType t) {
  for (const auto& d : kDTypes) if (d.t == t) return d.size;
  return 0;
}

const char* dtype_name(DType t) {
  for (const auto& d : kDTypes) if (d.t == t) return d.name;
  return "?";
}

DType dtype_from_name(const std::string& name, const std::string& origin) {
  for (const auto& d : kDTypes) if (name == d.name) return d.t;
  throw Error(origin + ": unsupported dtype '" + name + "'");
}

int64_t RawTensor::numel() const {
  // Checked: shapes come from files (safetensors headers, pickles), and a product past int64 was
  // undefined behaviour before any size check could see it.
  int64_t n = 1;
  for (auto s : shape)
    if (s < 0 || __builtin_mul_overflow(n, s, &n)) throw Error("tensor shape " + shape_string() + " is negative or too large");
  return n;
}

std::string RawTensor::shape_string() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::vector<float> RawTensor::to_float() const {
  const int64_t n = numel();
  if (data.size() != static_cast<size_t>(n) * dtype_size(dtype))
    throw Error("tensor of shape " + shape_string() + " holds " + std::to_string(data.size()) + " bytes");
  std::vector<float> out(static_cast<size_t>(n));
  const char* p = data.data();
  switch (dtype) {
    // n == 0: an empty vector's data() may be null, and memcpy(null, null, 0) is undefined
    // (UBSan, tests/fuzz/fuzz_safetensors.cpp with a [0, 4] tensor).
    case DType::F32: if (n > 0) std::memcpy(out.data(), p, n * 4); break;
    case DType::F16:
      for (int64_t i = 0; i < n; ++i) { uint16_t h; std::memcpy(&h, p + 2 * i, 2); out[i] = half_to_float(h); }
      break;
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) { uint16_t h; std::memcpy(&h, p + 2 * i, 2); out[i] = bf16_to_float(h); }
      break;
    case DType::F64:
      for (int64_t i = 0; i < n; ++i) { double d; std::memcpy(&d, p + 8 * i, 8); out[i] = static_cast<float>(d); }
      break;
    default: throw Error(std::string("tensor of dtype ") + dtype_name(dtype) + " is not floating point");
  }
  return out;
}

RawTensor raw_from_float(const std::vector<float>& values, std::vector<int64_t> shape, DType dtype) {
  RawTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  if (t.numel() != static_cast<int64_t>(values.size())) throw Error("raw_from_float: shape does not match value count");
  t.data.resize(values.size() * dtype_size(dtype));
  char* p = t.data.data();
  switch (dtype) {
    case DType::F32: std::memcpy(p, values.data(), values.size() * 4); break;
    case DType::F16:
      for (size_t i = 0; i < values.size(); ++i) { uint16_t h = float_to_half(values[i]); std::memcpy(p + 2 * i, &h, 2); }
      break;
    case DType::BF16:
      for (size_t i = 0; i < values.size(); ++i) { uint16_t h = float_to_bf16(values[i]); std::memcpy(p + 2 * i, &h, 2); }
      break;
    default: throw Error("raw_from_float: only F32, F16 and BF16 can be written");
  }
  return t;
}

}  // namespace m3
