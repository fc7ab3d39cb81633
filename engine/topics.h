// TREC-style topics files as MIRACL publishes them: qid<TAB>query per line (plain or gzip).
// Run files are engine/run_file.h.
#pragma once
#include <string>
#include <vector>

namespace m3 {

struct Topic { std::string qid, query; };

// Error naming file:line on a malformed line, a line over 1 MiB or a qid given twice (its results
// would be merged into one ranking).
std::vector<Topic> read_topics(const std::string& path);

}  // namespace m3
