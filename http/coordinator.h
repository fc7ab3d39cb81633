// The coordinator of sharded collections (m3 serve --shard-map FILE): for a collection in the map it
// answers the collection API by asking the shards' `m3 serve` processes (http/shard_client.h) —
//   search:    the two rounds of engine/shard_search.h (round 1 POST .../shard_stats when the mode
//              pools candidates or is bm25, round 2 POST .../search with the "shard_scope"), every
//              shard asked for its top-(k + offset), merged by engine/result_merge.h, paged here;
//   writes:    each document to the shard shard_of(docid, N) names (engine/shard_routing.h), on every
//              replica of it (replicas are kept in step by receiving the same writes); commit to all;
//   reads:     GET a document from its shard, one replica after another.
// Reads try a shard's replicas in turn (starting at a rotating one, so load spreads), moving on when
// one fails, times out or answers 5xx. A shard with no replica left is never dropped silently: the
// reply is 200 with "partial": true and "missing_shards", or 503 with --require-all-shards. A write
// any replica did not take is a 503 naming the shard and replica (the client retries it: writes are
// idempotent by docid). A shard's 4xx (the client's mistake, e.g. a bad filter) is passed on as is.
#pragma once
#include <atomic>
#include <memory>
#include <string>

#include "http/router.h"
#include "http/shard_client.h"
#include "http/shard_map.h"

namespace m3::http {

struct CoordinatorOptions {
  std::string shard_map_path;
  bool require_all_shards = false;
  ShardClientOptions client;
};

class Coordinator {
 public:
  Coordinator(ShardMap map, const CoordinatorOptions& options);
  bool serves(const std::string& collection) const { return map_.count(collection) > 0; }
  const ShardMap& map() const { return map_; }

  Response search(RouteContext& ctx);
  Response add_documents(RouteContext& ctx);
  Response get_document(RouteContext& ctx);
  Response delete_document(RouteContext& ctx);
  Response commit(RouteContext& ctx);
  Response describe(RouteContext& ctx);

 private:
  struct ShardAnswer {
    bool answered = false;  // a replica replied 2xx, or a 4xx that is the client's mistake
    ShardReply reply;
    std::string failures;   // what went wrong with each replica tried
  };
  // Sends `body` to `target` on one replica of each shard in `shards`, failing over between replicas.
  std::vector<ShardAnswer> read_from_shards(const ShardedCollection& sc, const std::vector<size_t>& shards,
                                            boost::beast::http::verb method, const std::string& target,
                                            const std::string& body, const std::string& authorization,
                                            bool not_found_is_an_answer);

  ShardMap map_;
  CoordinatorOptions options_;
  std::unique_ptr<ShardClient> client_;
  std::atomic<uint64_t> rotation_{0};
};

}  // namespace m3::http
