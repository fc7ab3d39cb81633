// Bulk indexing: read -> tokenize -> encode in length-sorted batches -> index, with reading and
// tokenising on a second thread so they overlap the encoder. Commits every `commit_every` documents,
// recording in the same atomic MANIFEST how far into the corpus it got, so an interrupted run
// (Ctrl-C, SIGKILL, power loss) continues from its last commit when started again on the same corpus
// (same content: the record holds a hash of the lines it covered, so a changed file is never skipped).
// A bad line stops the run (InvalidInputError naming file:line) after committing every good line before
// it; with skip_bad it is counted and skipped. A stream that cannot be read on (corrupt gzip) always stops.
#pragma once
#include <cstddef>
#include <string>

#include "engine/collection.h"
#include "engine/shard_routing.h"

namespace m3 {

struct IngestOptions {
  size_t commit_every = 10000;  // documents per commit (a resume repeats at most this many)
  size_t chunk = 512;           // documents tokenised/encoded together (sorted by length inside)
  bool skip_bad = false;        // skip malformed lines (counted) instead of stopping at the first
  bool progress = true;         // progress on stderr
  // m3 index: record in each commit how far into the corpus (lines, bytes, content hash) it got, and
  // resume from there when the same content comes again. Off (m3 add): every document is added.
  bool track_progress = true;
  // With track_progress: a collection holding documents from other content is refused (UsageError)
  // unless append is set; with append the corpus is indexed from its start (same docid replaces).
  bool append = false;
  // Index only the documents of this shard (engine/shard_routing.h); the others are read and
  // skipped. Recorded with the progress: a resume with another shard spec is refused.
  ShardSpec shard;
};

struct IngestStats {
  size_t documents = 0;      // indexed in this run
  size_t resumed_from = 0;   // corpus lines skipped because an earlier run committed them
  size_t skipped = 0;        // malformed lines skipped (skip_bad)
  size_t other_shards = 0;   // documents left to the other shards (--shard)
  double seconds = 0;        // wall time
  double encode_seconds = 0; // time inside the encoder's forward passes
  double docs_per_second() const { return seconds > 0 ? documents / seconds : 0; }
  double outside_encoder_share() const { return seconds > 0 ? 1.0 - encode_seconds / seconds : 0; }
};

IngestStats ingest_corpus(Collection& collection, const std::string& corpus_path, const IngestOptions& options);

}  // namespace m3
