// Fusion weights a model recommends for the fused search modes, from an optional file in its
// directory, m3_fusion.json:
//   {"dense+sparse": [w_dense, w_sparse], "all": [w_dense, w_sparse, w_multivec], ...}
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

struct FusionWeights {
  std::optional<std::array<float, 3>> dense_sparse;  // (dense, sparse, 0)
  std::optional<std::array<float, 3>> all;           // (dense, sparse, multivec)
};

constexpr const char* kFusionWeightsFile = "m3_fusion.json";

// Reads <model_dir>/m3_fusion.json; empty when the file does not exist. m3::Error naming the file
// and the problem when it is not JSON, a list has the wrong length, or a weight is negative or not
// finite, or all of a mode's weights are zero.
FusionWeights read_fusion_weights(const std::string& model_dir);

}  // namespace m3
