#include "engine/ingest.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "engine/corpus_reader.h"
#include "engine/progress.h"

namespace m3 {

namespace {

struct Chunk {
  std::vector<Document> docs;
  std::vector<std::vector<int32_t>> ids;
  size_t end_line = 0;  // corpus lines consumed once this chunk is indexed
  size_t skipped = 0;
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

IngestStats ingest_corpus(Collection& collection, const std::string& corpus_path, const IngestOptions& opt) {
  if (opt.commit_every == 0 || opt.chunk == 0) throw UsageError("commit_every and chunk must be positive");
  IngestStats stats;
  const auto t0 = std::chrono::steady_clock::now();
  const std::string corpus = absolute(corpus_path);
  CorpusReader reader(corpus_path);

  // Resume: the manifest says how many corpus lines the last commit covered.
  const auto extra = collection.extra();
  size_t start_line = 0, done_before = 0;
  if (extra.contains("ingest") && extra["ingest"].value("corpus", "") == corpus) {
    start_line = extra["ingest"].value("lines", size_t{0});
    done_before = extra["ingest"].value("documents", size_t{0});
    if (!reader.skip_to_line(start_line))
      throw Error(corpus + ": shorter than the " + std::to_string(start_line) + " lines an earlier run indexed (file changed?)");
    stats.resumed_from = start_line;
  }
  const size_t total_lines = opt.progress ? count_lines(corpus_path) : 0;
  Progress progress("indexing", total_lines ? total_lines : 0, 10.0, opt.progress);

  const Encoder& encoder = collection.encoder();
  const int max_len = collection.passage_max_length();
  ChunkQueue queue(4);
  std::exception_ptr reader_error;
  std::thread producer([&] {
    try {
      bool eof = false;
      while (!eof) {
        Chunk c;
        Document d;
        while (c.docs.size() < opt.chunk) {
          try {
            if (!reader.next(d)) { eof = true; break; }
          } catch (const Error&) {
            if (!opt.skip_bad) throw;
            ++c.skipped;
            continue;
          }
          c.ids.push_back(encoder.tokenize(d.passage(), max_len));
          c.docs.push_back(std::move(d));
        }
        c.end_line = reader.line();
        if (!c.docs.empty() || c.skipped) queue.push(std::move(c));
      }
    } catch (...) {
      reader_error = std::current_exception();
    }
    queue.finish();
  });

  size_t since_commit = 0, last_line = start_line;
  auto commit = [&] {
    collection.commit_with({{"ingest", {{"corpus", corpus}, {"lines", last_line}, {"documents", done_before + stats.documents},
                                        {"complete", false}}}});
    since_commit = 0;
  };
  try {
    Chunk c;
    while (queue.pop(c)) {
      const auto e0 = std::chrono::steady_clock::now();
      auto embs = encoder.encode_ids(c.ids);
      stats.encode_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count();
      for (size_t i = 0; i < c.docs.size(); ++i) collection.add_encoded(c.docs[i], embs[i]);
      stats.documents += c.docs.size();
      stats.skipped += c.skipped;
      since_commit += c.docs.size();
      last_line = c.end_line;
      progress.update(c.end_line);
      if (since_commit >= opt.commit_every) commit();
    }
  } catch (...) {
    queue.close();
    producer.join();
    throw;
  }
  producer.join();
  if (reader_error) {
    if (since_commit) commit();  // keep what was read correctly before the bad line
    std::rethrow_exception(reader_error);
  }
  collection.commit_with({{"ingest", {{"corpus", corpus}, {"lines", last_line}, {"documents", done_before + stats.documents},
                                      {"complete", true}}}});
  progress.finish(last_line);
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return stats;
}

}  // namespace m3
