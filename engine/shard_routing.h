// Which shard of N holds a document: the one place that decides it, used by `m3 index --shard I/N`,
// by writes through a coordinator (m3 serve --shard-map) and by tests. A stable function of the
// docid's bytes only (xxHash64, seed 0): the same on every machine, build and run, so a document
// re-indexed or updated always lands on the shard that already holds it.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace m3 {

constexpr uint32_t kMaxShards = 1024;

struct ShardSpec {
  uint32_t index = 0, count = 1;  // shard `index` of `count`, 0-based
};

// "I/N" with N in [1, kMaxShards] and I < N; UsageError naming the problem otherwise.
ShardSpec parse_shard_spec(const std::string& text);

uint32_t shard_of(std::string_view docid, uint32_t shard_count);
inline bool in_shard(std::string_view docid, const ShardSpec& s) { return shard_of(docid, s.count) == s.index; }

}  // namespace m3
