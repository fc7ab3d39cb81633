// MultiVectorStore: one segment's token vectors ([n_tokens x dim] per document), encoded with one
// codec (multivec_codec.h) and read through mmap. Scores the late-interaction head:
//     s_mul(q, d) = (1/Nq) Σ_i max_j q_i·d_j        (M3-SPEC §3, the unpadded definition)
// against the decoded stored vectors. A document with no vectors scores 0.
//
// File: header (magic, codec, dim, bits, docs, vectors) | offsets u64[N+1] (in vectors) | codes.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "index/file_io.h"
#include "index/maxsim_query.h"
#include "index/multivec_codec.h"

namespace m3 {

class MultiVectorWriter {
 public:
  MultiVectorWriter(const std::string& path, MvCodec codec, int dim, int bits, const ResidualCodebook* codebook);
  void add(const float* vectors, size_t n);              // the next row's n x dim vectors
  void add_codes(const uint8_t* codes, size_t n);         // already encoded with the same codec (merges)
  uint64_t finish();                                      // writes offsets, fsyncs; returns the checksum

 private:
  FileWriter codes_;  // codes go straight to a temp file; finish() appends them after the offsets
  std::string path_;
  MvEncoder enc_;
  std::vector<uint64_t> offsets_{0};
  std::vector<uint8_t> buf_;
  int dim_, bits_;
};

class MultiVectorStore {
 public:
  static std::unique_ptr<MultiVectorStore> open(const std::string& path, int expected_dim,
                                                const ResidualCodebook* codebook);
  MvCodec codec() const { return enc_->codec(); }
  int dim() const { return dim_; }
  uint32_t num_docs() const { return n_docs_; }
  uint64_t num_vectors() const { return n_vectors_; }
  size_t code_size() const { return enc_->code_size(); }
  size_t bytes() const { return file_.size(); }

  uint32_t num_vectors(uint32_t row) const { return uint32_t(offsets_[row + 1] - offsets_[row]); }
  const uint8_t* codes(uint32_t row) const { return codes_ + offsets_[row] * enc_->code_size(); }
  // The decoded vectors of a row (n x dim).
  std::vector<float> decode(uint32_t row) const;

  // A query (nq x dim) prepared for this store's codec: build it once per query, then score every
  // candidate with maxsim(prepared, row). Any store of the same collection (same codec, dim, bits and
  // codebook) accepts it.
  MaxSimQuery prepare(const float* q, int nq) const;
  // s_mul for one row. Binary and residual: the table path of MaxSimQuery (maxsim_query.h); other
  // codecs: maxsim_reference. Both equal MaxSim over the decoded vectors up to float summation order.
  float maxsim(const MaxSimQuery& q, uint32_t row) const;
  // The same for many rows (out[i] for rows[i]); the table path scores them in token batches.
  void maxsim(const MaxSimQuery& q, const uint32_t* rows, size_t n, float* out) const;
  // The same for a one-off score (prepares the query each call: use prepare() for many rows).
  float maxsim(const float* q, int nq, uint32_t row) const;
  // The reference: decodes the row into a per-thread buffer, then scores it with simd::dots.
  float maxsim_reference(const float* q, int nq, uint32_t row) const;
  // The reference for many rows (out[i] for rows[i]): their vectors are decoded into one buffer and
  // scored in one simd::dots call per pass, each dot summed as in maxsim_reference (same scores).
  void maxsim_reference(const float* q, int nq, const uint32_t* rows, size_t n, float* out) const;
  // Binary codec only: the Hamming pre-score, i.e. MaxSim between the sign bits of q and of the
  // document (1 - 2·hamming/dim per pair), a cheap filter before the exact score.
  float hamming_prescore(const uint64_t* q_bits, int nq, uint32_t row) const;
  // Sign bits of query vectors for hamming_prescore (nq x dim/64 words; dim a multiple of 64).
  static std::vector<uint64_t> sign_bits(const float* q, int nq, int dim);

 private:
  MultiVectorStore() = default;
  void check_prepared(const MaxSimQuery& q) const;  // UsageError if q was prepared for another store kind
  MappedFile file_;
  std::unique_ptr<MvEncoder> enc_;
  int dim_ = 0;
  uint32_t n_docs_ = 0;
  uint64_t n_vectors_ = 0;
  const uint64_t* offsets_ = nullptr;
  const uint8_t* codes_ = nullptr;
};

}  // namespace m3
