// Collection: one directory = the manifest (model, settings, weights, version), the three indexes and
// the document store (index/IndexStore), searched with one M3 encoder.
//   - Writes (add/remove/commit) are serialised by a mutex; searches never wait on them: each search
//     takes the committed snapshot current when it starts (old or new state, never a mix).
//   - Opening checks the model: the encoder's fingerprint must equal the one the collection was built with.
#pragma once
#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "encoder/encoder.h"
#include "engine/search_params.h"
#include "index/index_store.h"

namespace m3 {

struct CollectionOptions {
  std::string model_dir;          // empty: the embedded default
  std::string dense = "Flat";     // FAISS factory string
  std::string mv_codec = "fp16";  // fp32 | fp16 | int8 | binary | residual
  int mv_bits = 2;                // residual codec bits
  int passage_max_length = 8192;  // tokens per passage (M3-SPEC §3 engine default)
  double bm25_avgdl = 0;          // 0: BM25's running average length; > 0: fixed (IndexSettings::bm25_avgdl)
};

struct Document {
  std::string docid, title, text;
  std::string metadata_json = "{}";
  // What is encoded: "title text" as MIRACL evaluations do (just text when there is no title).
  std::string passage() const { return title.empty() ? text : title + " " + text; }
};

struct HitScores {
  std::optional<float> dense, sparse, multivec, bm25;  // set for every head the mode computed
};

struct Hit {
  int64_t doc = -1;
  std::string docid, title, text, metadata_json;
  float score = 0;
  HitScores scores;
};

struct SearchResult {
  std::vector<Hit> hits;
  double encode_ms = 0, search_ms = 0;
};

struct CollectionInfo {
  std::string dir, model_dir, fingerprint, dense, mv_codec;
  int mv_bits = 0, dense_dim = 0, multivec_dim = 0;
  int passage_max_length = 0;  // effective: min(the setting, the model's positions - 2)
  double bm25_avgdl = 0;       // 0: running average (IndexSettings::bm25_avgdl)
  uint64_t generation = 0;
  size_t documents = 0, segments = 0;
  IndexSizes sizes;
};

class Collection {
 public:
  // Creates DIR (must not exist) for the given model; `encoder` may be shared (server), else loaded.
  static std::unique_ptr<Collection> create(const std::string& dir, const CollectionOptions& options,
                                            std::shared_ptr<const Encoder> encoder = nullptr);
  // Opens DIR; with no encoder, loads the model recorded in the manifest (or `model_dir` if given).
  // ReadOnly takes no lock (IndexStore::open_read_only): for the CLI's reads while `m3 serve` holds DIR.
  enum class Access { ReadWrite, ReadOnly };
  static std::unique_ptr<Collection> open(const std::string& dir, std::shared_ptr<const Encoder> encoder = nullptr,
                                          const std::string& model_dir = "", Access access = Access::ReadWrite);
  // The model directory and fingerprint a collection was built with, without opening it.
  static std::pair<std::string, std::string> recorded_model(const std::string& dir);

  // ---- writes (visible after commit)
  void add(const std::vector<Document>& docs);                           // encodes, then buffers
  void add_encoded(const Document& doc, const Embedding& embedding);     // already encoded (bulk pipeline)
  void remove(const std::string& docid);
  uint64_t commit();                                                     // atomic; returns the generation
  uint64_t commit_with(const nlohmann::json& extra_patch);               // + merge keys into the manifest's extra
  uint64_t optimize();                                                   // merge all segments into one
  size_t pending() const;

  // ---- reads (thread-safe)
  SearchResult search(const std::string& query, const SearchParams& params) const;
  std::vector<SearchResult> search_batch(const std::vector<std::string>& queries, const SearchParams& params) const;
  SearchResult search_embedding(const Embedding& query, const SearchParams& params) const;
  // search_embedding under each weight set (a fused mode), the candidates gathered once (m3 eval --sweep-weights).
  std::vector<SearchResult> search_embedding_sweep(const Embedding& query, const SearchParams& params,
                                                   const std::vector<HeadWeights>& weight_sets) const;
  std::optional<DocRecord> find_document(const std::string& docid) const;
  CollectionInfo info() const;
  nlohmann::json extra() const;  // the manifest's engine data (ingest progress, model, ...)

  const Encoder& encoder() const { return *encoder_; }
  std::shared_ptr<const Encoder> shared_encoder() const { return encoder_; }
  std::shared_ptr<const Snapshot> snapshot() const { return store_->snapshot(); }
  const std::string& dir() const { return dir_; }
  int passage_max_length() const { return passage_max_length_; }

 private:
  Collection() = default;
  DocInput to_input(const Document& doc, const Embedding& e) const;

  std::string dir_;
  std::shared_ptr<const Encoder> encoder_;
  std::unique_ptr<IndexStore> store_;
  int passage_max_length_ = 8192;
  mutable std::mutex write_mu_;
};

// Brute-force-free core of every mode: candidates, exact missing heads, fusion, top-k. Exposed for tests.
SearchResult search_snapshot(const Snapshot& snap, const Embedding& query, const SearchParams& params);
// One weighted fused search ranked under each weight set: candidates and head scores computed once
// (BM25's with them when any set weights it), each ranking equal to search_snapshot's with those weights.
std::vector<SearchResult> search_snapshot_sweep(const Snapshot& snap, const Embedding& query, const SearchParams& params,
                                                const std::vector<HeadWeights>& weight_sets);
// The token ids BM25 scores a query by: its pieces without <s>, </s> and <pad>.
std::vector<int32_t> bm25_query_tokens(const Embedding& query);
// A document's length as BM25 counts it when the collection adds it (its pieces within max_length).
size_t bm25_document_length(const Encoder& encoder, const std::string& passage, int max_length);

}  // namespace m3
