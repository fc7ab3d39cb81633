// The one parser from a JSON request to SearchParams, shared by the HTTP API (the body of
// POST .../search) and the CLI (tools/search_flags.cpp turns the flags that were given into the same
// JSON), so every setting has one name, one default (SearchParams' initialisers) and one bound.
//   key               type               bound (SearchBounds)      note
//   mode              string             search_mode_names()
//   k                 integer            [1, max_k]
//   offset            integer            [0, max_offset]           paging
//   depth             integer            [0, max_depth]            0 = the mode's default
//   weights           array of numbers   finite, >= 0, not all 0   2 for dense+sparse, 3 for all, or 4 with
//                                                                  BM25's weight last (dense+sparse: multivec 0)
//   fusion            string             weighted | rrf            dense+sparse and all only
//   rrf_k             integer            [1, 100000]               with fusion rrf only
//   ef_search, nprobe integer            [0, 100000]               0 = the index's default
//   sparse_algo       string             maxscore | bmw | exhaustive
//   query_max_length  integer            [2, 8192]                 tokens per query
//   filter            object             engine/metadata_filter.h  metadata filter (eq, in, range, and/or/not)
//   shard_scope       object             engine/shard_search.h     internal: a coordinator's floors and BM25 statistics
// Any other key must be one the caller names in `other_keys` (e.g. "query"), else UsageError naming it.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/search_params.h"

namespace m3 {

struct SearchBounds {
  int max_k = 10000;
  int max_offset = 100000;
  int max_depth = 100000;
};

// How errors name a key: as the JSON field ('k') or as the CLI flag (--k, --sparse-algo).
enum class KeyStyle { Json, Flag };

const std::vector<std::string>& search_request_keys();

SearchParams parse_search_request(const nlohmann::json& request, const SearchBounds& bounds,
                                  const std::vector<std::string>& other_keys = {}, KeyStyle style = KeyStyle::Json);

SparseAlgo parse_sparse_algo_name(const std::string& name);  // UsageError listing the valid names

}  // namespace m3
