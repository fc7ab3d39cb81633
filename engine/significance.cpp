#include "engine/significance.h"

#include <cmath>
#include <random>
#include <stdexcept>

namespace m3 {

namespace {

std::vector<double> differences(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) throw std::invalid_argument("paired test: different numbers of queries");
  std::vector<double> d(a.size());
  for (size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  return d;
}

// Continued fraction of the incomplete beta function (modified Lentz's method).
double beta_fraction(double a, double b, double x) {
  const double tiny = 1e-300, eps = 1e-15;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 1000; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d; if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c; if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d; if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c; if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < eps) break;
  }
  return h;
}

}  // namespace

double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return front * beta_fraction(a, b, x) / a;
  return 1 - front * beta_fraction(b, a, 1 - x) / b;
}

double paired_t_test(const std::vector<double>& a, const std::vector<double>& b) {
  const auto d = differences(a, b);
  const size_t n = d.size();
  if (n < 2) return 1;
  double mean = 0;
  for (double x : d) mean += x;
  mean /= n;
  double var = 0;
  for (double x : d) var += (x - mean) * (x - mean);
  var /= n - 1;
  if (var == 0) return mean == 0 ? 1 : 0;
  const double t = mean / std::sqrt(var / n), df = n - 1.0;
  return incomplete_beta(df / 2, 0.5, df / (df + t * t));
}

double randomization_test(const std::vector<double>& a, const std::vector<double>& b, size_t permutations, uint64_t seed) {
  const auto d = differences(a, b);
  const size_t n = d.size();
  if (n < 2 || permutations == 0) return 1;
  double observed = 0;
  bool differ = false;
  for (double x : d) { observed += x; differ = differ || x != 0; }
  if (!differ) return 1;
  observed = std::fabs(observed);
  // Sums are compared with a relative tolerance so a permutation equal to the observed one counts
  // despite a different summation order.
  const double tol = 1e-9 * (1 + observed);
  std::mt19937_64 rng(seed);
  size_t hits = 0;
  for (size_t p = 0; p < permutations; ++p) {
    double sum = 0;
    uint64_t bits = 0;
    for (size_t i = 0; i < n; ++i) {
      if (i % 64 == 0) bits = rng();
      sum += (bits & 1) ? -d[i] : d[i];
      bits >>= 1;
    }
    hits += std::fabs(sum) >= observed - tol;
  }
  return (hits + 1.0) / (permutations + 1.0);
}

}  // namespace m3
