// A collection described as JSON — counts, settings, the fused-mode weights its searches use by
// default, sizes — one shape for `m3 info --json` and `GET /collections/{name}`, so the field names
// exist once.
#pragma once
#include <nlohmann/json.hpp>

#include "engine/collection.h"

namespace m3 {

// Keys: collection, documents, segments, generation, model, fingerprint, dense, dense_dim, mv_codec,
// mv_bits, multivec_dim, passage_max_length, weights {dense+sparse, all, from}, bytes {...}.
nlohmann::ordered_json describe_collection(const Collection& c);

// The weights the weighted fused modes use when a request gives none: the model's or the paper's.
nlohmann::ordered_json default_fusion_weights(const FusionWeights& model);

}  // namespace m3
