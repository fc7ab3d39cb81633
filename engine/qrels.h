// TREC qrels as MIRACL / Mr.TyDi publish them: `qid Q0 docid rel`, tab- or space-separated,
// plain or gzip. Relevance is a graded integer (0 = judged non-relevant).
#pragma once
#include <map>
#include <string>
#include <unordered_map>

namespace m3 {

// qid -> docid -> relevance. A (qid, docid) listed twice keeps the larger grade.
using Qrels = std::map<std::string, std::unordered_map<std::string, int>>;

Qrels read_qrels(const std::string& path);  // Error naming file:line on a malformed line or one over 4 KiB

}  // namespace m3
