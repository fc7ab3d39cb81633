#include "engine/topics.h"

#include <zlib.h>

#include <cstdio>
#include <unordered_map>

#include "common/error.h"
#include "common/utf8.h"

namespace m3 {

std::vector<Topic> read_topics(const std::string& path) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) throw Error(path + ": cannot open topics file");
  std::vector<Topic> out;
  std::string line;
  char buf[1 << 16];
  size_t n = 0;
  constexpr size_t kMaxLine = 1 << 20;
  std::unordered_map<std::string, size_t> first_line;
  auto flush = [&]() {
    ++n;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.empty()) return;
    const std::string where = path + ":" + std::to_string(n);
    if (!is_valid_utf8(line)) throw Error(where + ": invalid UTF-8");
    const size_t tab = line.find('\t');
    if (tab == std::string::npos || tab == 0) throw Error(where + ": expected qid<TAB>query");
    auto [it, fresh] = first_line.emplace(line.substr(0, tab), n);
    if (!fresh) throw Error(where + ": qid '" + it->first + "' repeated (first at line " + std::to_string(it->second) + ")");
    out.push_back({line.substr(0, tab), line.substr(tab + 1)});
  };
  try {
    while (gzgets(gz, buf, sizeof buf)) {
      line += buf;
      if (line.size() > kMaxLine) throw Error(path + ":" + std::to_string(n + 1) + ": line longer than 1 MiB");
      if (!line.empty() && line.back() == '\n') { flush(); line.clear(); }
    }
    if (!line.empty()) flush();
  } catch (...) {
    gzclose(gz);
    throw;
  }
  gzclose(gz);
  return out;
}

}  // namespace m3
