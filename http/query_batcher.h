// Query batching for the encoder: concurrent search requests submit their queries and wait; one
// thread encodes what has queued up in one encoder call. No fixed wait is needed for batches to form:
// while the encoder works on one batch, the next requests queue, so batches grow with load and a
// lone query is encoded at once (an optional window can add a wait). A request's queries ("queries":
// [...]) always stay together in one encoder call; requests join a batch while it holds at most
// max_batch queries, or fewer where the BatchSizeTuner measured that larger batches cost more per
// query on this machine (adaptive batching; off with tune = false).
// Lanes: that many threads take batches from the one queue, each encoding on its own (one encoder
// call per lane at a time, each with the encoder's intra-op threads). With two lanes a second batch
// encodes while the first does, on whatever core the searches leave idle, without the straggler
// wait of one forward pass split over cores another thread is using.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "encoder/encoder.h"
#include "http/batch_size_tuner.h"

namespace m3::http {

class QueryBatcher {
 public:
  // texts, max_length -> one embedding per text (the encoder; a seam for tests).
  using EncodeFn = std::function<std::vector<Embedding>(const std::vector<std::string>&, int)>;
  QueryBatcher(std::shared_ptr<const Encoder> encoder, int window_us, size_t max_batch, bool tune = true, size_t lanes = 1);
  QueryBatcher(EncodeFn encode, int window_us, size_t max_batch, bool tune = true, size_t lanes = 1);
  ~QueryBatcher();
  // Blocks until the queries are encoded; rethrows the encoder's error for this request only.
  std::vector<Embedding> encode(const std::vector<std::string>& queries, int max_length);
  size_t queue_depth() const;  // queries waiting
  uint64_t batches() const { return batches_; }
  uint64_t queries() const { return queries_; }
  size_t batch_limit() const { return tune_ ? tuner_.current_limit() : max_batch_; }
  size_t lanes() const { return lanes_.size(); }

 private:
  struct Request {
    std::vector<std::string> texts;
    int max_length;
    std::promise<std::vector<Embedding>> result;
  };
  void loop();
  void run_batch(std::vector<Request>& batch);

  std::vector<Embedding> timed_encode(const std::vector<std::string>& texts, int max_length);

  EncodeFn encode_;
  int window_us_;
  size_t max_batch_;
  bool tune_;
  BatchSizeTuner tuner_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;
  size_t queued_queries_ = 0;
  bool stop_ = false;
  std::atomic<uint64_t> batches_{0}, queries_{0};
  std::vector<std::thread> lanes_;
};

}  // namespace m3::http
