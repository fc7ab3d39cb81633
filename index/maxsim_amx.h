// AMX-BF16 kernel of the binary and residual MaxSim fast path (Sapphire Rapids and later Xeons).
//
// Both codecs decode every dimension from its own few code bits through a small table of values
// (binary: ±1 times the token's scale; residual: bucket_value[code] plus the token's centroid). The
// per-dimension part, Σ_d q_d·value[code_d], is a matrix product of the query (nq x dim) with the
// tokens' decoded values (dim x tokens), which the tile unit computes 16 x 16 x 32 at a time.
//
// Exactness: the values must be bf16 numbers (the residual codebook rounds its bucket values to
// bf16 when it is trained), and each fp32 query value is split into two bf16 parts, hi + lo, which
// carry its top 16 significant bits; what is left out is below 2^-18 of the value. Products of bf16
// numbers are exact in fp32 and the tile unit accumulates in fp32, so a dot product differs from the
// fp32 one by at most 2^-18·Σ_d |q_d·x_d| plus summation order — the size of fp32's own rounding over
// a sum of a thousand products (the tests hold it to the nibble tables' bound, 1e-5 of the scale).
// The codebook's fp32 centroids are split the same way (three of the four part products; lo·lo is
// below the same bound).
//
// Tokens are decoded 32 at a time into a bf16 buffer (rows = tokens, as the tile unit's A operand
// wants them); the query is laid out once per query in the B operand's pair-interleaved ("VNNI")
// format.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace m3::amx {

constexpr int kParts = 2;  // bf16 parts per fp32 number (hi, lo)

// True when this CPU has AMX-TILE and AMX-BF16, the OS enables tile state and Linux granted this
// process permission to use it (arch_prctl). Checked once; M3_NO_AMX=1 in the environment says no.
bool available();
// True when v is a bfloat16 number (its low 16 bits are zero), so the tile unit reads it exactly.
bool is_bf16(float v);
// v rounded to the nearest bfloat16 (ties to even).
float round_to_bf16(float v);

// Rows of fp32 numbers as kParts bf16 parts each (hi + lo ≈ x, see above), rows padded to a multiple of
// 32 with zeros: the tile unit's A operand for exact dot products of stored fp32 vectors (the residual
// codec's centroids), built once per codebook.
struct Bf16Parts {
  size_t rows = 0;
  int dim = 0;
  std::vector<uint16_t> part[kParts];
  static Bf16Parts of(const float* x, size_t rows, int dim);
};

class CodeDots {
 public:
  static constexpr size_t kTokensPerStep = 32;

  // q: nq x dim (dim a multiple of 32); query vectors are taken in lane groups of `lanes` (16 or 32).
  // values: the 2^bits values a dimension's code decodes to, each is_bf16().
  CodeDots(const float* q, int nq, int dim, int bits, const float* values, int lanes);

  // acc[t·lanes + l] = Σ_d q[g·lanes + l][d] · values[code of dimension d of token t], for lane group
  // g and the n tokens whose code bits start at tokens[t] (dimension d at bit d·bits, LSB first).
  // acc holds round_up(n, kTokensPerStep)·lanes floats; rows past n are scratch.
  void dots(int g, const uint8_t* const* tokens, size_t n, float* acc) const;
  // acc[r·lanes + l] = q[g·lanes + l] · x_r for the rows of x (same dim), from the part products
  // hi·hi, hi·lo and lo·hi. acc holds x.rows (padded) · lanes floats.
  void row_dots(int g, const Bf16Parts& x, float* acc) const;

 private:
  int nq_, dim_, bits_, lanes_, groups_;
  uint16_t table_[32];              // word t: bf16 bits of values[t mod 2^bits] (vpermw's 32 entries)
  std::vector<uint16_t> qtiles_;    // [group][dim/32][part][lanes/16][16 pairs][16 cols][2]
};

}  // namespace m3::amx
