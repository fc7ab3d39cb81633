// SparseIndex: the inverted index of one segment (learned sparse weights, or BM25 over token ids),
// plus a forward store so any (query, doc) score can be computed exactly without the lists.
//
// File layout (one file, mmapped; every array 64-byte aligned):
//   header            magic, impact model (kind, k1, b, avgdl), scale, counts
//   terms[T]          u32 ascending — the dictionary (binary search; no vocab-sized arrays per segment)
//   term_info[T]      first block, df, number of blocks, max impact
//   block_last[B]     u32 last doc of each block of 128 postings   } block-max metadata: lets MaxScore/BMW
//   block_max[B]      u8 max impact in the block                   } skip whole blocks without decoding
//   block_offset[B+1] u64 byte offset of the block in `postings`
//   postings          per block: Stream VByte delta-coded docs, then the block's u8 impacts
//   doc_len[N]        f32 document length (BM25's dl; the number of terms for learned sparse)
//   fwd_offset[N+1]   u64 first term of each doc in the forward arrays
//   fwd_byte[N+1]     u64 byte offset of each doc's compressed terms
//   fwd_terms         Stream VByte delta-coded term ids per doc
//   fwd_impact[P]     u8 the same quantized impacts as the postings (what score() sums)
//   fwd_value[P]      f32 the unquantized stored value (weight or tf), so merges re-quantize losslessly
// Docs are rows 0..N-1 of the segment; their order is the engine's doc-id order, so "ties broken by
// smaller row" is "ties broken by smaller doc".
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "index/bitmap.h"
#include "index/file_io.h"
#include "index/impact.h"
#include "index/types.h"

namespace m3 {

constexpr uint32_t kBlockSize = 128;

struct TermInfo {
  uint64_t first_block;
  uint32_t df;
  uint32_t n_blocks;
  uint32_t max_impact;
  uint32_t reserved;
};

class SparseIndexBuilder {
 public:
  explicit SparseIndexBuilder(ImpactModel model) : model_(model) {}
  // Adds the next row. terms ascending and unique; values > 0 (weights, or term frequencies for BM25);
  // doc_len is BM25's document length (ignored for learned weights).
  void add(const uint32_t* terms, const float* values, size_t n, float doc_len);
  size_t size() const { return doc_len_.size(); }
  // Quantizes with scale = max impact / 255, builds the lists and writes `path`; returns its checksum.
  uint64_t write(const std::string& path) const;

 private:
  ImpactModel model_;
  std::vector<float> doc_len_;
  std::vector<uint64_t> offset_{0};
  std::vector<uint32_t> terms_;
  std::vector<float> values_;
};

class SparseIndex {
 public:
  static std::unique_ptr<SparseIndex> open(const std::string& path);  // Error naming the file if corrupt

  const ImpactModel& model() const { return model_; }
  float scale() const { return scale_; }
  uint32_t num_docs() const { return n_docs_; }
  size_t num_terms() const { return n_terms_; }
  uint32_t df(uint32_t term) const;  // 0 if absent
  const TermInfo* find_term(uint32_t term) const;
  size_t bytes() const { return file_.size(); }
  size_t postings_bytes() const { return postings_bytes_; }  // lists + block metadata + dictionary
  uint64_t num_postings() const { return n_postings_; }

  // Top-k rows (ScoredDoc::doc is the row) over rows not in `deleted`.
  std::vector<ScoredDoc> search(const QuantizedQuery& q, int k, SparseAlgo algo, const Bitmap* deleted = nullptr) const;
  // The score search would give this row (0 if no term in common).
  float score(const QuantizedQuery& q, uint32_t row) const;
  // The stored row: term ids, unquantized values and the document length (for merges).
  void row(uint32_t r, std::vector<uint32_t>& terms, std::vector<float>& values, float& doc_len) const;
  // Quantized impacts of a row, aligned with row()'s terms.
  void row_impacts(uint32_t r, std::vector<uint32_t>& terms, std::vector<uint8_t>& impacts) const;

  // Raw views for the query processors (sparse_query.cpp).
  const uint32_t* block_last() const { return block_last_; }
  const uint8_t* block_max() const { return block_max_; }
  const uint64_t* block_offset() const { return block_offset_; }
  const uint8_t* postings() const { return postings_; }
  const uint32_t* terms() const { return terms_; }
  const TermInfo* term_info() const { return info_; }

 private:
  SparseIndex() = default;
  void check_lists(const std::string& path) const;  // CorruptionError unless every list and row decodes in bounds
  MappedFile file_;
  ImpactModel model_;
  float scale_ = 1.f;
  uint32_t n_docs_ = 0;
  uint64_t n_terms_ = 0, n_blocks_ = 0, n_postings_ = 0, postings_bytes_ = 0;
  uint64_t postings_bytes_total_ = 0, fwd_bytes_total_ = 0;  // encoded bytes, without the decode padding
  const uint32_t* terms_ = nullptr;
  const TermInfo* info_ = nullptr;
  const uint32_t* block_last_ = nullptr;
  const uint8_t* block_max_ = nullptr;
  const uint64_t* block_offset_ = nullptr;
  const uint8_t* postings_ = nullptr;
  const float* doc_len_ = nullptr;
  const uint64_t* fwd_offset_ = nullptr;
  const uint64_t* fwd_byte_ = nullptr;
  const uint8_t* fwd_terms_ = nullptr;
  const uint8_t* fwd_impact_ = nullptr;
  const float* fwd_value_ = nullptr;
};

}  // namespace m3
