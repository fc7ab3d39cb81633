#include "engine/ingest.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "engine/corpus_reader.h"
#include "engine/manifest_extra.h"
#include "engine/progress.h"

namespace m3 {

namespace {

struct Chunk {
  std::vector<Document> docs;
  std::vector<std::vector<int32_t>> ids;
  std::vector<CorpusPosition> after;  // where the reader stood just after each document's line
  CorpusPosition end;                 // corpus consumed once this chunk is indexed
  size_t skipped = 0;
  size_t other_shards = 0;
};

// A bounded queue: the reader runs at most `capacity` chunks ahead of the encoder.
class ChunkQueue {
 public:
  explicit ChunkQueue(size_t capacity) : capacity_(capacity) {}
  void push(Chunk c) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return q_.size() < capacity_ || closed_; });
    q_.push_back(std::move(c));
    not_empty_.notify_one();
  }
  bool pop(Chunk& c) {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return !q_.empty() || done_; });
    if (q_.empty()) return false;
    c = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void finish() { std::lock_guard<std::mutex> l(mu_); done_ = true; not_empty_.notify_all(); }
  void close() { std::lock_guard<std::mutex> l(mu_); closed_ = true; not_full_.notify_all(); }
  bool closed() { std::lock_guard<std::mutex> l(mu_); return closed_; }

 private:
  size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Chunk> q_;
  bool done_ = false, closed_ = false;
};

std::string absolute(const std::string& p) {
  char* r = ::realpath(p.c_str(), nullptr);
  if (!r) return p;
  std::string s(r);
  std::free(r);
  return s;
}

}  // namespace

namespace {
std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// The manifest's resume record: how far into which content the commit got.
std::string shard_text(const ShardSpec& s) { return std::to_string(s.index) + "/" + std::to_string(s.count); }

nlohmann::json record_of(const std::string& corpus, const CorpusPosition& p, size_t documents, bool complete, const ShardSpec& shard) {
  nlohmann::json r = {{"corpus", corpus}, {"lines", p.lines}, {"bytes", p.bytes}, {"hash", hex64(p.hash)},
                      {"documents", documents}, {"complete", complete}};
  if (shard.count > 1) r["shard"] = shard_text(shard);
  struct stat st;
  if (::stat(corpus.c_str(), &st) == 0) {
    r["size"] = static_cast<uint64_t>(st.st_size);
    r["mtime"] = static_cast<int64_t>(st.st_mtime);
  }
  return r;
}
}  // namespace

IngestStats ingest_corpus(Collection& collection, const std::string& corpus_path, const IngestOptions& opt) {
  if (opt.commit_every == 0 || opt.chunk == 0) throw UsageError("commit_every and chunk must be positive");
  IngestStats stats;
  const auto t0 = std::chrono::steady_clock::now();
  const std::string corpus = absolute(corpus_path);
  auto reader = std::make_unique<CorpusReader>(corpus_path);

  // Resume: the manifest's record says how many corpus lines the last commit covered and what they
  // held (byte count + hash). Only a file whose first `lines` lines hash the same is resumed: a file
  // rewritten under the same name is read from its start; a collection built from other content is
  // refused unless the caller asked to append.
  size_t done_before = 0;
  if (opt.track_progress) {
    const auto extra = collection.extra();
    bool same = false;
    std::string recorded = "documents added otherwise";
    if (extra.contains("ingest") && extra["ingest"].is_object()) {
      const auto& r = extra["ingest"];
      const std::string& where = collection.dir();
      recorded = extra_string(r, "corpus", "an unnamed corpus", where);
      const std::string recorded_shard = extra_string(r, "shard", "0/1", where);
      if (recorded_shard != shard_text(opt.shard))
        throw UsageError(collection.dir() + " was indexed as shard " + recorded_shard + ", not " + shard_text(opt.shard) +
                         " (a shard's collection holds only its documents)");
      if (r.contains("hash") && r["hash"].is_string() && r.contains("bytes")) {
        const size_t lines = static_cast<size_t>(extra_integer(r, "lines", 0, 0, INT64_MAX, where));
        const uint64_t bytes = static_cast<uint64_t>(extra_integer(r, "bytes", 0, 0, INT64_MAX, where));
        const std::string hash = r["hash"].get<std::string>();
        same = reader->skip_to_line(lines) && reader->position().bytes == bytes && hex64(reader->position().hash) == hash;
        if (same) {
          stats.resumed_from = lines;
          done_before = static_cast<size_t>(extra_integer(r, "documents", 0, 0, INT64_MAX, where));
        }
      }
    }
    // A record of an older m3 (no hash) for this same path: its content cannot be checked, so the
    // corpus is indexed again from its start (same docid replaces), never skipped.
    const bool legacy_same_path = extra.contains("ingest") && extra["ingest"].is_object() &&
                                  !extra["ingest"].contains("hash") && recorded == corpus;
    if (!same) {
      if ((extra.contains("ingest") || collection.info().documents > 0) && !opt.append && !legacy_same_path)
        throw UsageError(collection.dir() + " holds documents from " + recorded + ", not from the content of " + corpus +
                         " (another file, or this file changed); pass --append to add its documents to the collection "
                         "(or use m3 add)");
      if (reader->line() > 0) reader = std::make_unique<CorpusReader>(corpus_path);  // from the start
    }
  }
  const size_t total_lines = opt.progress ? count_lines(corpus_path) : 0;
  Progress progress("indexing", total_lines ? total_lines : 0, 10.0, opt.progress);

  const Encoder& encoder = collection.encoder();
  const int max_len = collection.passage_max_length();
  ChunkQueue queue(4);
  std::exception_ptr reader_error;
  std::thread producer([&] {
    bool eof = false;
    while (!eof && !queue.closed()) {  // closed: the consumer failed, stop reading
      Chunk c;
      Document d;
      CorpusPosition before = reader->position();
      try {
        while (c.docs.size() < opt.chunk) {
          before = reader->position();
          try {
            if (!reader->next(d)) { eof = true; break; }
          } catch (const InvalidInputError&) {  // a bad line: the stream goes on after it
            if (!opt.skip_bad) throw;
            ++c.skipped;
            continue;
          }
          if (!in_shard(d.docid, opt.shard)) { ++c.other_shards; continue; }  // another shard's (read, not indexed)
          c.ids.push_back(encoder.tokenize(d.passage(), max_len));
          c.docs.push_back(std::move(d));
          c.after.push_back(reader->position());
        }
        c.end = reader->position();
      } catch (...) {
        // A bad line (without skip_bad) or a stream that cannot be read on (corrupt gzip, I/O; never
        // skippable): the good documents before it in this chunk are still indexed and committed.
        reader_error = std::current_exception();
        c.end = before;
        eof = true;
      }
      if (!c.docs.empty() || c.skipped || c.other_shards) queue.push(std::move(c));
    }
    queue.finish();
  });

  size_t since_commit = 0;
  CorpusPosition last = reader->position();
  auto commit = [&](bool complete) {
    if (opt.track_progress)
      collection.commit_with({{"ingest", record_of(corpus, last, done_before + stats.documents, complete, opt.shard)}});
    else
      collection.commit();
    since_commit = 0;
  };
  try {
    Chunk c;
    while (queue.pop(c)) {
      const auto e0 = std::chrono::steady_clock::now();
      auto embs = encoder.encode_ids(c.ids);
      stats.encode_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count();
      for (size_t i = 0; i < c.docs.size(); ++i) {
        collection.add_encoded(c.docs[i], embs[i]);
        ++stats.documents;
        // Commits land exactly every commit_every documents, also inside a chunk (a kill loses at most that many).
        if (++since_commit >= opt.commit_every) {
          last = c.after[i];
          commit(false);
        }
      }
      stats.skipped += c.skipped;
      stats.other_shards += c.other_shards;
      last = c.end;
      progress.update(c.end.lines);
    }
  } catch (...) {
    queue.close();
    producer.join();
    throw;
  }
  producer.join();
  if (reader_error) {
    if (since_commit) commit(false);  // keep what was read correctly before the bad line
    std::rethrow_exception(reader_error);
  }
  commit(true);
  progress.finish(last.lines);
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return stats;
}

}  // namespace m3
