// Fusion weights a model recommends for the fused search modes, from an optional file in its
// directory, m3_fusion.json:
//   {"dense+sparse": [w_dense, w_sparse] or [w_dense, w_sparse, 0, w_bm25],
//    "all": [w_dense, w_sparse, w_multivec] or [w_dense, w_sparse, w_multivec, w_bm25], ...}
// (other keys, such as how the weights were chosen, are kept for people and ignored here).
// The paper's weights (1, 0.3) and (1, 0.3, 1) suit BGE-M3, whose three heads are of similar strength;
// a small model whose heads differ a lot ranks better with its own. The public BGE-M3 checkpoint has
// no such file, so its collections use the paper's weights. A request's own weights always win.
// The file is not part of the model's fingerprint: changing it never invalidates a collection.
#pragma once
#include <array>
#include <optional>
#include <string>

namespace m3 {

// The weight of each head in a weighted fused mode: dense, sparse, multivec and BM25 (the optional fourth
// head: plain lexical matching fused in, as Elasticsearch and Vespa users do, for text the model is
// weak on; its candidates join the pool when its weight is above zero).
using HeadWeights = std::array<float, 4>;
constexpr size_t kDenseHead = 0, kSparseHead = 1, kMultivecHead = 2, kBm25Head = 3;

struct FusionWeights {
  std::optional<HeadWeights> dense_sparse;  // (dense, sparse, 0, bm25)
  std::optional<HeadWeights> all;           // (dense, sparse, multivec, bm25)
};

constexpr const char* kFusionWeightsFile = "m3_fusion.json";

// Reads <model_dir>/m3_fusion.json; empty when the file does not exist. m3::Error naming the file
// and the problem when it is not JSON, a list has the wrong length (dense+sparse 2 or 4, all 3 or 4),
// a weight is negative or not finite, dense+sparse gives multivec a weight, or all of a mode's weights
// are zero.
FusionWeights read_fusion_weights(const std::string& model_dir);

}  // namespace m3
