// Metadata filters: a small JSON language over the documents' metadata (the JSONL fields beyond
// docid/title/text, or an HTTP document's "metadata"), Qdrant/Elasticsearch-like:
//   {"field": "lang", "eq": "de"}                      equality: string, number (as double) or boolean
//   {"field": "tag", "in": ["a", "b"]}                 membership: any of up to 1024 such values
//   {"field": "year", "range": {"gte": 2000, "lt": 2010}}   numbers only: gt, gte, lt, lte
//   {"and": [f, ...]}   {"or": [f, ...]}   {"not": f}
// Fields are not declared: they are whatever the documents hold, with index/metadata_columns.h's
// model (dotted paths into nested objects; an array field matches when any element does). A value
// matches only a value of its own type ("2000" never equals 2000). A document without the field
// matches no eq/in/range, so {"not": ...} of one matches it.
// A filter is parsed once per request and evaluated once per segment over the segment's metadata
// columns (RowPredicate), giving the rows every search of the query may return (Snapshot::mask).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "index/metadata_columns.h"

namespace m3 {

class MetadataFilter : public RowPredicate {
 public:
  static constexpr int kMaxDepth = 16;      // nesting of and/or/not
  static constexpr int kMaxNodes = 256;     // conditions and connectives together
  static constexpr size_t kMaxIn = 1024;    // values of one "in"

  // One document's metadata (an object; anything else has no fields): the brute-force reference.
  bool matches(const nlohmann::json& metadata) const;
  // The rows of a segment whose metadata matches.
  Bitmap matching_rows(const MetadataColumns& columns) const override;
  const nlohmann::json& json() const { return json_; }  // the filter as given

  struct Node;  // the parsed tree (metadata_filter.cpp)
  ~MetadataFilter() override;

 private:
  friend std::shared_ptr<const MetadataFilter> parse_metadata_filter(const nlohmann::json& filter);
  MetadataFilter() = default;
  nlohmann::json json_;
  std::unique_ptr<Node> root_;
};

// Parses and checks a filter. UsageError naming the JSON path and the problem, e.g.
// "filter.and[1].range: unknown key 'gtx' (expected gt, gte, lt, lte)". Strict: unknown keys,
// wrong types, empty and/or, over-deep or over-large filters are rejected.
std::shared_ptr<const MetadataFilter> parse_metadata_filter(const nlohmann::json& filter);
// The same from JSON text (CLI --filter); UsageError also when the text is not JSON.
std::shared_ptr<const MetadataFilter> parse_metadata_filter(const std::string& filter_json);

}  // namespace m3
