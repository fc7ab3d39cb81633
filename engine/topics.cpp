#include "engine/topics.h"

#include <zlib.h>

#include <cstdio>
#include <fstream>

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
  auto flush = [&]() {
    ++n;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.empty()) return;
    const std::string where = path + ":" + std::to_string(n);
    if (!is_valid_utf8(line)) throw Error(where + ": invalid UTF-8");
    const size_t tab = line.find('\t');
    if (tab == std::string::npos || tab == 0) throw Error(where + ": expected qid<TAB>query");
    out.push_back({line.substr(0, tab), line.substr(tab + 1)});
  };
  try {
    while (gzgets(gz, buf, sizeof buf)) {
      line += buf;
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

void write_run(std::ostream& out, const std::string& qid, const std::vector<Hit>& hits, const std::string& tag) {
  char score[32];
  for (size_t i = 0; i < hits.size(); ++i) {
    std::snprintf(score, sizeof score, "%.6f", hits[i].score);
    out << qid << " Q0 " << hits[i].docid << " " << (i + 1) << " " << score << " " << tag << "\n";
  }
}

void write_run_file(const std::string& path, const std::vector<Topic>& topics, const std::vector<SearchResult>& results,
                    const std::string& tag) {
  if (tag.empty() || tag.find_first_of(" \t\n") != std::string::npos) throw UsageError("run tag must be one word");
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw Error(path + ": cannot write run file");
    for (size_t i = 0; i < topics.size() && i < results.size(); ++i) write_run(out, topics[i].qid, results[i].hits, tag);
    out.flush();
    if (!out) throw Error(path + ": write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw Error(path + ": rename failed");
}

}  // namespace m3
