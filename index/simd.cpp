#include "index/simd.h"

#include <algorithm>
#include <cstring>

namespace m3::simd {

// The kernels themselves are in simd_avx512.cpp, simd_avx2.cpp or simd_portable.cpp: one per
// instruction set, exactly one compiled in. What follows is the same on every CPU.

float sum_f32(const float* a, size_t n) {
  float s = 0.f;
  for (size_t i = 0; i < n; ++i) s += a[i];
  return s;
}

}  // namespace m3::simd
