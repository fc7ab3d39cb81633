// index/simd.h: every kernel against a double-precision loop, at every length from 0 to 80 (full
// steps, partial tails, both) and for the blocked kernels every query/vector count from 1 to 9 (whole
// blocks and remainders). Runs the variant this machine compiles (AVX-512, AVX2 or plain loops).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "index/simd.h"

namespace m3 {
namespace {

std::vector<float> randoms(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

double exact_dot(const float* a, const float* b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += double(a[i]) * b[i];
  return s;
}

TEST(Simd, DotKernelsAtEveryLength) {
  std::mt19937 rng(3);
  for (size_t n = 0; n <= 80; ++n) {
    auto a = randoms(n, rng), b = randoms(n, rng);
    const double tol = 1e-5 * (1 + double(n));
    EXPECT_NEAR(simd::dot_f32(a.data(), b.data(), n), exact_dot(a.data(), b.data(), n), tol) << n;

    std::vector<uint16_t> h(n);
    simd::f32_to_f16(b.data(), h.data(), n);
    std::vector<float> back(n);
    simd::f16_to_f32(h.data(), back.data(), n);
    for (size_t i = 0; i < n; ++i) EXPECT_NEAR(back[i], b[i], 1e-3) << n;  // half precision: 2^-11 relative
    EXPECT_NEAR(simd::dot_f16(a.data(), h.data(), n), exact_dot(a.data(), back.data(), n), tol) << n;

    std::vector<int8_t> c(n);
    std::vector<float> cf(n);
    for (size_t i = 0; i < n; ++i) cf[i] = c[i] = int8_t(int(rng() % 255) - 127);
    EXPECT_NEAR(simd::dot_i8(a.data(), c.data(), n), exact_dot(a.data(), cf.data(), n), 127 * tol) << n;

    std::vector<uint8_t> bits((n + 7) / 8);
    std::vector<float> signs(n);
    for (size_t i = 0; i < n; ++i) {
      const bool set = rng() & 1;
      if (set) bits[i / 8] |= uint8_t(1u << (i % 8));
      signs[i] = set ? 1.f : -1.f;
    }
    EXPECT_NEAR(simd::dot_sign(a.data(), bits.data(), n), exact_dot(a.data(), signs.data(), n), tol) << n;
  }
}

TEST(Simd, BlockedKernelsAtEveryShape) {
  std::mt19937 rng(5);
  for (size_t dim : {8u, 20u, 64u, 256u}) {
    for (int nq = 1; nq <= 9; ++nq) {
      for (int nd = 1; nd <= 9; ++nd) {
        auto q = randoms(size_t(nq) * dim, rng), d = randoms(size_t(nd) * dim, rng), add = randoms(size_t(nq * nd), rng);
        std::vector<const float*> rows(static_cast<size_t>(nd)), add_rows(static_cast<size_t>(nd));
        std::vector<std::vector<float>> out(static_cast<size_t>(nd), std::vector<float>(static_cast<size_t>(nq), NAN));
        std::vector<float*> out_rows(static_cast<size_t>(nd));
        for (int j = 0; j < nd; ++j) {
          rows[size_t(j)] = &d[size_t(j) * dim];
          add_rows[size_t(j)] = &add[size_t(j * nq)];
          out_rows[size_t(j)] = out[size_t(j)].data();
        }
        simd::dots(q.data(), nq, rows.data(), nd, dim, out_rows.data());
        std::vector<float> best(static_cast<size_t>(nq), -INFINITY);
        simd::max_dots_plus(q.data(), nq, d.data(), nd, dim, add_rows.data(), best.data());
        for (int i = 0; i < nq; ++i) {
          double want_best = -INFINITY;
          for (int j = 0; j < nd; ++j) {
            const double e = exact_dot(&q[size_t(i) * dim], rows[size_t(j)], dim);
            EXPECT_NEAR(out[size_t(j)][size_t(i)], e, 1e-4) << dim << " " << nq << "x" << nd;
            want_best = std::max(want_best, e + add_rows[size_t(j)][i]);
          }
          EXPECT_NEAR(best[size_t(i)], want_best, 1e-4) << dim << " " << nq << "x" << nd;
        }
      }
    }
  }
}

// A dot's value from simd::dots does not depend on which block it falls in (MaxSim scores must not
// depend on the other candidates): the same pair computed alone and among others is bit-identical.
TEST(Simd, DotsIndependentOfNeighbours) {
  std::mt19937 rng(9);
  const size_t dim = 72;
  auto q = randoms(7 * dim, rng), d = randoms(11 * dim, rng);
  std::vector<const float*> rows(11);
  std::vector<std::vector<float>> all(11, std::vector<float>(7));
  std::vector<float*> all_rows(11);
  for (size_t j = 0; j < 11; ++j) rows[j] = &d[j * dim], all_rows[j] = all[j].data();
  simd::dots(q.data(), 7, rows.data(), 11, dim, all_rows.data());
  for (int i = 0; i < 7; ++i)
    for (size_t j = 0; j < 11; ++j) {
      float alone;
      float* alone_row = &alone;
      simd::dots(&q[size_t(i) * dim], 1, &rows[j], 1, dim, &alone_row);
      EXPECT_EQ(alone, all[j][size_t(i)]) << i << " " << j;
    }
}

}  // namespace
}  // namespace m3
