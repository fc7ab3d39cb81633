// Shared helpers for the encoder tests: fixture paths, JSON reference loading, vector comparisons.
#pragma once
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace m3::testing {

inline std::string fixture(const std::string& name) { return std::string(M3_SOURCE_DIR) + "/tests/fixtures/" + name; }

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

inline std::vector<std::string> fixture_texts() {
  std::ifstream in(fixture("texts.txt"));
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

inline double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  if (aa == 0 && bb == 0) return 1.0;
  return ab / std::sqrt(aa * bb + 1e-30);
}

inline std::string temp_dir(const std::string& tag) {
  std::string t = "/tmp/m3test_" + tag + "_XXXXXX";
  return std::string(mkdtemp(t.data()));
}

inline void copy_file(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary);
  out << in.rdbuf();
}

}  // namespace m3::testing
