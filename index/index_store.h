// IndexStore: the one facade the engine uses. A collection directory holds
//   MANIFEST           the current commit (manifest.h), replaced atomically
//   docs/              DocStore (RocksDB)
//   seg-<gen>/         immutable segments (segment.h) + their tombstone files
//   mv-codebook-<g>.bin  residual multivec codebook (only for mv_codec "residual")
// Writers: one thread calls upsert/remove/commit/merge. Readers: any number of threads take
// snapshot() and keep the commit they started on; a commit never changes a file a reader uses
// (new files only; replaced files are unlinked, and their mmaps stay valid).
//
// BM25 statistics: idf is global — N and df are summed over the snapshot's segments (deleted rows
// included, as Lucene does until a merge) at query time. The length normalisation uses the
// collection-wide average document length as of the commit (or merge) that built the segment;
// merges rebuild it with the then-current average.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/sparse_vector.h"
#include "index/doc_store.h"
#include "index/index_settings.h"
#include "index/manifest.h"
#include "index/metadata_columns.h"
#include "index/segment.h"
#include "index/types.h"

namespace m3 {

struct DocInput {
  std::string docid, title, text, metadata_json;
  std::vector<float> dense;        // dense_dim floats, L2-normalised
  SparseVector sparse;             // learned lexical weights
  std::vector<int32_t> token_ids;  // for BM25
  std::vector<float> multivec;     // n_vectors x multivec_dim
  int n_vectors = 0;
};

// Bytes per structure, for `m3 info` and /metrics.
struct IndexSizes {
  uint64_t dense_faiss = 0, dense_raw = 0, sparse = 0, bm25 = 0, multivec = 0, doc_ids = 0, doc_store = 0;
  uint64_t total() const { return dense_faiss + dense_raw + sparse + bm25 + multivec + doc_ids + doc_store; }
};

class Snapshot;

// The rows a filtered search may return, per segment of one snapshot: live and matching a
// RowPredicate. Snapshot::mask computes it once per query; every search of that query takes it, so
// the filter is applied while candidates are generated (a filtered top-k is the top-k of the
// matching documents), never after.
class RowMask {
 public:
  // At or below this many allowed rows in a segment, searches score those rows directly (exact)
  // instead of running the index with the mask: cheaper there, and it keeps HNSW/IVF exact where a
  // selective filter would starve their candidate lists.
  static constexpr uint32_t kDefaultExactScanRows = 4096;

  size_t allowed() const { return allowed_; }  // over all segments
  uint32_t exact_scan_rows() const { return exact_scan_rows_; }

 private:
  friend class Snapshot;
  const Snapshot* snap_ = nullptr;                       // the snapshot it belongs to (checked)
  std::vector<std::shared_ptr<const Bitmap>> excluded_;  // per segment: deleted or not matching
  size_t allowed_ = 0;
  uint32_t exact_scan_rows_ = kDefaultExactScanRows;
};

class Snapshot {
 public:
  uint64_t generation() const { return generation_; }
  const IndexSettings& settings() const { return settings_; }

  // Searches over live rows, or over the rows `mask` allows (a mask of this snapshot).
  std::vector<ScoredDoc> dense_search(const float* q, int k, const DenseSearchParams& params = {},
                                      const RowMask* mask = nullptr) const;
  std::vector<ScoredDoc> sparse_search(const SparseVector& q, int k, SparseAlgo algo = SparseAlgo::MaxScore,
                                       const RowMask* mask = nullptr) const;
  // BM25 with this snapshot's statistics, or with `global` ones (a sharded collection's sums).
  std::vector<ScoredDoc> bm25_search(const std::vector<int32_t>& query_token_ids, int k,
                                     SparseAlgo algo = SparseAlgo::MaxScore, const RowMask* mask = nullptr,
                                     const Bm25Stats* global = nullptr) const;
  // N and df of the query's terms over this snapshot's segments.
  Bm25Stats bm25_stats(const std::vector<int32_t>& query_token_ids) const;

  // The live rows matching `p`, per segment (each segment's metadata columns are built from the
  // doc store on first use and cached on the segment; see Segment::metadata).
  std::shared_ptr<const RowMask> mask(const RowPredicate& p,
                                      uint32_t exact_scan_rows = RowMask::kDefaultExactScanRows) const;

  // Exact per-head scores of one live doc (NotFoundError if the doc is not live in this snapshot).
  float dense_score(const float* q, int64_t doc) const;
  float sparse_score(const SparseVector& q, int64_t doc) const;
  // sparse_score for many docs (out[i] for docs[i]), the query quantised once.
  std::vector<float> sparse_scores(const SparseVector& q, const std::vector<int64_t>& docs) const;
  float bm25_score(const std::vector<int32_t>& query_token_ids, int64_t doc, const Bm25Stats* global = nullptr) const;
  // bm25_score for many docs, the query weighted and quantised once (the scores bm25_search gives).
  std::vector<float> bm25_scores(const std::vector<int32_t>& query_token_ids, const std::vector<int64_t>& docs,
                                 const Bm25Stats* global = nullptr) const;
  // s_mul (MaxSim) of q (nq x multivec_dim) against each doc, in the order given.
  std::vector<float> multivec_scores(const float* q, int nq, const std::vector<int64_t>& docs) const;

  std::optional<DocRecord> doc(int64_t doc) const;
  std::optional<int64_t> find(const std::string& docid) const;
  bool is_live(int64_t doc) const;
  // Every live document in doc order (re-indexing).
  void for_each_doc(const std::function<void(const DocRecord&)>& fn) const;
  // Live documents in doc order until fn returns false.
  void for_each_doc_while(const std::function<bool(const DocRecord&)>& fn) const;

  size_t live_documents() const;
  size_t num_segments() const { return segs_.size(); }
  IndexSizes sizes() const;

 private:
  friend class IndexStore;
  struct Part {
    std::shared_ptr<const Segment> seg;
    std::shared_ptr<const Bitmap> deleted;
  };
  struct Loc {
    const Part* part;
    uint32_t row;
  };
  std::optional<Loc> locate(int64_t doc) const;  // live docs only
  const Bitmap& excluded(size_t seg, const RowMask* mask) const;  // rows a search of segment seg skips
  std::vector<ScoredDoc> sparse_like_search(const QuantizedQuery& q, int k, SparseAlgo algo, const RowMask* mask,
                                            const SparseIndex* (Segment::*which)() const) const;
  SparseVector bm25_query(const std::vector<int32_t>& ids, const Bm25Stats* global) const;

  uint64_t generation_ = 0;
  IndexSettings settings_;
  std::vector<Part> segs_;
  DocStore::View docs_;
  std::shared_ptr<DocStore> store_;
  std::shared_ptr<const ResidualCodebook> codebook_;
};

class IndexStore {
 public:
  static std::unique_ptr<IndexStore> create(const std::string& dir, const IndexSettings& settings);  // UsageError if it exists
  static std::unique_ptr<IndexStore> open(const std::string& dir);  // Error naming the problem if corrupt or missing
  // The last commit, for reading only: takes no lock and removes nothing, so it works while a writer
  // (`m3 serve`) holds the collection; writes throw UsageError. The MANIFEST is read before the doc
  // store, so every record it names is there; a merge that removes its files meanwhile is retried.
  static std::unique_ptr<IndexStore> open_read_only(const std::string& dir);
  bool read_only() const { return read_only_; }
  ~IndexStore();

  const IndexSettings& settings() const { return manifest_.settings; }
  const std::string& dir() const { return dir_; }
  uint64_t generation() const { return manifest_.generation; }

  void upsert(DocInput doc);  // validated now (m3::Error naming the docid); applied at commit
  void remove(const std::string& docid);
  size_t pending() const { return pending_.size() + pending_removes_.size(); }
  // Writes a new segment for the buffered documents and tombstones for replaced/removed ones,
  // then replaces the MANIFEST atomically; returns the new generation (the old one if nothing was pending).
  // Afterwards merges tail segments of the same size level when merge_factor of them have piled up.
  uint64_t commit();
  // Merges every segment into one, dropping deleted rows; returns the new generation.
  uint64_t merge();
  // Replaces settings().extra (engine data) in the next commit's MANIFEST.
  void set_extra(const nlohmann::json& extra);

  std::shared_ptr<const Snapshot> snapshot() const;

 private:
  IndexStore() = default;
  void load(bool verify);
  void require_writable(const char* what) const;
  void publish();
  void write_manifest(const Manifest& m);
  void maybe_merge();
  uint64_t merge_range(size_t begin, size_t end);
  void validate(const DocInput& d) const;
  double total_bm25_len() const;
  uint64_t total_rows() const;

  std::string dir_;
  bool read_only_ = false;
  Manifest manifest_;
  std::shared_ptr<DocStore> docs_;
  std::shared_ptr<const ResidualCodebook> codebook_;
  std::vector<std::shared_ptr<const Segment>> segments_;  // parallel to manifest_.segments
  std::vector<std::shared_ptr<const Bitmap>> deleted_;

  std::vector<DocInput> pending_;
  std::unordered_map<std::string, size_t> pending_index_;
  std::unordered_set<std::string> pending_removes_;
  bool extra_dirty_ = false;

  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> current_;
};

}  // namespace m3
