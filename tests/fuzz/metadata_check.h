// The differential check both metadata fuzz targets run: a filter evaluated over MetadataColumns
// (what every filtered search uses) must select exactly the rows that MetadataFilter::matches()
// (the brute-force reference over each document's parsed JSON) accepts. Aborts on a disagreement.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/metadata_filter.h"
#include "index/metadata_columns.h"

namespace m3::fuzz {

inline void check_filter_agrees(const MetadataFilter& f, const std::vector<std::string>& metadata_rows) {
  MetadataColumns columns(uint32_t(metadata_rows.size()));
  for (size_t r = 0; r < metadata_rows.size(); ++r) columns.add(uint32_t(r), metadata_rows[r]);
  columns.finish();
  const Bitmap rows = f.matching_rows(columns);
  for (size_t r = 0; r < metadata_rows.size(); ++r) {
    // The same reading of the stored text as MetadataColumns::add: not JSON (or empty) is no metadata.
    nlohmann::json meta = nlohmann::json::parse(metadata_rows[r], nullptr, false);
    if (meta.is_discarded()) meta = nlohmann::json::object();
    if (rows.test(r) != f.matches(meta)) {
      std::fprintf(stderr, "filter %s: columns say %d, matches() says %d for row %zu: %s\n", f.json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str(),
                   int(rows.test(r)), int(!rows.test(r)), r, metadata_rows[r].c_str());
      std::abort();
    }
  }
}

}  // namespace m3::fuzz
