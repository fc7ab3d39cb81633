#include "engine/eval_labels.h"

#include <map>

namespace m3 {

std::string short_label(const std::string& path) {
  std::string base = path.substr(path.rfind('/') + 1);
  for (const std::string pre : {"topics.miracl-v1.0-", "topics.mrtydi-v1.1-"})
    if (base.rfind(pre, 0) == 0) {
      base = base.substr(pre.size());
      return base.substr(0, base.find_first_of("-."));
    }
  return base;
}

namespace {
// The last `parts` components of path ("a/b/topics.tsv", 2 -> "b/topics.tsv"); the whole path when shorter.
std::string suffix(const std::string& path, size_t parts) {
  size_t pos = path.size();
  for (size_t i = 0; i < parts; ++i) {
    if (pos == 0) return path;
    const size_t slash = path.rfind('/', pos - 1);
    if (slash == std::string::npos) return path;
    pos = slash;
  }
  return path.substr(pos + 1);
}
}  // namespace

std::vector<std::string> distinct_labels(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) out.push_back(short_label(p));
  for (size_t parts = 2; parts < 64; ++parts) {
    std::map<std::string, size_t> count;
    for (const auto& l : out) ++count[l];
    bool clash = false;
    for (size_t i = 0; i < out.size(); ++i)
      if (count[out[i]] > 1) { out[i] = suffix(paths[i], parts); clash = true; }
    if (!clash) break;
  }
  std::map<std::string, size_t> seen;  // the same path twice
  for (auto& l : out)
    if (const size_t n = ++seen[l]; n > 1) l += "#" + std::to_string(n);
  return out;
}

std::string file_safe(const std::string& name) {
  std::string out;
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                    c == '_' || c == '+' || c == '@' || c == ',' || c == '#' || c >= 0x80;
    out += ok ? ch : '_';
  }
  if (out.empty() || out[0] == '.') out.insert(out.begin(), '_');
  return out;
}

}  // namespace m3
