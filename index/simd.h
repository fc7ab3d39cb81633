// Vector kernels shared by the dense scorer and MaxSim. index/ is built with -march=native, and one of
// three implementations compiles: AVX-512 (simd_avx512.cpp), AVX2 + FMA + F16C (simd_avx2.cpp, for
// CPUs and VMs without AVX-512), plain loops otherwise (simd_portable.cpp). One definition each, so
// every caller gets bit-identical results for the same inputs on a given machine.
#pragma once
#include <cstddef>
#include <cstdint>

namespace m3::simd {

float dot_f32(const float* a, const float* b, size_t n);
float dot_f16(const float* q, const uint16_t* d, size_t n);            // d: IEEE half
float dot_i8(const float* q, const int8_t* d, size_t n);               // times the vector's scale by the caller
// Σ_i q_i·s_i with s_i = +1 where bit i of `bits` is set, else -1 (binary codec).
float dot_sign(const float* q, const uint8_t* bits, size_t n);
float sum_f32(const float* a, size_t n);
// best[i] = max(best[i], max_j q_i·d_j + add[j][i]) for q (nq x dim) and d (nd x dim), row-major, with
// an offset per (doc vector, query vector): the residual codec's MaxSim inner loop. Register-blocked
// 4 queries x 4 doc vectors so each load feeds 4 FMAs and horizontal sums happen once per 16 dots.
void max_dots_plus(const float* q, int nq, const float* d, int nd, size_t dim, const float* const* add, float* best);
// out[j][i] = q_i·d[j] for q (nq x dim) and nd vectors given by pointer. Every dot is summed the same
// way whichever block it falls in (one 16-lane accumulator along dim, then one horizontal sum), so a
// value does not depend on nd or on the other vectors: tables filled lazily stay deterministic.
void dots(const float* q, int nq, const float* const* d, int nd, size_t dim, float* const* out);

void f32_to_f16(const float* in, uint16_t* out, size_t n);
void f16_to_f32(const uint16_t* in, float* out, size_t n);

}  // namespace m3::simd
