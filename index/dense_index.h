// DenseIndex: one FAISS index (any factory string, inner product) over one immutable set of vectors,
// plus the raw fp32 vectors so s_dense is exact for any document, whatever the FAISS structure loses.
//
// Why not IndexIDMap2: in FAISS 1.7.3 IndexIDMap rejects SearchParameters, so it could take neither
// efSearch/nprobe per query nor an IDSelector. Rows are numbered 0..n-1 inside FAISS and mapped to the
// caller's stable int64 ids here (ids ascending, so id -> row is a binary search).
// Why a tombstone filter instead of remove_ids: IndexFlat's remove_ids renumbers rows, HNSW has none,
// and the files are immutable (readers of older commits use them). Deleted rows are skipped inside the
// FAISS search through an IDSelector, so a search still returns k live hits.
// Scores: FAISS only picks candidates; every returned score is recomputed from the fp32 vectors with
// simd::dot_f32, the same function score() uses, so search and score() agree to the bit.
#pragma once
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "index/bitmap.h"
#include "index/file_io.h"
#include "index/types.h"

namespace faiss {
struct Index;
}

namespace m3 {

class DenseIndex {
 public:
  // Builds the FAISS structure named by `factory` over n vectors (row-major n x dim) with ids
  // (strictly ascending). Trains on the vectors when the structure needs training; an IVF with
  // fewer than 39·nlist vectors (FAISS's own minimum for k-means) falls back to "Flat", and
  // effective_factory()/fallback_reason() say so. UsageError for a bad factory string.
  static std::unique_ptr<DenseIndex> build(int dim, const std::string& factory, const float* x, int64_t n,
                                           const int64_t* ids);

  // UsageError unless FAISS can build `factory` at this dim (checked when a collection is created).
  static void check_factory(int dim, const std::string& factory);

  // Writes <prefix>.faiss (FAISS I/O) and <prefix>.f32 (ids + raw vectors); returns the files written.
  std::vector<std::string> save(const std::string& prefix) const;
  // Reads both files; Error naming the file when either is missing, truncated or of another dim.
  static std::unique_ptr<DenseIndex> load(const std::string& prefix, int expected_dim);

  ~DenseIndex();

  int dim() const { return dim_; }
  int64_t size() const { return n_; }
  const std::string& factory() const { return factory_; }            // what the user asked for
  const std::string& effective_factory() const { return effective_; }  // what was built
  const std::string& fallback_reason() const { return fallback_reason_; }

  // Top-k by inner product over rows not set in `deleted` (may be null); hits carry the stable ids.
  std::vector<ScoredDoc> search(const float* q, int k, const DenseSearchParams& params,
                                const Bitmap* deleted = nullptr) const;
  // The efSearch search() uses for k hits when `allowed` rows are selectable (HNSW; 0 for other
  // structures): the query's (or the default) widened by size()/allowed, at most size().
  int search_ef(int k, const DenseSearchParams& params, size_t allowed) const;
  // Exact top-k over the fp32 vectors of the rows not set in `excluded` (nor removed): what a
  // filtered search uses when few rows are allowed, where HNSW/IVF with a selective IDSelector
  // would return fewer than k or miss some (their candidate lists do not grow with the filter).
  std::vector<ScoredDoc> scan(const float* q, int k, const Bitmap& excluded) const;
  // Exact q·x for one id; NotFoundError if the id is not in this index.
  float score(const float* q, int64_t id) const;
  // Row of an id, or -1.
  int64_t row_of(int64_t id) const;
  int64_t id_at(int64_t row) const { return ids_[row]; }
  const float* vector_at(int64_t row) const { return vectors_ + size_t(row) * dim_; }

  // Tombstones rows by id (ids not present are ignored); searches skip them.
  void remove(const std::vector<int64_t>& ids);
  const Bitmap& removed() const { return removed_; }

  size_t faiss_bytes() const;   // size of the FAISS structure as write_index stores it
  size_t raw_bytes() const { return size_t(n_) * dim_ * sizeof(float) + size_t(n_) * sizeof(int64_t); }
  const faiss::Index* faiss_index() const { return index_.get(); }  // for the wrapper-overhead benchmark

 private:
  DenseIndex() = default;
  int dim_ = 0;
  int64_t n_ = 0;
  std::string factory_, effective_, fallback_reason_;
  std::unique_ptr<faiss::Index> index_;
  // Raw storage: owned while building, mmapped once loaded.
  std::vector<float> own_vectors_;
  std::vector<int64_t> own_ids_;
  MappedFile raw_file_;
  const float* vectors_ = nullptr;
  const int64_t* ids_ = nullptr;
  Bitmap removed_;
  mutable size_t faiss_bytes_ = 0;
  mutable std::shared_mutex ef_mu_;  // see search(): FAISS 1.7.3 HNSW reads efSearch from the index
};

// Throws m3::Error when a vector has a NaN/Inf or its L2 norm is not 1 within `tol`;
// `what` names the document in the message.
void require_normalized(const float* v, int dim, const std::string& what, float tol = 1e-3f);

}  // namespace m3
