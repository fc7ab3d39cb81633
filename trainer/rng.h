// A small, portable random generator (splitmix64) for data order, sampling and masking.
// std::shuffle and the std distributions are implementation-defined, so the same seed could give a
// different data order on the GPU machine's standard library; this one gives the same everywhere,
// which is what makes "fixed seed" and exact resume hold across machines.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

namespace m3::trainer {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  // A generator for a sub-stream (e.g. (seed, epoch, batch)): independent of how far others advanced.
  static Rng derive(uint64_t seed, uint64_t a, uint64_t b = 0) {
    Rng r(seed ^ 0x9E3779B97F4A7C15ull);
    r.state_ ^= r.next() + a * 0xD1B54A32D192ED03ull;
    r.state_ ^= r.next() + b * 0x8CB92BA72F3D8DD7ull;
    return r;
  }

  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n > 0. The modulo bias is below 2^-40 for the sizes used here.
  uint64_t below(uint64_t n) { return next() % n; }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

 private:
  uint64_t state_;
};

}  // namespace m3::trainer
