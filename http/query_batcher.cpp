#include "http/query_batcher.h"

#include <chrono>
#include <map>

namespace m3::http {

QueryBatcher::QueryBatcher(std::shared_ptr<const Encoder> encoder, int window_us, size_t max_batch, bool tune, size_t lanes)
    : QueryBatcher([encoder](const std::vector<std::string>& texts, int max_length) { return encoder->encode(texts, max_length); },
                   window_us, max_batch, tune, lanes) {}

QueryBatcher::QueryBatcher(EncodeFn encode, int window_us, size_t max_batch, bool tune, size_t lanes)
    : encode_(std::move(encode)),
      window_us_(window_us),
      max_batch_(std::max<size_t>(1, max_batch)),
      tune_(tune),
      tuner_(max_batch_) {
  for (size_t i = 0; i < std::max<size_t>(1, lanes); ++i) lanes_.emplace_back([this] { loop(); });
}

QueryBatcher::~QueryBatcher() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : lanes_) t.join();
}

size_t QueryBatcher::queue_depth() const {
  std::lock_guard<std::mutex> l(mu_);
  return queued_queries_;
}

std::vector<Embedding> QueryBatcher::encode(const std::vector<std::string>& queries, int max_length) {
  std::future<std::vector<Embedding>> f;
  {
    std::lock_guard<std::mutex> l(mu_);
    queue_.push_back({queries, max_length, {}});
    queued_queries_ += queries.size();
    f = queue_.back().result.get_future();
  }
  cv_.notify_one();
  return f.get();
}

void QueryBatcher::loop() {
  while (true) {
    std::vector<Request> batch;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
      if (stop_ && queue_.empty()) return;
      const size_t limit = tune_ ? tuner_.limit() : max_batch_;
      if (window_us_ > 0 && limit > 1) {  // optional: wait a little for more queries
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(window_us_);
        while (queued_queries_ < limit && !stop_)
          if (cv_.wait_until(l, deadline) == std::cv_status::timeout) break;
      }
      size_t n = 0;
      while (!queue_.empty() && (batch.empty() || n + queue_.front().texts.size() <= limit)) {
        n += queue_.front().texts.size();
        queued_queries_ -= queue_.front().texts.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (lanes_.size() > 1) cv_.notify_one();  // what this batch left queued: another lane may take it
    run_batch(batch);
  }
}

// Failed calls are not timed: an early error says nothing about what a batch costs.
std::vector<Embedding> QueryBatcher::timed_encode(const std::vector<std::string>& texts, int max_length) {
  const auto start = std::chrono::steady_clock::now();
  auto embs = encode_(texts, max_length);
  tuner_.record(texts.size(), std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return embs;
}

// One encoder call per max_length among the batch's requests (usually one); a request whose text
// the encoder refuses gets the error, the others their embeddings.
void QueryBatcher::run_batch(std::vector<Request>& batch) {
  ++batches_;
  std::map<int, std::vector<size_t>> groups;
  for (size_t i = 0; i < batch.size(); ++i) groups[batch[i].max_length].push_back(i);
  for (auto& [len, members] : groups) {
    std::vector<std::string> texts;
    for (size_t i : members) texts.insert(texts.end(), batch[i].texts.begin(), batch[i].texts.end());
    queries_ += texts.size();  // counted before any waiter is released, so a client that returns sees it
    try {
      auto embs = timed_encode(texts, len);
      size_t at = 0;
      for (size_t i : members) {
        std::vector<Embedding> mine(std::make_move_iterator(embs.begin() + static_cast<std::ptrdiff_t>(at)),
                                    std::make_move_iterator(embs.begin() + static_cast<std::ptrdiff_t>(at + batch[i].texts.size())));
        at += batch[i].texts.size();
        batch[i].result.set_value(std::move(mine));
      }
    } catch (...) {
      for (size_t i : members) {  // isolate the failing request: encode each on its own
        try {
          batch[i].result.set_value(encode_(batch[i].texts, len));
        } catch (...) {
          batch[i].result.set_exception(std::current_exception());
        }
      }
    }
  }
}

}  // namespace m3::http
