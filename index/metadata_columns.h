// MetadataColumns: one segment's document metadata (the JSON object stored with each document) in
// column form, so that a filter is answered with dictionary and sorted-array look-ups per segment
// instead of parsing every document's JSON on every query. RowPredicate is what evaluates over it
// (engine/metadata_filter.h implements the filter language).
//
// The field model (no schema; fields are whatever the documents hold):
//   - nested objects flatten to dotted paths: {"src": {"site": "x"}} is field "src.site";
//   - an array contributes each element to the same field (a row matches when any element does);
//   - strings, numbers (as double) and booleans are values; null and empty arrays add nothing, so
//     the field is missing for that row;
//   - values nested deeper than kMaxMetadataDepth objects/arrays are ignored (bounded recursion on
//     whatever metadata a client stored).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "index/bitmap.h"

namespace m3 {

constexpr int kMaxMetadataDepth = 64;

// Calls fn(path, value) for every scalar (string, number, boolean) of a metadata object, with the
// flattening above. Non-object metadata has no fields.
void for_each_metadata_value(const nlohmann::json& metadata,
                             const std::function<void(const std::string& path, const nlohmann::json& value)>& fn);

// The values one field takes over a segment's rows.
struct MetadataColumn {
  std::unordered_map<std::string, std::vector<uint32_t>> strings;  // value -> rows (ascending, may repeat)
  std::vector<uint32_t> true_rows, false_rows;                       // booleans
  std::vector<std::pair<double, uint32_t>> numbers;                  // (value, row) sorted by value, then row
};

class MetadataColumns {
 public:
  explicit MetadataColumns(uint32_t rows = 0) : rows_(rows) {}
  // Rows in ascending order. Metadata that is not valid JSON counts as none (documents are
  // validated on the way in; an old record must not make filters throw).
  void add(uint32_t row, const std::string& metadata_json);
  void finish();  // sorts the numeric columns; call once after the last add()

  uint32_t rows() const { return rows_; }
  const MetadataColumn* field(const std::string& path) const;  // null when no row has the field
  size_t num_fields() const { return fields_.size(); }
  size_t bytes() const;  // approximate memory, for sizes()

 private:
  uint32_t rows_;
  std::unordered_map<std::string, MetadataColumn> fields_;
};

// A predicate over a segment's metadata, evaluated once per segment per query to the bitmap of the
// rows it matches (size columns.rows()).
class RowPredicate {
 public:
  virtual ~RowPredicate() = default;
  virtual Bitmap matching_rows(const MetadataColumns& columns) const = 0;
};

}  // namespace m3
