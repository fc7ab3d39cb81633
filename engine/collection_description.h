// A collection described as JSON — counts, settings, the fused-mode weights its searches use by
// default, sizes — one shape for `m3 info --json` and `GET /collections/{name}`, so the field names
// exist once.
#pragma once
#include <nlohmann/json.hpp>

#include "engine/collection.h"

namespace m3 {

// Keys: collection, documents, segments, generation, model, fingerprint, dense, dense_dim, mv_codec,
// mv_bits, multivec_dim, passage_max_length, weights {dense+sparse, all, from}, metadata_fields,
// metadata_sampled, bytes {...}.
nlohmann::ordered_json describe_collection(const Collection& c);

// Metadata fields are not declared (engine/metadata_filter.h), so they are read off the first
// `sample` live documents (a bounded read, whatever the collection's size): one entry per field
// (dotted path), sorted by name, at most kMaxDescribedFields:
//   {"field", "types": ["string"|"number"|"boolean", ...], "documents": how many sampled have it,
//    "values": [the distinct strings, sorted; only when at most kMaxDescribedValues short ones],
//    "min", "max": (numbers)}
// This is what a client (the search page's filter editor) needs to offer filters.
constexpr size_t kMetadataSample = 1000, kMaxDescribedFields = 64, kMaxDescribedValues = 32;
nlohmann::ordered_json describe_metadata_fields(const Snapshot& snap, size_t sample, size_t* sampled = nullptr);

// The weights the weighted fused modes use when a request gives none: the model's or the paper's.
nlohmann::ordered_json default_fusion_weights(const FusionWeights& model);

}  // namespace m3
