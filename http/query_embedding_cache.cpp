#include "http/query_embedding_cache.h"

namespace m3::http {

std::string QueryEmbeddingCache::key(const Encoder& encoder, int max_length, const std::string& query) {
  return encoder.fingerprint() + '\0' + std::to_string(max_length) + '\0' + query;
}

size_t QueryEmbeddingCache::bytes_of(const Entry& e) {
  const Embedding& m = e.second;
  return e.first.size() * 2 + 128 + m.input_ids.size() * 4 + m.dense.size() * 4 + m.colbert.size() * 4 +
         m.sparse.ids.size() * 4 + m.sparse.weights.size() * 4;
}

void QueryEmbeddingCache::put(const std::string& key, const Embedding& e) {
  std::lock_guard<std::mutex> l(mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    bytes_ -= bytes_of(*it->second);
    lru_.erase(it->second);
    index_.erase(it);
  }
  Entry entry{key, e};
  const size_t b = bytes_of(entry);
  if (b > max_bytes_) return;
  lru_.push_front(std::move(entry));
  index_[key] = lru_.begin();
  bytes_ += b;
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    bytes_ -= bytes_of(lru_.back());
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

std::optional<Embedding> QueryEmbeddingCache::take(const std::string& key) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  bytes_ -= bytes_of(*it->second);
  Embedding e = std::move(it->second->second);
  lru_.erase(it->second);
  index_.erase(it);
  return e;
}

QueryEmbeddingCache& shard_round_cache() {
  static QueryEmbeddingCache cache(32u << 20);
  return cache;
}

}  // namespace m3::http
