// TREC-style topic and run files as MIRACL publishes them.
//   topics: qid<TAB>query per line (plain or gzip)
//   run:    qid Q0 docid rank score tag
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "engine/collection.h"

namespace m3 {

struct Topic { std::string qid, query; };

std::vector<Topic> read_topics(const std::string& path);  // Error naming file:line on a malformed line

struct RunEntry { std::string qid, docid; int rank = 0; float score = 0; };

// Writes hits of one query as run lines (rank from 1); tag must not contain whitespace.
void write_run(std::ostream& out, const std::string& qid, const std::vector<Hit>& hits, const std::string& tag);
// Writes a run file atomically (tmp + rename).
void write_run_file(const std::string& path, const std::vector<Topic>& topics, const std::vector<SearchResult>& results,
                    const std::string& tag);

}  // namespace m3
