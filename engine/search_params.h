// Search modes (names fixed: ARCHITECTURE "Search modes") and the parameters of one search, with the
// paper's defaults in one place (M3-SPEC §3, Decisions 1).
//   mode          candidates                          score
//   dense         FAISS top-k                         s_dense
//   sparse        inverted index top-k                s_lex
//   multivec      dense top-depth (200)               s_mul
//   dense+sparse  dense ∪ sparse top-depth (1000)     w1 s_dense + w2 s_lex          (1, 0.3)
//   all           dense ∪ sparse top-depth (200)      w1 s_dense + w2 s_lex + w3 s_mul (1, 0.3, 1)
//   bm25          BM25 over the M3 tokenizer's tokens BM25
// BM25 is also an optional fourth head of the two weighted fused modes: with a weight w4 > 0 its
// top-depth joins the candidates and + w4 BM25 joins the sum (weights [w1, w2, w3, w4]; 0 by default).
// A model directory may recommend its own fused-mode weights (encoder/fusion_weights.h); the
// collection fills them in when a request gives none.
#pragma once
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "encoder/fusion_weights.h"
#include "index/types.h"

namespace m3 {

class MetadataFilter;  // engine/metadata_filter.h

// What makes one shard of a sharded collection rank exactly as the whole collection would
// (engine/shard_search.h): floors on the pooled heads' candidates (the whole collection's depth-th
// score of that head, so a shard pools only documents in the global per-head top-depth) and BM25's
// global statistics. Only a coordinator sets it (JSON "shard_scope"); a plain search leaves it null.
struct ShardScope {
  std::optional<float> dense_floor, sparse_floor;
  std::optional<Bm25Stats> bm25;
  std::optional<float> bm25_floor;  // fused modes with a BM25 weight: the whole collection's depth-th BM25 score
};

enum class SearchMode { Dense, Sparse, Multivec, DenseSparse, All, Bm25 };

SearchMode parse_search_mode(const std::string& name);  // UsageError listing the valid names
const char* to_string(SearchMode mode);
const std::vector<std::string>& search_mode_names();

enum class Fusion { Weighted, Rrf };
Fusion parse_fusion(const std::string& name);  // "weighted" | "rrf"

struct SearchParams {
  SearchMode mode = SearchMode::All;
  int k = 10;
  int offset = 0;                                // paging: skip this many hits of the ranking first
  int depth = 0;                                 // candidates per head; 0 = the mode's default
  std::optional<HeadWeights> weights;            // (dense, sparse, multivec, bm25); unset = the mode's default
  Fusion fusion = Fusion::Weighted;
  int rrf_k = 60;                                // reciprocal-rank fusion constant
  DenseSearchParams dense;                       // efSearch / nprobe
  SparseAlgo sparse_algo = SparseAlgo::MaxScore;
  int query_max_length = 512;                    // M3-SPEC §3: queries 512 tokens
  // Only documents whose metadata match (engine/metadata_filter.h); null = no filter. Applied while
  // candidates are generated, in every mode, so the top-k is the top-k of the matching documents.
  std::shared_ptr<const MetadataFilter> filter;
  // Filtered searches score a segment's allowed rows directly at or below this many (RowMask);
  // 0 = RowMask's default. A tuning and testing knob, not a user flag.
  uint32_t filter_exact_scan_rows = 0;
  std::shared_ptr<const ShardScope> shard_scope;  // null: not a shard of a sharded search

  int effective_depth() const;
  HeadWeights effective_weights() const;
  // A fused mode (dense+sparse, all) whose weights give BM25 a say: BM25's top-depth joins its pool.
  bool pools_bm25() const;
  // These parameters with the model's recommended weights (m3_fusion.json) filled in where the
  // request gave none: weighted dense+sparse and all only.
  SearchParams with_model_weights(const FusionWeights& model) const;
  void validate() const;  // UsageError naming the parameter and its bounds
};

// Parses "1,0.3,1" or "1,0.3,1,0.5" (2 to 4 numbers: dense, sparse, multivec, bm25; missing ones are 0).
HeadWeights parse_weights(const std::string& text);

// The weights as the API shows them for a fused mode: dense+sparse [d, s], all [d, s, m], each with
// BM25's weight appended (and dense+sparse's multivec 0 before it) when BM25 takes part.
std::vector<float> shown_weights(SearchMode mode, const HeadWeights& w);
// "1,0.3,1" / "1,0.3,0,0.5": shown_weights joined with commas (%g).
std::string weights_text(SearchMode mode, const HeadWeights& w);

}  // namespace m3
