#include "engine/qrels.h"

#include <zlib.h>

#include <algorithm>
#include <sstream>
#include <vector>

#include "common/error.h"

namespace m3 {

Qrels read_qrels(const std::string& path) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) throw Error(path + ": cannot open qrels file");
  Qrels q;
  char buf[1 << 16];
  size_t n = 0;
  std::string line;
  auto parse = [&] {
    ++n;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) return;
    std::istringstream ss(line);
    std::vector<std::string> f;
    for (std::string t; ss >> t;) f.push_back(t);
    const std::string where = path + ":" + std::to_string(n);
    if (f.size() != 4) throw Error(where + ": expected 'qid Q0 docid relevance', got " + std::to_string(f.size()) + " fields");
    int rel;
    try {
      size_t used = 0;
      rel = std::stoi(f[3], &used);
      if (used != f[3].size()) throw std::invalid_argument(f[3]);
    } catch (const std::exception&) {
      throw Error(where + ": relevance '" + f[3] + "' is not an integer");
    }
    auto& r = q[f[0]][f[2]];
    r = std::max(r, rel);
  };
  try {
    while (gzgets(gz, buf, sizeof buf)) {
      line += buf;
      if (line.size() > 4096) throw Error(path + ":" + std::to_string(n + 1) + ": line longer than 4096 bytes");
      if (!line.empty() && line.back() == '\n') { parse(); line.clear(); }
    }
    if (!line.empty()) parse();
  } catch (...) {
    gzclose(gz);
    throw;
  }
  gzclose(gz);
  return q;
}

}  // namespace m3
