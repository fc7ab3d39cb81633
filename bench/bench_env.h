// Benchmark sizes and switches from the environment (N=100000 bench/...), with defaults.
#pragma once
#include <cstdlib>
#include <string>

namespace m3::bench {

inline size_t env(const char* name, size_t def) {
  const char* v = std::getenv(name);
  return v ? size_t(std::stoull(v)) : def;
}

inline std::string env_s(const char* name, const char* def) {
  const char* v = std::getenv(name);
  return v ? v : def;
}

}  // namespace m3::bench
