// The MANIFEST: the one file that says what a commit is. Replaced atomically (write_file_atomic);
// whatever it does not name (segment dirs, tombstone files, doc records past next_doc) is garbage
// from an interrupted commit and is removed by IndexStore::open.
//
// JSON, with an xxHash3 checksum of its own body so a damaged file is an error, not a guess:
//   {"format":"m3-index","version":1,"generation":G,"next_doc":N,"settings":{...},
//    "codebook":{file},"segments":[{"name":"seg-G","n_docs":..,"first_doc":..,"last_doc":..,
//    "files":[{"name","size","xxh3"}],"deletes":{file}|null,"n_deleted":..,"dense_factory":..,
//    "dense_fallback":..,"bm25_total_len":..}],"checksum":"<hex>"}
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "index/index_settings.h"

namespace m3 {

struct FileEntry {
  std::string name;  // relative to the collection directory
  uint64_t size = 0;
  uint64_t xxh3 = 0;
};

struct SegmentMeta {
  std::string name;  // seg-<generation that wrote it>
  uint64_t n_docs = 0;
  int64_t first_doc = 0, last_doc = -1;
  std::vector<FileEntry> files;
  std::optional<FileEntry> deletes;  // tombstone rows as of this commit
  uint64_t n_deleted = 0;
  std::string dense_factory, dense_fallback;  // what FAISS structure was built, and why if not the asked one
  double bm25_total_len = 0;                  // Σ document lengths (tokens) of all rows
};

struct Manifest {
  uint64_t generation = 0;
  int64_t next_doc = 0;
  IndexSettings settings;
  std::optional<FileEntry> codebook;  // residual multivec codec
  std::vector<SegmentMeta> segments;  // ascending, disjoint doc ranges

  std::string serialize() const;
  static Manifest parse(const std::string& text, const std::string& path);  // Error naming the problem
};

FileEntry file_entry(const std::string& dir, const std::string& name);  // size + checksum of a written file
// Error naming the file when it is missing, has another size or (verify_checksum) another checksum.
void verify_file(const std::string& dir, const FileEntry& f, bool verify_checksum);

}  // namespace m3
