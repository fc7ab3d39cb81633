// A segment: the immutable files of the documents one commit (or one merge) added.
//   seg-<gen>/docs.bin      int64 doc ids, ascending (row -> doc)
//   seg-<gen>/dense.faiss   FAISS index over rows; dense.f32 the raw vectors (dense_index.h)
//   seg-<gen>/sparse.bin    learned-sparse inverted index + forward store (sparse_index.h)
//   seg-<gen>/bm25.bin      BM25 impacts over token ids, same structure
//   seg-<gen>/multivec.bin  token vectors, one codec (multivec_store.h)
//   seg-<gen>/del-<g>.bin   rows deleted as of commit g (u32 list); a later commit writes a new one
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/sparse_vector.h"
#include "index/bitmap.h"
#include "index/dense_index.h"
#include "index/manifest.h"
#include "index/metadata_columns.h"
#include "index/multivec_store.h"
#include "index/sparse_index.h"

namespace m3 {

class SegmentBuilder {
 public:
  // `dir` is the collection directory; `name` the new segment's directory name.
  // bm25_avgdl: the collection-wide average document length the BM25 impacts are built with.
  SegmentBuilder(std::string dir, std::string name, const IndexSettings& settings, const ResidualCodebook* codebook,
                 double bm25_avgdl);
  ~SegmentBuilder();

  // Rows must come in ascending doc order. `dense`: dense_dim floats (or null when dense_dim is 0).
  // bm25 terms ascending with their term frequencies as values; mv: n_vectors x multivec_dim.
  void add(int64_t doc, const float* dense, const SparseVector& sparse, const std::vector<uint32_t>& bm25_terms,
           const std::vector<float>& bm25_tf, float bm25_len, const float* mv, size_t n_vectors);
  // The same, with multivec codes copied from another segment of the same codec (merges).
  void add_mv_codes(int64_t doc, const float* dense, const SparseVector& sparse, const std::vector<uint32_t>& bm25_terms,
                    const std::vector<float>& bm25_tf, float bm25_len, const uint8_t* codes, size_t n_vectors);
  size_t size() const { return docs_.size(); }
  // Builds the FAISS index, writes and fsyncs every file and the directory; returns the metadata.
  SegmentMeta finish();

 private:
  void add_common(int64_t doc, const float* dense, const SparseVector& sparse, const std::vector<uint32_t>& bm25_terms,
                  const std::vector<float>& bm25_tf, float bm25_len);
  std::string dir_, name_, path_;
  IndexSettings settings_;
  std::vector<int64_t> docs_;
  std::vector<float> dense_;
  SparseIndexBuilder sparse_, bm25_;
  std::unique_ptr<MultiVectorWriter> mv_;
  double bm25_total_len_ = 0;
};

// Counts term frequencies of a token-id list: ascending terms, tf values; UsageError on negative ids.
void bm25_terms(const std::vector<int32_t>& token_ids, std::vector<uint32_t>& terms, std::vector<float>& tf);

class Segment {
 public:
  // Opens the files of `meta` under `dir`; verify_checksums reads each file once to check it.
  static std::shared_ptr<const Segment> open(const std::string& dir, const SegmentMeta& meta, const IndexSettings& settings,
                                             const ResidualCodebook* codebook, bool verify_checksums);
  const SegmentMeta& meta() const { return meta_; }
  uint32_t size() const { return uint32_t(meta_.n_docs); }
  int64_t doc_at(uint32_t row) const { return docs_[row]; }
  int64_t row_of(int64_t doc) const;  // -1 if absent

  const DenseIndex* dense() const { return dense_.get(); }
  const SparseIndex* sparse() const { return sparse_.get(); }
  const SparseIndex* bm25() const { return bm25_.get(); }
  const MultiVectorStore* multivec() const { return mv_.get(); }
  size_t docs_bytes() const { return docs_file_.size(); }

  // The rows' metadata in column form: built by `build` on the first filtered search that needs it,
  // then kept as long as the segment lives (a segment's documents, hence their metadata, never
  // change). Not a file: collections written before filters existed work unchanged.
  std::shared_ptr<const MetadataColumns> metadata(const std::function<MetadataColumns()>& build) const;

 private:
  SegmentMeta meta_;
  MappedFile docs_file_;
  const int64_t* docs_ = nullptr;
  std::unique_ptr<DenseIndex> dense_;
  std::unique_ptr<SparseIndex> sparse_, bm25_;
  std::unique_ptr<MultiVectorStore> mv_;
  mutable std::mutex columns_mu_;  // held while building, so concurrent first queries build once
  mutable std::shared_ptr<const MetadataColumns> columns_;
};

// Tombstone files: the deleted rows of one segment as of one commit.
FileEntry write_deletes(const std::string& dir, const std::string& name, const Bitmap& deleted);
Bitmap read_deletes(const std::string& dir, const FileEntry& f, uint32_t n_rows);

}  // namespace m3
