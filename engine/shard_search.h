// A search over a sharded collection (ARCHITECTURE "Scale beyond one machine"): each shard is a
// collection holding some of the documents; the coordinator asks every shard, merges, and the result
// equals the unsharded collection's. Every head's score of a document depends only on the document
// and the query, so what can differ is which documents a shard pools and BM25's idf:
//   - dense, sparse: a shard's top-(k+offset) holds every global top-(k+offset) document it has;
//     one round, merge by score (engine/result_merge.h).
//   - multivec, dense+sparse, all: the unsharded search pools the global top-depth of each head it
//     draws on. A shard's own top-depth is a superset of its share of that, so a shard alone would
//     pool extra documents and could rank one the whole collection never considers. Round 1 asks
//     each shard for its top-depth scores per head (ShardStats); the depth-th best of their union is
//     the whole collection's floor for that head; round 2 searches every shard with those floors
//     (ShardScope), so the shards together pool exactly the global candidates.
//   - bm25: round 1 also gathers N and the query terms' df; round 2 scores with their sums.
//   - dense+sparse and all whose weights give BM25 a say (the request's or the model's): BM25's
//     top-depth joins the pool, and its floor needs BM25 scores under the whole collection's
//     statistics, known only after round 1. Round 1 says so (ShardStats::bm25_pools); round 1b asks
//     every shard again, now with those statistics, for its top-depth BM25 scores; their depth-th
//     best is BM25's floor in round 2. Three rounds only where BM25 is pooled.
// Weighted fusion only: RRF ranks candidates against each other across the whole pool, which no
// shard sees, so a sharded search refuses it (UsageError).
// Ties at a floor score pool every tied document (the unsharded search keeps only as many as depth
// allows, in doc-id order); with float scores of real text that takes an exact tie at the boundary.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "engine/collection.h"
#include "engine/search_params.h"
#include "engine/shard_wire.h"

namespace m3 {

// Whether `p` needs round 1 (pooled modes and bm25); UsageError for what a sharded search cannot do.
bool needs_shard_stats(const SearchParams& p);
void check_shardable(const SearchParams& p);

// The candidates one search pools per head: depth, at least k + offset.
int pool_depth(const SearchParams& p);

// Round 1 on one shard's snapshot (with the request's filter applied, as the search applies it); `p`
// carries the shard's model weights (with_model_weights), which decide ShardStats::bm25_pools.
// Asked with a scope holding BM25 statistics (p.shard_scope->bm25), it is round 1b: bm25_top only.
ShardStats collect_shard_stats(const Snapshot& snap, const Embedding& query, const SearchParams& p);
// The whole collection's floors and BM25 statistics from every shard's round 1.
ShardScope combine_shard_stats(const std::vector<ShardStats>& shards, const SearchParams& p);
// Whether round 1's answers call for round 1b (a shard pools BM25's top-depth).
bool needs_bm25_round(const std::vector<ShardStats>& round1);
// Round 1b's answers into the scope: BM25's floor.
void add_bm25_floor(ShardScope& scope, const std::vector<ShardStats>& round1b, const SearchParams& p);

}  // namespace m3
