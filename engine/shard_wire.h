// The wire forms of a sharded search's two rounds (engine/shard_search.h): what round 1 gathers
// from a shard (ShardStats, the reply of POST .../shard_stats) and the ShardScope round 2 hands to
// each shard (the search body's "shard_scope"). Readers take JSON from another process: every value
// is type- and range-checked (InvalidInputError naming `what`), lists are bounded (max_scores scores
// per head, max_terms BM25 terms), BM25 terms must ascend. Kept apart from shard_search.h so the
// request parser (and its fuzz target) need nothing of Collection.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/search_params.h"

namespace m3 {

// What round 1 gathers from one shard.
struct ShardStats {
  std::vector<float> dense_top, sparse_top;  // the shard's top-depth scores of each pooled head, descending
  std::optional<Bm25Stats> bm25;
  // Round 1 of a fused mode: whether the shard's ranking gives BM25 a weight (the request's or its
  // model's m3_fusion.json), so BM25's top-depth joins the pool and needs a floor (round 1b).
  bool bm25_pools = false;
  // Round 1b (asked with the whole collection's BM25 statistics): the shard's top-depth BM25 scores
  // under those statistics.
  std::vector<float> bm25_top;
};

nlohmann::json shard_stats_json(const ShardStats& s);
ShardStats parse_shard_stats(const nlohmann::json& j, size_t max_scores, size_t max_terms, const std::string& what);
nlohmann::json shard_scope_json(const ShardScope& s);
ShardScope parse_shard_scope(const nlohmann::json& j, size_t max_terms, const std::string& what);

}  // namespace m3
