// MaxSimQuery: a multi-vector query prepared once, then scored against many candidates, with a
// fast exact path for the binary and residual codecs.
//
// Both codecs decode a token to an affine function of a few code bits per dimension:
//   binary    x = s·(±1)                          q·x = s · Σ_p T_p[nibble_p]
//   residual  x = centroid_c + bucket_value[code]   q·x = q·centroid_c + Σ_p T_p[nibble_p]
// where nibble_p is the p-th 4-bit group of the token's code (4 dimensions of the binary codec, 4/bits
// of the residual one) and T_p[v] is q's dot product with what those dimensions decode to when the
// nibble is v (16 entries per position, built once per query). A (query vector, token) pair then costs
// d·bits/4 table look-ups and adds instead of d multiply-adds, and 16 query vectors share each AVX-512
// add. Candidates are scored in batches of ~kBatchTokens tokens so that each slice of the tables is
// used by the whole batch while it sits in L1. q·centroid is computed once per query and centroid,
// lazily, for the centroids the scored tokens use. Residual with 4 bits has one dimension per nibble,
// where a look-up saves nothing over a multiply-add: its residuals are decoded (without the centroid
// rows) and run through the blocked kernel, plus q·centroid from the same table.
//
// Scores equal MaxSim over the decoded vectors up to float summation order (property tests: within
// 1e-5 of the dot products' scale); a document's score does not depend on which other candidates
// were scored, so a search and a single-document score agree bit for bit.
//
// Where the CPU has AMX-BF16 (maxsim_amx.h) and dim is a multiple of 32, the per-dimension part
// Σ_d q_d·value[code_d] of both codecs comes from the tile unit instead of the nibble tables, for
// every bit width (residual: when the codebook's bucket values are bf16 numbers, as trained ones are);
// the finishing step (scale or q·centroid, max over tokens) is shared.
//
// Other codecs (and queries whose tables would exceed kMaxTableBytes) take the reference path:
// decode + the blocked kernel (MultiVectorStore::maxsim_reference).
//
// A MaxSimQuery is used from one thread at a time (the centroid table fills lazily).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "index/maxsim_amx.h"
#include "index/multivec_codec.h"

namespace m3 {

// One document's token codes (n x the codec's code size), as a MultiVectorStore maps them.
struct MvSpan {
  const uint8_t* codes;
  uint32_t n;
};

class MaxSimQuery {
 public:
  static constexpr size_t kMaxTableBytes = size_t(64) << 20;
  // Documents are scored in batches of about this many tokens: each 16-32 KB slice of the tables
  // is used by the whole batch while it sits in L1.
  static constexpr size_t kBatchTokens = 1024;

  // q: nq x dim (copied). codec, dim, bits, codebook: those of the stores it will score (residual:
  // the collection's codebook, which must outlive this object).
  MaxSimQuery(const float* q, int nq, MvCodec codec, int dim, int bits, const ResidualCodebook* codebook);
  ~MaxSimQuery();
  MaxSimQuery(MaxSimQuery&&) noexcept;
  MaxSimQuery& operator=(MaxSimQuery&&) noexcept;

  int nq() const { return nq_; }
  int dim() const { return dim_; }
  MvCodec codec() const { return codec_; }
  int bits() const { return bits_; }
  const ResidualCodebook* codebook() const { return cb_; }
  const float* vectors() const { return q_.data(); }
  // True when score() applies (binary or residual codec; tables within kMaxTableBytes).
  bool has_fast_path() const { return lanes_ > 0; }

  // Code bytes per table chunk with 32 lanes: 4 or 8 (0: by L1 size, the default). For tests and
  // benchmarks; scores differ only in float summation order.
  static void set_word_bytes(int bytes);
  // Whether queries prepared from now on may use the AMX kernel where the CPU has it (default true).
  // For tests and benchmarks that compare the two paths.
  static void set_amx_enabled(bool enabled);
  bool uses_amx() const { return amx_ != nullptr; }

  // s_mul of each document (out[i] for docs[i]); has_fast_path() only. A document's score does not
  // depend on the others in the call.
  void score(const MvSpan* docs, size_t n_docs, float* out) const;
  float score(const uint8_t* codes, uint32_t n) const;

 private:
  struct Floats;  // 64-byte aligned float buffer
  void build_tables();
  void ensure_centroids(const MvSpan* docs, size_t nd, size_t code_size) const;
  void score_batch(const MvSpan* docs, size_t nd, size_t tokens, float* out) const;

  MvCodec codec_;
  int nq_, dim_, bits_;
  const ResidualCodebook* cb_;
  std::vector<float> q_;
  int lanes_ = 0;          // query vectors per table row: 16 or 32 (0: no fast path)
  int groups_ = 0;         // ceil(nq / lanes)
  size_t positions_ = 0;   // nibbles per token code: dim/4 (binary), dim·bits/4 (residual)
  size_t code_offset_ = 0; // bytes before the bits: 4 (binary scale), 2 (residual centroid id)
  bool decode_residual_ = false;  // residual 4 bits: decoded residuals + q·centroid, no nibble tables
  std::unique_ptr<amx::CodeDots> amx_;      // the tile kernel, instead of tables_ (AMX CPUs)
  std::unique_ptr<Floats> tables_;          // [group][position][16][lanes]
  mutable std::unique_ptr<Floats> cen_dots_;  // [centroid][groups·lanes]: q_i·centroid (residual)
  mutable std::vector<uint8_t> cen_done_;     // which rows of cen_dots_ are filled
};

}  // namespace m3
