#include "engine/shard_routing.h"

#include <xxhash.h>

#include "common/error.h"

namespace m3 {

namespace {
bool parse_u32(const std::string& s, uint32_t& out) {
  if (s.empty() || s.size() > 9) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  out = v;
  return true;
}
}  // namespace

ShardSpec parse_shard_spec(const std::string& text) {
  const std::string usage = "--shard " + text.substr(0, 32) + ": expected I/N (shard I of N, 0-based: 0 <= I < N, 1 <= N <= " +
                            std::to_string(kMaxShards) + "), e.g. 0/4";
  const auto slash = text.find('/');
  ShardSpec s;
  if (slash == std::string::npos || !parse_u32(text.substr(0, slash), s.index) || !parse_u32(text.substr(slash + 1), s.count))
    throw UsageError(usage);
  if (s.count < 1 || s.count > kMaxShards || s.index >= s.count) throw UsageError(usage);
  return s;
}

uint32_t shard_of(std::string_view docid, uint32_t shard_count) {
  if (shard_count <= 1) return 0;
  return static_cast<uint32_t>(XXH64(docid.data(), docid.size(), 0) % shard_count);
}

}  // namespace m3
