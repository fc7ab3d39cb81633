// Search flags shared by `m3 search` and `m3 eval`: --mode, --k, --depth, --weights, --fusion,
// --ef-search, --nprobe, --sparse-algo, --query-max-length, --filter; declared once, parsed into SearchParams.
#pragma once
#include <CLI/CLI.hpp>

#include <string>

#include "engine/search_params.h"

namespace m3::tools {

struct SearchFlags {
  std::string mode = "all", weights, fusion = "weighted", sparse_algo = "maxscore";
  std::string filter;  // metadata filter JSON (engine/metadata_filter.h); empty = none
  int k = 10, depth = 0, ef_search = 0, nprobe = 0, query_max_length = 512, rrf_k = 60;
};

void add_search_flags(CLI::App& sub, SearchFlags& f, bool with_mode = true);
SearchParams to_params(const SearchFlags& f);                    // UsageError on bad values
SearchParams to_params(const SearchFlags& f, const std::string& mode);

}  // namespace m3::tools
