// Round 1 and round 2 of a sharded search (engine/shard_search.h) bring the same query to the same
// shard: the embedding round 1 (POST .../shard_stats) computed is kept for round 2 (the search with a
// "shard_scope"), so a two-round search encodes the query once per shard, not twice. Keyed by the
// model's fingerprint, the query length limit and the text; least recently used entries go first
// past a byte bound; round 2 takes (removes) its entry, and a miss (evicted, another coordinator's
// round 1 on another replica) simply encodes again.
#pragma once
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "encoder/embedding.h"
#include "encoder/encoder.h"

namespace m3::http {

class QueryEmbeddingCache {
 public:
  explicit QueryEmbeddingCache(size_t max_bytes) : max_bytes_(max_bytes) {}
  static std::string key(const Encoder& encoder, int max_length, const std::string& query);
  void put(const std::string& key, const Embedding& e);
  std::optional<Embedding> take(const std::string& key);

 private:
  using Entry = std::pair<std::string, Embedding>;
  static size_t bytes_of(const Entry& e);
  size_t max_bytes_, bytes_ = 0;
  std::mutex mu_;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

// The server process's cache for sharded searches (32 MiB).
QueryEmbeddingCache& shard_round_cache();

}  // namespace m3::http
