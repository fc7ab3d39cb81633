// IndexSettings: what a collection's index is made of, fixed at create() and stored in the MANIFEST.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace m3 {

struct IndexSettings {
  int dense_dim = 0;                  // 0: no dense structure
  int multivec_dim = 0;               // 0: no multi-vector store
  std::string dense_factory = "Flat"; // FAISS factory string (inner product)
  std::string mv_codec = "fp16";      // fp32 | fp16 | int8 | binary | residual
  int mv_bits = 2;                    // residual codec: 1 | 2 | 4
  float bm25_k1 = 0.9f, bm25_b = 0.4f;
  // BM25's average document length, baked into every segment's impacts (index/impact.h). 0: the
  // running average as of each commit or merge. > 0: this value for every segment, so BM25 scores do
  // not depend on commit history, and the shards of a sharded collection (each given the whole
  // corpus's average) score as the unsharded collection does.
  double bm25_avgdl = 0;
  int merge_factor = 8;               // automatic merging: this many same-level segments at the tail merge
  nlohmann::json extra = nlohmann::json::object();  // the engine's data (model fingerprint, weights...)

  static constexpr double kMaxBm25Avgdl = 1e7;
  void validate() const;  // UsageError naming the field and value
  nlohmann::json to_json() const;
  static IndexSettings from_json(const nlohmann::json& j, const std::string& what);  // Error naming the field
};

}  // namespace m3
