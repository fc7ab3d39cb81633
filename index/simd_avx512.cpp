// simd.h with AVX-512 (Zen 4 and Xeons that expose it): 16 lanes, masked tails.
// Exactly one of simd_avx512.cpp, simd_avx2.cpp and simd_portable.cpp compiles to code (by the target
// the build's -march=native reports), so every caller gets the same kernel for the same inputs.
#if defined(__AVX512F__)
#include "index/simd.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace m3::simd {

static inline float hsum(__m512 v) { return _mm512_reduce_add_ps(v); }

float dot_f32(const float* a, const float* b, size_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
  }
  for (; i + 16 <= n; i += 16) acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
  if (i < n) {
    __mmask16 m = __mmask16((1u << (n - i)) - 1);
    acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc1);
  }
  return hsum(_mm512_add_ps(acc0, acc1));
}

float dot_f16(const float* q, const uint16_t* d, size_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m512 d0 = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(d + i)));
    __m512 d1 = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(d + i + 16)));
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), d0, acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 16), d1, acc1);
  }
  for (; i + 16 <= n; i += 16) {
    __m512 d0 = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(d + i)));
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), d0, acc0);
  }
  if (i < n) {
    __mmask16 m = __mmask16((1u << (n - i)) - 1);
    __m512 d0 = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, d + i));
    acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + i), d0, acc1);
  }
  return hsum(_mm512_add_ps(acc0, acc1));
}

float dot_i8(const float* q, const int8_t* d, size_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m512 d0 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(d + i))));
    __m512 d1 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(d + i + 16))));
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), d0, acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 16), d1, acc1);
  }
  for (; i < n; i += 16) {
    size_t r = n - i < 16 ? n - i : 16;
    __mmask16 m = __mmask16(r == 16 ? 0xFFFF : (1u << r) - 1);
    __m512 d0 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, d + i)));
    acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + i), d0, acc0);
  }
  return hsum(_mm512_add_ps(acc0, acc1));
}

float dot_sign(const float* q, const uint8_t* bits, size_t n) {
  // s·q = Σ_{bit set} q - Σ_{bit clear} q: one masked blend of q and -q per 16 dimensions.
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  const __m512 zero = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    uint32_t m;
    std::memcpy(&m, bits + i / 8, 4);
    __m512 q0 = _mm512_loadu_ps(q + i), q1 = _mm512_loadu_ps(q + i + 16);
    acc0 = _mm512_add_ps(acc0, _mm512_mask_blend_ps(__mmask16(m), _mm512_sub_ps(zero, q0), q0));
    acc1 = _mm512_add_ps(acc1, _mm512_mask_blend_ps(__mmask16(m >> 16), _mm512_sub_ps(zero, q1), q1));
  }
  float s = hsum(_mm512_add_ps(acc0, acc1));
  for (; i < n; ++i) s += ((bits[i >> 3] >> (i & 7)) & 1) ? q[i] : -q[i];
  return s;
}

void f32_to_f16(const float* in, uint16_t* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i),
                        _mm512_cvtps_ph(_mm512_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  for (; i < n; ++i) out[i] = _cvtss_sh(in[i], _MM_FROUND_TO_NEAREST_INT);
}

void f16_to_f32(const uint16_t* in, float* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(out + i, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i))));
  for (; i < n; ++i) out[i] = _cvtsh_ss(in[i]);
}

namespace {
// The 4x4-blocked kernel of max_dots_plus; the offset is a template argument (it once also served an
// offset-free variant).
template <typename Offset>
void max_dots_impl(const float* q, int nq, const float* d, int nd, size_t dim, float* best, Offset offset) {
  if (dim % 16 != 0) {
    for (int i = 0; i < nq; ++i)
      for (int j = 0; j < nd; ++j) best[i] = std::max(best[i], dot_f32(q + i * dim, d + j * dim, dim) + offset(j, i));
    return;
  }
  int i = 0;
  for (; i + 4 <= nq; i += 4) {
    const float* q0 = q + i * dim;
    int j = 0;
    for (; j + 4 <= nd; j += 4) {
      const float* d0 = d + j * dim;
      __m512 acc[4][4];
      for (auto& r : acc)
        for (auto& a : r) a = _mm512_setzero_ps();
      for (size_t t = 0; t < dim; t += 16) {
        __m512 dv[4], qv[4];
        for (int b = 0; b < 4; ++b) dv[b] = _mm512_loadu_ps(d0 + b * dim + t);
        for (int a = 0; a < 4; ++a) qv[a] = _mm512_loadu_ps(q0 + a * dim + t);
        for (int a = 0; a < 4; ++a)
          for (int b = 0; b < 4; ++b) acc[a][b] = _mm512_fmadd_ps(qv[a], dv[b], acc[a][b]);
      }
      for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 4; ++b) best[i + a] = std::max(best[i + a], _mm512_reduce_add_ps(acc[a][b]) + offset(j + b, i + a));
    }
    for (; j < nd; ++j)
      for (int a = 0; a < 4; ++a) best[i + a] = std::max(best[i + a], dot_f32(q0 + a * dim, d + j * dim, dim) + offset(j, i + a));
  }
  for (; i < nq; ++i)
    for (int j = 0; j < nd; ++j) best[i] = std::max(best[i], dot_f32(q + i * dim, d + j * dim, dim) + offset(j, i));
}

}  // namespace

void max_dots_plus(const float* q, int nq, const float* d, int nd, size_t dim, const float* const* add, float* best) {
  max_dots_impl(q, nq, d, nd, dim, best, [add](int j, int i) { return add[j][i]; });
}

void dots(const float* q, int nq, const float* const* d, int nd, size_t dim, float* const* out) {
  // Blocks of 4 query rows x 4 vectors; a short last block repeats its last row/vector (computing a
  // few dots twice) so every dot goes through the same 16-accumulator code.
  const size_t full = dim / 16 * 16;
  const __mmask16 tail = __mmask16((1u << (dim - full)) - 1);
  for (int j = 0; j < nd; j += 4) {
    const float* dv_[4];
    for (int b = 0; b < 4; ++b) dv_[b] = d[std::min(j + b, nd - 1)];
    for (int i = 0; i < nq; i += 4) {
      const float* qv_[4];
      for (int a = 0; a < 4; ++a) qv_[a] = q + size_t(std::min(i + a, nq - 1)) * dim;
      __m512 acc[4][4];
      for (auto& r : acc)
        for (auto& x : r) x = _mm512_setzero_ps();
      for (size_t t = 0; t < full; t += 16) {
        __m512 dv[4], qv[4];
        for (int b = 0; b < 4; ++b) dv[b] = _mm512_loadu_ps(dv_[b] + t);
        for (int a = 0; a < 4; ++a) qv[a] = _mm512_loadu_ps(qv_[a] + t);
        for (int a = 0; a < 4; ++a)
          for (int b = 0; b < 4; ++b) acc[a][b] = _mm512_fmadd_ps(qv[a], dv[b], acc[a][b]);
      }
      if (tail) {
        __m512 dv[4], qv[4];
        for (int b = 0; b < 4; ++b) dv[b] = _mm512_maskz_loadu_ps(tail, dv_[b] + full);
        for (int a = 0; a < 4; ++a) qv[a] = _mm512_maskz_loadu_ps(tail, qv_[a] + full);
        for (int a = 0; a < 4; ++a)
          for (int b = 0; b < 4; ++b) acc[a][b] = _mm512_fmadd_ps(qv[a], dv[b], acc[a][b]);
      }
      for (int a = 0; a < 4 && i + a < nq; ++a)
        for (int b = 0; b < 4 && j + b < nd; ++b) out[j + b][i + a] = _mm512_reduce_add_ps(acc[a][b]);
    }
  }
}
}  // namespace m3::simd

#endif  // __AVX512F__
