// Query batching for the encoder: concurrent searches submit their query text and wait; one thread
// gathers what arrives within a short window (up to a maximum batch) and encodes it in one call, so
// encoder throughput rises with load instead of each request paying a batch of one.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "encoder/encoder.h"

namespace m3::http {

class QueryBatcher {
 public:
  QueryBatcher(std::shared_ptr<const Encoder> encoder, int window_us, size_t max_batch);
  ~QueryBatcher();
  // Blocks until the query is encoded; rethrows the encoder's error (e.g. invalid UTF-8).
  Embedding encode(const std::string& query, int max_length);
  size_t queue_depth() const;
  uint64_t batches() const { return batches_; }
  uint64_t queries() const { return queries_; }

 private:
  struct Item {
    std::string text;
    int max_length;
    std::promise<Embedding> result;
  };
  void loop();

  std::shared_ptr<const Encoder> encoder_;
  int window_us_;
  size_t max_batch_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stop_ = false;
  std::atomic<uint64_t> batches_{0}, queries_{0};
  std::thread thread_;
};

}  // namespace m3::http
