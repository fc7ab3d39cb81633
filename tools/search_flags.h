// Search flags shared by `m3 search` and `m3 eval`: one flag per key of engine/search_request.h
// (--mode, --k, --offset, --depth, --weights, --fusion, --rrf-k, --ef-search, --nprobe,
// --sparse-algo, --query-max-length, --filter). Flags keep the text the user gave; to_params() turns the given
// ones into the JSON request the HTTP API takes and parses it with the same parser, so the CLI and the
// server share names, defaults and bounds.
#pragma once
#include <CLI/CLI.hpp>

#include <string>

#include "engine/search_params.h"

namespace m3::tools {

struct SearchFlags {
  std::string mode, k, offset, depth, weights, fusion, rrf_k, ef_search, nprobe, sparse_algo, query_max_length;
  std::string filter;  // metadata filter JSON (engine/metadata_filter.h); empty = none
};

void add_search_flags(CLI::App& sub, SearchFlags& f, bool with_mode = true);
SearchParams to_params(const SearchFlags& f);  // UsageError naming the flag
// For `m3 eval` over several modes: `mode` replaces --mode, and --weights/--fusion/--rrf-k apply to the
// fused modes only (a single-head mode ignores them instead of refusing them).
SearchParams to_params(const SearchFlags& f, const std::string& mode);

}  // namespace m3::tools
