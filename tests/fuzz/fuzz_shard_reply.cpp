// libFuzzer target: what a coordinator reads from a shard and a shard from a coordinator
// (engine/shard_wire.h): bounded JSON, then parse_shard_stats (round 1's reply) and
// parse_shard_scope (round 2's "shard_scope"). Any input must give a value or an m3::Error naming
// the field; anything else would be a coordinator's 500, a crash would take it down.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json_input.h"
#include "engine/shard_wire.h"
#include "tests/fuzz/fuzz_support.h"

std::vector<std::string> m3_fuzz_seeds() {
  return {R"({"dense_top":[0.9,0.8,0.5],"sparse_top":[12.5,3],"bm25":{"documents":100,"df":[[5,3],[9,100]]}})",
          R"({"dense_floor":0.25,"sparse_floor":1.5,"bm25":{"documents":7,"df":[]}})",
          R"({"bm25":{"documents":1,"df":[[9,2],[5,1]]}})", R"({"dense_top":[1e309]})", R"({"dense_floor":"x","extra":1})",
          R"({"dense_top":[0.5],"bm25":{"documents":4,"df":[[7,2]]},"bm25_pools":true})", R"({"bm25_top":[9.5,4.25,0]})",
          R"({"dense_floor":0.1,"bm25":{"documents":4,"df":[[7,2]]},"bm25_floor":3.5})", R"({"bm25_floor":3.5})"};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    m3::JsonLimits limits;
    limits.max_bytes = 1 << 20;
    limits.max_depth = 64;
    const nlohmann::json j = m3::parse_json_input(std::string_view(reinterpret_cast<const char*>(data), size), "shard reply", limits);
    // What a reader accepts, its writer writes back to the same JSON (which reads back again).
    std::optional<m3::ShardStats> stats;
    try {
      stats = m3::parse_shard_stats(j, 1000, 8192, "stats");
    } catch (const m3::Error&) {
    }
    if (stats) {
      const nlohmann::json once = m3::shard_stats_json(*stats);
      try {
        if (m3::shard_stats_json(m3::parse_shard_stats(once, 1000, 8192, "stats again")) != once) std::abort();
      } catch (const m3::Error&) {
        std::abort();  // its own output refused
      }
    }
    const m3::ShardScope scope = m3::parse_shard_scope(j, 8192, "scope");
    const nlohmann::json once = m3::shard_scope_json(scope);
    try {
      if (m3::shard_scope_json(m3::parse_shard_scope(once, 8192, "scope again")) != once) std::abort();
    } catch (const m3::Error&) {
      std::abort();  // its own output refused
    }
  } catch (const m3::Error&) {
  }
  return 0;
}
