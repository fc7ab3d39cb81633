// Shared helpers of the index tests: temporary directories and synthetic data shaped like M3 output.
#pragma once
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/sparse_vector.h"

namespace m3::test {

struct TempDir {
  std::string path;
  TempDir() {
    std::string base = std::filesystem::temp_directory_path().string() + "/m3idx-XXXXXX";
    std::vector<char> buf(base.begin(), base.end());
    buf.push_back('\0');
    path = mkdtemp(buf.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string sub(const std::string& name) const { return path + "/" + name; }
};

inline void normalize(float* v, int dim) {
  double s = 0;
  for (int i = 0; i < dim; ++i) s += double(v[i]) * v[i];
  float inv = float(1.0 / std::sqrt(std::max(s, 1e-30)));
  for (int i = 0; i < dim; ++i) v[i] *= inv;
}

// n unit vectors around `centers` cluster centres (closer to real embeddings than i.i.d. noise).
inline std::vector<float> clustered(size_t n, int dim, int centers, float noise, std::mt19937_64& rng) {
  std::normal_distribution<float> g(0.f, 1.f);
  std::vector<float> c(size_t(centers) * dim), x(n * dim);
  for (auto& v : c) v = g(rng);
  for (int i = 0; i < centers; ++i) normalize(&c[size_t(i) * dim], dim);
  for (size_t i = 0; i < n; ++i) {
    size_t k = rng() % size_t(centers);
    for (int j = 0; j < dim; ++j) x[i * dim + j] = c[k * dim + j] + noise * g(rng);
    normalize(&x[i * dim], dim);
  }
  return x;
}

// Zipf-distributed term sampler over [0, vocab).
struct Zipf {
  std::vector<double> cdf;
  Zipf(size_t vocab, double s) : cdf(vocab) {
    double acc = 0;
    for (size_t i = 0; i < vocab; ++i) cdf[i] = acc += 1.0 / std::pow(double(i + 1), s);
    for (auto& v : cdf) v /= acc;
  }
  uint32_t operator()(std::mt19937_64& rng) const {
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return uint32_t(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
  }
};

// A sparse vector of about n distinct terms, weights in (0, max_w].
inline SparseVector random_sparse(size_t n, const Zipf& z, float max_w, std::mt19937_64& rng) {
  std::map<uint32_t, float> m;
  std::uniform_real_distribution<float> w(0.f, max_w);
  for (size_t tries = 0; m.size() < n && tries < n * 20; ++tries) m[z(rng)] = std::max(1e-4f, w(rng));
  SparseVector v;
  for (auto& [t, x] : m) {
    v.ids.push_back(t);
    v.weights.push_back(x);
  }
  return v;
}

}  // namespace m3::test
