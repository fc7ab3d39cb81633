// Merging the shards' rankings of one search into the whole collection's: every hit's score is
// the one the unsharded collection gives that document (engine/shard_search.h), so the merge is a
// sort by score — descending, ties by docid (the shards' internal doc ids mean nothing across
// shards) — then the page [offset, offset + k).
#pragma once
#include <vector>

#include "engine/collection.h"

namespace m3 {

// `shards[i]` is shard i's top-(k + offset) (asked with offset 0). Hits keep their shard's fields;
// `doc` (an internal id) is set to -1 since it names nothing in the merged list.
std::vector<Hit> merge_shard_hits(std::vector<std::vector<Hit>> shards, int k, int offset);

}  // namespace m3
