// Small value types shared by every index structure and by the engine.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace m3 {

// One search hit: the internal document id and its score. Every ranking in index/ orders hits by
// score descending, then by doc ascending, so results are deterministic and merge exactly.
struct ScoredDoc {
  int64_t doc = -1;
  float score = 0.f;
  bool operator==(const ScoredDoc& o) const { return doc == o.doc && score == o.score; }
};

// True when a ranks before b (higher score, then smaller doc id).
inline bool ranks_before(const ScoredDoc& a, const ScoredDoc& b) {
  return a.score > b.score || (a.score == b.score && a.doc < b.doc);
}

// Per-query FAISS knobs. 0 means "the index's default" (HNSW efSearch 64, IVF nprobe 16).
struct DenseSearchParams {
  int ef_search = 0;
  int nprobe = 0;
};

// BM25's corpus statistics for one query's terms: the number of documents (rows, deleted ones
// included until a merge, as Lucene counts) and each term's document frequency, terms ascending.
// A snapshot computes them from its own segments; a sharded search sums them over every shard and
// hands the sums back to each shard, so every shard's idf is the whole collection's.
struct Bm25Stats {
  uint64_t documents = 0;
  std::vector<std::pair<uint32_t, uint64_t>> df;  // (term, df), terms ascending and unique
};

// Query processors of the inverted index. All three return the same top-k (see sparse_query.h).
enum class SparseAlgo { Exhaustive, MaxScore, BlockMaxWand };

const char* to_string(SparseAlgo algo);
SparseAlgo parse_sparse_algo(const std::string& name);  // "exhaustive" | "maxscore" | "bmw"; UsageError otherwise

}  // namespace m3
