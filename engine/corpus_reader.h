// Reads a corpus file one document at a time (plain or gzip, detected by zlib):
//   JSONL in MIRACL layout: {"docid", "title", "text", ...}; other fields are kept as metadata.
//     ("_id"/"id" are accepted for "docid", as BEIR-style files name it.)
//   TSV: docid<TAB>text (further columns are kept as metadata "columns").
// A malformed line is an m3::Error naming "<file>:<line>" and the problem.
#pragma once
#include <memory>
#include <string>

#include "engine/collection.h"

namespace m3 {

enum class CorpusFormat { Jsonl, Tsv };
CorpusFormat corpus_format_of(const std::string& path);  // by extension: .jsonl/.json(.gz) or .tsv/.txt(.gz)

class CorpusReader {
 public:
  explicit CorpusReader(const std::string& path);
  ~CorpusReader();
  // Next document; false at the end. Blank lines are skipped.
  bool next(Document& doc);
  size_t line() const { return line_; }  // lines consumed so far
  // Skips ahead to just after line n without parsing (resuming a bulk index). False if the file is shorter.
  bool skip_to_line(size_t n);
  const std::string& path() const { return path_; }
  // Parses one line (exposed for tests and the HTTP server's JSON documents).
  static Document parse_json_document(const std::string& text, const std::string& where);

 private:
  bool read_line(std::string& out);
  std::string path_;
  CorpusFormat format_;
  void* gz_ = nullptr;  // gzFile
  size_t line_ = 0;
};

// Lines in a file (for progress ETA); 0 when it cannot be counted cheaply.
size_t count_lines(const std::string& path);

}  // namespace m3
