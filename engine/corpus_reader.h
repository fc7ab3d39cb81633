// Reads a corpus file one document at a time (plain or gzip, detected by zlib):
//   JSONL in MIRACL layout: {"docid", "title", "text", ...}; other fields are kept as metadata.
//     ("_id"/"id" are accepted for "docid", as BEIR-style files name it.)
//   TSV: docid<TAB>text (further columns are kept as metadata "columns").
// A malformed line is an InvalidInputError naming "<file>:<line>" and the problem (skippable: the
// next line is read normally). A stream that cannot be read on (corrupt or truncated gzip: a
// CorruptionError; an OS read error: an IoError) is not a bad line: every later call throws it again.
// JSON lines are parsed with bounded size and nesting depth (common/json_input.h). A leading UTF-8
// byte-order mark (U+FEFF) is dropped from the file's first line and from titles and texts.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/collection.h"

namespace m3 {

enum class CorpusFormat { Jsonl, Tsv };
CorpusFormat corpus_format_of(const std::string& path);  // by extension: .jsonl/.json(.gz) or .tsv/.txt(.gz)

// How far into a corpus a reader got, and a hash of every byte consumed so far: a resume record
// ties itself to the content it covered, not to the file's name.
struct CorpusPosition {
  size_t lines = 0;
  uint64_t bytes = 0;  // uncompressed bytes consumed
  uint64_t hash = 0;   // FNV-1a 64 of those bytes (kCorpusHashSeed when none)
};
constexpr uint64_t kCorpusHashSeed = 0xcbf29ce484222325ull;

class CorpusReader {
 public:
  // buffer_bytes: the read buffer (and zlib's); the fuzz targets pass a small one so that lines cross
  // buffer edges often and an execution does not pay for megabytes of sanitizer-poisoned memory.
  static constexpr size_t kDefaultBufferBytes = 1u << 20;
  explicit CorpusReader(const std::string& path, size_t buffer_bytes = kDefaultBufferBytes);
  ~CorpusReader();
  CorpusReader(const CorpusReader&) = delete;
  CorpusReader& operator=(const CorpusReader&) = delete;
  // Next document; false at the end. Blank lines are skipped.
  bool next(Document& doc);
  size_t line() const { return pos_.lines; }  // lines consumed so far
  const CorpusPosition& position() const { return pos_; }
  // Skips ahead to just after line n without parsing (resuming a bulk index). False if the file is shorter.
  bool skip_to_line(size_t n);
  const std::string& path() const { return path_; }
  // Parses one line (exposed for tests and the HTTP server's JSON documents). InvalidInputError naming `where`.
  static Document parse_json_document(const std::string& text, const std::string& where);

 private:
  bool read_line(std::string& out);
  bool fill();
  std::string path_;
  CorpusFormat format_;
  void* gz_ = nullptr;  // gzFile
  std::vector<char> buf_;
  size_t buf_pos_ = 0, buf_len_ = 0;
  bool eof_ = false;
  std::string failure_;  // set once the stream failed: every later read throws it again
  bool failure_is_io_ = false;
  CorpusPosition pos_{0, 0, kCorpusHashSeed};
};

// Drops a leading UTF-8 byte-order mark (EF BB BF) from s.
void strip_bom(std::string& s);

// Lines in a file (for progress ETA); 0 when it cannot be counted cheaply.
size_t count_lines(const std::string& path);

}  // namespace m3
