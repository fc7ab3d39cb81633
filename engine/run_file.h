// TREC run files, `qid Q0 docid rank score tag` per line, as trec_eval, pyserini and ranx read and write them.
//   read_run_file   any system's run; Error naming file:line on a malformed line; lines, ids and rows bounded
//   run_depth       the most hits any query of a run has (a run cut at 10 cannot give Recall@100)
//   run_tag         m3's tag, "m3-<mode>-k<depth>": the mode (dense+sparse, as everywhere) and the cut
//   write_run       one query's hits as run lines
//   write_run_file  a whole run, atomically (tmp + rename); an existing file is an Error unless overwrite
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "engine/collection.h"
#include "engine/metrics.h"
#include "engine/topics.h"

namespace m3 {

struct RunFile {
  Run run;
  std::string tag;  // the first line's tag ("" for an empty file)
};

RunFile read_run_file(const std::string& path);
size_t run_depth(const Run& run);
std::string run_tag(const std::string& mode, size_t k);

void write_run(std::ostream& out, const std::string& qid, const std::vector<Hit>& hits, const std::string& tag);
void write_run_file(const std::string& path, const std::vector<Topic>& topics, const std::vector<SearchResult>& results,
                    const std::string& tag, bool overwrite = false);

}  // namespace m3
