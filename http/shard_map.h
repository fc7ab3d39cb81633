// The shard map of a coordinator (m3 serve --shard-map FILE): which `m3 serve` processes hold each
// shard of each sharded collection. The file is JSON:
//   {"<collection>": [["http://host:port", <replica>...],   <- shard 0's replicas
//                     ["http://host:port", ...], ...]}      <- shard 1, ... (shard i holds the
//                                                              documents with shard_of(docid, N) == i)
// Read strictly: at most 1 MiB, 64 collections, kMaxShards shards and 16 replicas per shard;
// collection names as the server's (Collections::validate_name); URLs http://HOST:PORT with an
// optional trailing '/', HOST a name, IPv4 or [IPv6] of at most 253 bytes; no URL twice in a collection.
// Errors are UsageError naming the file and the entry.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace m3::http {

struct ReplicaAddress {
  std::string host;  // without brackets for IPv6
  uint16_t port = 0;
  std::string url;   // as given, without a trailing '/'
};

struct ShardedCollection {
  std::vector<std::vector<ReplicaAddress>> shards;  // shards[i] = shard i's replicas
};

using ShardMap = std::map<std::string, ShardedCollection>;

ShardMap load_shard_map(const std::string& path);
ShardMap parse_shard_map(const std::string& text, const std::string& what);
ReplicaAddress parse_replica_url(const std::string& url);  // UsageError

}  // namespace m3::http
