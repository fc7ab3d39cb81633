#include "http/query_batcher.h"

#include <chrono>
#include <map>

namespace m3::http {

QueryBatcher::QueryBatcher(std::shared_ptr<const Encoder> encoder, int window_us, size_t max_batch)
    : encoder_(std::move(encoder)), window_us_(window_us), max_batch_(std::max<size_t>(1, max_batch)) {
  thread_ = std::thread([this] { loop(); });
}

QueryBatcher::~QueryBatcher() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

size_t QueryBatcher::queue_depth() const {
  std::lock_guard<std::mutex> l(mu_);
  return queue_.size();
}

Embedding QueryBatcher::encode(const std::string& query, int max_length) {
  std::future<Embedding> f;
  {
    std::lock_guard<std::mutex> l(mu_);
    queue_.push_back({query, max_length, {}});
    f = queue_.back().result.get_future();
  }
  cv_.notify_one();
  return f.get();
}

void QueryBatcher::loop() {
  while (true) {
    std::vector<Item> batch;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
      if (stop_ && queue_.empty()) return;
      // A short window lets concurrent requests join the batch; a full batch goes at once.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(window_us_);
      while (queue_.size() < max_batch_ && !stop_ && max_batch_ > 1)
        if (cv_.wait_until(l, deadline) == std::cv_status::timeout) break;
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    // Encode per max_length group (requests may differ); each text's error is its own.
    std::map<int, std::vector<size_t>> groups;
    for (size_t i = 0; i < batch.size(); ++i) groups[batch[i].max_length].push_back(i);
    for (auto& [len, idx] : groups) {
      std::vector<std::string> texts;
      for (size_t i : idx) texts.push_back(batch[i].text);
      try {
        auto embs = encoder_->encode(texts, len);
        for (size_t k = 0; k < idx.size(); ++k) batch[idx[k]].result.set_value(std::move(embs[k]));
      } catch (...) {
        for (size_t i : idx) {  // isolate the failing text: encode the group one by one
          try {
            batch[i].result.set_value(encoder_->encode({batch[i].text}, len)[0]);
          } catch (...) {
            batch[i].result.set_exception(std::current_exception());
          }
        }
      }
    }
    ++batches_;
    queries_ += batch.size();
  }
}

}  // namespace m3::http
