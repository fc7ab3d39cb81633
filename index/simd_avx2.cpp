// simd.h with AVX2 + FMA + F16C: 8 lanes, for CPUs (or virtual machines) that do not expose AVX-512.
// Without this file such machines ran the plain loops, and a float dot product that is not allowed to
// reorder its sum does not vectorise: `all` searches spent half their time in scalar dot_f32.
// Same structure as simd_avx512.cpp; blocks are 2 query vectors x 4 document vectors, which keeps 8
// accumulators + 4 document loads + 1 query load inside the 16 ymm registers.
#if !defined(__AVX512F__) && defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include "index/simd.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace m3::simd {

namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Lanes [0, r) all ones, the rest zero (r in 0..8): the mask of a partial last step.
inline __m256i first_lanes(size_t r) {
  alignas(32) static const int32_t ones_then_zeros[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ones_then_zeros + 8 - r));
}

// 8 halves (or the r < 8 left at the end, zero-filled) as floats.
inline __m256 load_f16(const uint16_t* d, size_t r = 8) {
  if (r == 8) return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(d)));
  uint16_t tail[8] = {};
  std::memcpy(tail, d, r * sizeof(uint16_t));
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(tail)));
}

inline __m256 load_i8(const int8_t* d, size_t r = 8) {
  int64_t w = 0;
  std::memcpy(&w, d, r);
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_cvtsi64_si128(w)));
}

}  // namespace

float dot_f32(const float* a, const float* b, size_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  if (i < n) {
    const __m256i m = first_lanes(n - i);
    acc1 = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m), acc1);
  }
  return hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
}

float dot_f16(const float* q, const uint16_t* d, size_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load_f16(d + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), load_f16(d + i + 8), acc1);
  }
  for (; i < n; i += 8) {
    const size_t r = std::min<size_t>(8, n - i);
    acc0 = _mm256_fmadd_ps(_mm256_maskload_ps(q + i, first_lanes(r)), load_f16(d + i, r), acc0);
  }
  return hsum(_mm256_add_ps(acc0, acc1));
}

float dot_i8(const float* q, const int8_t* d, size_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load_i8(d + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), load_i8(d + i + 8), acc1);
  }
  for (; i < n; i += 8) {
    const size_t r = std::min<size_t>(8, n - i);
    acc0 = _mm256_fmadd_ps(_mm256_maskload_ps(q + i, first_lanes(r)), load_i8(d + i, r), acc0);
  }
  return hsum(_mm256_add_ps(acc0, acc1));
}

float dot_sign(const float* q, const uint8_t* bits, size_t n) {
  // s·q = Σ_{bit set} q - Σ_{bit clear} q: each byte of bits becomes a lane mask choosing q or -q.
  const __m256i lane_bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  const __m256 zero = _mm256_setzero_ps();
  __m256 acc = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i b = _mm256_and_si256(_mm256_set1_epi32(bits[i / 8]), lane_bit);
    const __m256 set = _mm256_castsi256_ps(_mm256_cmpeq_epi32(b, lane_bit));
    const __m256 qv = _mm256_loadu_ps(q + i);
    acc = _mm256_add_ps(acc, _mm256_blendv_ps(_mm256_sub_ps(zero, qv), qv, set));
  }
  float s = hsum(acc);
  for (; i < n; ++i) s += ((bits[i >> 3] >> (i & 7)) & 1) ? q[i] : -q[i];
  return s;
}

void f32_to_f16(const float* in, uint16_t* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  for (; i < n; ++i) out[i] = _cvtss_sh(in[i], _MM_FROUND_TO_NEAREST_INT);
}

void f16_to_f32(const uint16_t* in, float* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, load_f16(in + i));
  for (; i < n; ++i) out[i] = _cvtsh_ss(in[i]);
}

namespace {

// out(a, b) receives q_a·d_b for a block of 2 query vectors x 4 document vectors; each dot runs in one
// 8-lane accumulator along dim, then one horizontal sum, so its value does not depend on the block.
template <typename Out>
inline void block_2x4(const float* const qv_[2], const float* const dv_[4], size_t dim, Out out) {
  const size_t full = dim / 8 * 8;
  __m256 acc[2][4];
  for (auto& r : acc)
    for (auto& x : r) x = _mm256_setzero_ps();
  for (size_t t = 0; t < full; t += 8) {
    __m256 dv[4];
    for (int b = 0; b < 4; ++b) dv[b] = _mm256_loadu_ps(dv_[b] + t);
    for (int a = 0; a < 2; ++a) {
      const __m256 qv = _mm256_loadu_ps(qv_[a] + t);
      for (int b = 0; b < 4; ++b) acc[a][b] = _mm256_fmadd_ps(qv, dv[b], acc[a][b]);
    }
  }
  if (full < dim) {
    const __m256i m = first_lanes(dim - full);
    __m256 dv[4];
    for (int b = 0; b < 4; ++b) dv[b] = _mm256_maskload_ps(dv_[b] + full, m);
    for (int a = 0; a < 2; ++a) {
      const __m256 qv = _mm256_maskload_ps(qv_[a] + full, m);
      for (int b = 0; b < 4; ++b) acc[a][b] = _mm256_fmadd_ps(qv, dv[b], acc[a][b]);
    }
  }
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 4; ++b) out(a, b, hsum(acc[a][b]));
}

// Runs block_2x4 over all nq x nd pairs; a short last block repeats its last row/vector (a few dots
// computed twice, every dot through the same code). emit(i, j, value) gets each pair once.
template <typename VecAt, typename Emit>
void all_pairs(const float* q, int nq, VecAt vec_at, int nd, size_t dim, Emit emit) {
  for (int j = 0; j < nd; j += 4) {
    const float* dv_[4];
    for (int b = 0; b < 4; ++b) dv_[b] = vec_at(std::min(j + b, nd - 1));
    for (int i = 0; i < nq; i += 2) {
      const float* qv_[2];
      for (int a = 0; a < 2; ++a) qv_[a] = q + size_t(std::min(i + a, nq - 1)) * dim;
      block_2x4(qv_, dv_, dim, [&](int a, int b, float v) {
        if (i + a < nq && j + b < nd) emit(i + a, j + b, v);
      });
    }
  }
}

}  // namespace

void max_dots_plus(const float* q, int nq, const float* d, int nd, size_t dim, const float* const* add, float* best) {
  if (nq <= 0 || nd <= 0) return;
  all_pairs(
      q, nq, [&](int j) { return d + size_t(j) * dim; }, nd, dim,
      [&](int i, int j, float v) { best[i] = std::max(best[i], v + add[j][i]); });
}

void dots(const float* q, int nq, const float* const* d, int nd, size_t dim, float* const* out) {
  if (nq <= 0 || nd <= 0) return;
  all_pairs(q, nq, [&](int j) { return d[j]; }, nd, dim, [&](int i, int j, float v) { out[j][i] = v; });
}

}  // namespace m3::simd

#endif  // AVX2 + FMA + F16C without AVX-512
