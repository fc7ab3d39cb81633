// simd.h as plain loops, for CPUs with neither AVX-512 nor AVX2+FMA+F16C (see simd_avx512.cpp).
#if !defined(__AVX512F__) && !(defined(__AVX2__) && defined(__FMA__) && defined(__F16C__))
#include "index/simd.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace m3::simd {


float dot_f32(const float* a, const float* b, size_t n) {
  float s = 0.f;
  for (size_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}
void f16_to_f32(const uint16_t* in, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = _cvtsh_ss(in[i]);
}
void f32_to_f16(const float* in, uint16_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = _cvtss_sh(in[i], 0);
}
float dot_f16(const float* q, const uint16_t* d, size_t n) {
  float s = 0.f;
  for (size_t i = 0; i < n; ++i) s += q[i] * _cvtsh_ss(d[i]);
  return s;
}
float dot_i8(const float* q, const int8_t* d, size_t n) {
  float s = 0.f;
  for (size_t i = 0; i < n; ++i) s += q[i] * float(d[i]);
  return s;
}
float dot_sign(const float* q, const uint8_t* bits, size_t n) {
  float s = 0.f;
  for (size_t i = 0; i < n; ++i) s += ((bits[i >> 3] >> (i & 7)) & 1) ? q[i] : -q[i];
  return s;
}

void max_dots_plus(const float* q, int nq, const float* d, int nd, size_t dim, const float* const* add, float* best) {
  for (int i = 0; i < nq; ++i)
    for (int j = 0; j < nd; ++j) best[i] = std::max(best[i], dot_f32(q + i * dim, d + j * dim, dim) + add[j][i]);
}
void dots(const float* q, int nq, const float* const* d, int nd, size_t dim, float* const* out) {
  for (int j = 0; j < nd; ++j)
    for (int i = 0; i < nq; ++i) out[j][i] = dot_f32(q + size_t(i) * dim, d[j], dim);
}

}  // namespace m3::simd

#endif
