#include "engine/run_file.h"

#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace m3 {

namespace {
// Bounds against hostile or mistaken input (a binary file, a corpus passed as a run): far above any
// real run (MS MARCO runs are 1000 x 7k = 7M rows of ~50 bytes).
constexpr size_t kMaxLine = 4096, kMaxId = 512, kMaxRows = 100'000'000;
}  // namespace

RunFile read_run_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open run file");
  RunFile out;
  std::string line;
  size_t n = 0, rows = 0;
  while (std::getline(in, line)) {
    ++n;
    const std::string where = path + ":" + std::to_string(n);
    if (line.size() > kMaxLine) throw Error(where + ": line longer than " + std::to_string(kMaxLine) + " bytes");
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream ss(line);
    std::vector<std::string> f;
    for (std::string t; ss >> t;) f.push_back(t);
    if (f.size() != 6)
      throw Error(where + ": expected 'qid Q0 docid rank score tag', got " + std::to_string(f.size()) + " fields");
    if (f[0].size() > kMaxId || f[2].size() > kMaxId) throw Error(where + ": qid or docid longer than " + std::to_string(kMaxId) + " bytes");
    double score;
    try {
      size_t used = 0;
      score = std::stod(f[4], &used);
      if (used != f[4].size() || !std::isfinite(score)) throw std::invalid_argument(f[4]);
    } catch (const std::exception&) {
      throw Error(where + ": score '" + f[4] + "' is not a finite number");
    }
    if (f[3].find_first_not_of("0123456789") != std::string::npos) throw Error(where + ": rank '" + f[3] + "' is not an integer");
    if (++rows > kMaxRows) throw Error(where + ": more than " + std::to_string(kMaxRows) + " rows");
    if (out.tag.empty()) out.tag = f[5];
    out.run[f[0]].push_back({f[2], score});
  }
  return out;
}

size_t run_depth(const Run& run) {
  size_t d = 0;
  for (const auto& [q, hits] : run) d = std::max(d, hits.size());
  return d;
}

std::string run_tag(const std::string& mode, size_t k) { return "m3-" + mode + "-k" + std::to_string(k); }

void write_run(std::ostream& out, const std::string& qid, const std::vector<Hit>& hits, const std::string& tag) {
  char score[32];
  for (size_t i = 0; i < hits.size(); ++i) {
    std::snprintf(score, sizeof score, "%.6f", hits[i].score);
    out << qid << " Q0 " << hits[i].docid << " " << (i + 1) << " " << score << " " << tag << "\n";
  }
}

void write_run_file(const std::string& path, const std::vector<Topic>& topics, const std::vector<SearchResult>& results,
                    const std::string& tag, bool overwrite) {
  if (tag.empty() || tag.find_first_of(" \t\n") != std::string::npos) throw UsageError("run tag must be one word");
  struct stat st;
  if (!overwrite && ::stat(path.c_str(), &st) == 0)
    throw Error(path + ": run file exists; remove it or pass --overwrite to replace it");
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
