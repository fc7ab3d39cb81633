#include "index/maxsim_amx.h"

#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/error.h"

namespace m3::amx {

namespace {

// Linux: a process asks once for the AMX tile data state (arch/x86/include/uapi/asm/prctl.h).
constexpr int kArchReqXcompPerm = 0x1023;
constexpr int kXfeatureXtiledata = 18;

bool detect() {
  const char* off = std::getenv("M3_NO_AMX");
  if (off && *off && std::string(off) != "0") return false;
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const bool avx512 = (b >> 16 & 1) && (b >> 30 & 1) && (b >> 31 & 1) && (c >> 1 & 1);  // F, BW, VL, VBMI
  const bool tiles = (d >> 24 & 1) && (d >> 22 & 1);                                    // AMX-TILE, AMX-BF16
  if (!avx512 || !tiles) return false;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c >> 27 & 1)) return false;  // OSXSAVE: xgetbv is usable
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  const uint64_t xcr0 = (uint64_t(hi) << 32) | lo;
  const uint64_t need = (7u << 5) | (3u << 17);  // AVX-512 state (opmask, ZMM_Hi256, Hi16_ZMM), XTILECFG, XTILEDATA
  if ((xcr0 & need) != need) return false;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
}

uint16_t bf16_bits(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  return uint16_t(u >> 16);
}

// The tile configuration of every call: eight tiles of 16 rows x 64 bytes (A: 16 tokens x 32
// dimensions bf16; B: 16 dimension pairs x 16 query vectors; C: 16 tokens x 16 query vectors fp32).
struct alignas(64) TileConfig {
  uint8_t palette_id = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
  TileConfig() {
    for (int i = 0; i < 8; ++i) colsb[i] = 64, rows[i] = 16;
  }
};

#define M3_AMX_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi,amx-tile,amx-bf16")))

// One token's code bits -> dim bf16 values, 32 dimensions (one 64-byte row segment) per step: the
// 4·bits code bytes of the step are spread so that each dimension's word starts with its code
// (byte permute + per-word shift), then a 32-entry word table look-up gives the bf16 value (the
// table repeats with period 2^bits, so bits above the code do not matter).
M3_AMX_TARGET void decode_token(const uint8_t* code, int dim, int bits, __m512i spread, __m512i shifts, __m512i table,
                                uint16_t* out) {
  const __mmask16 load = __mmask16((1u << (4 * bits)) - 1);
  for (int j = 0; j < dim / 32; ++j) {
    const __m512i src = _mm512_castsi128_si512(_mm_maskz_loadu_epi8(load, code + size_t(j) * 4 * bits));
    const __m512i bytes = _mm512_maskz_permutexvar_epi8(0x5555555555555555ull, spread, src);
    const __m512i words = _mm512_srlv_epi16(bytes, shifts);
    _mm512_storeu_si512(out + size_t(j) * 32, _mm512_permutexvar_epi16(words, table));
  }
}

// Dimensions are taken kChunksPerPass chunks of 32 at a time, for every 32-token step of the call,
// so the query's B tiles of those chunks (6 KB per chunk with 32 lanes) and the step's decoded
// tokens stay in L1 while all the steps use them; the C tiles go through acc between passes.
constexpr int kChunksPerPass = 4;

// C tiles 0..3 (+)= A tiles 4,5 (rows 0-15, 16-31) x B tiles 6,7 (query lanes 0-15, 16-31), over
// `chunks` chunks of 32 dimensions; A part p (of a_parts) meets the query parts 0 .. q_parts-1-p.
template <int a_parts, int q_parts>
M3_AMX_TARGET void tiles_32_lanes(const uint16_t* const* a, size_t a_stride, const uint16_t* qt, int chunks,
                                  bool first, float* acc) {
  constexpr size_t kTile = 16 * 32;  // bf16 per B tile
  constexpr size_t kRow = 32 * sizeof(float);
  if (first) {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
  } else {
    _tile_loadd(0, acc, kRow);
    _tile_loadd(1, acc + 16, kRow);
    _tile_loadd(2, acc + 16 * 32, kRow);
    _tile_loadd(3, acc + 16 * 32 + 16, kRow);
  }
  for (int k = 0; k < chunks; ++k)
    for (int p = 0; p < a_parts; ++p) {
      _tile_loadd(4, a[p] + size_t(k) * 32, a_stride);
      _tile_loadd(5, a[p] + 16 * a_stride / 2 + size_t(k) * 32, a_stride);
      const uint16_t* b = qt + size_t(k) * kParts * 2 * kTile;
      for (int s = 0; s < q_parts - p; ++s, b += 2 * kTile) {
        _tile_loadd(6, b, 64);
        _tile_loadd(7, b + kTile, 64);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
      }
    }
  _tile_stored(0, acc, kRow);
  _tile_stored(1, acc + 16, kRow);
  _tile_stored(2, acc + 16 * 32, kRow);
  _tile_stored(3, acc + 16 * 32 + 16, kRow);
}

template <int a_parts, int q_parts>
M3_AMX_TARGET void tiles_16_lanes(const uint16_t* const* a, size_t a_stride, const uint16_t* qt, int chunks,
                                  bool first, float* acc) {
  constexpr size_t kTile = 16 * 32;
  constexpr size_t kRow = 16 * sizeof(float);
  if (first) {
    _tile_zero(0);
    _tile_zero(2);
  } else {
    _tile_loadd(0, acc, kRow);
    _tile_loadd(2, acc + 16 * 16, kRow);
  }
  for (int k = 0; k < chunks; ++k)
    for (int p = 0; p < a_parts; ++p) {
      _tile_loadd(4, a[p] + size_t(k) * 32, a_stride);
      _tile_loadd(5, a[p] + 16 * a_stride / 2 + size_t(k) * 32, a_stride);
      const uint16_t* b = qt + size_t(k) * kParts * kTile;
      for (int s = 0; s < q_parts - p; ++s, b += kTile) {
        _tile_loadd(6, b, 64);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(2, 5, 6);
      }
    }
  _tile_stored(0, acc, kRow);
  _tile_stored(2, acc + 16 * 16, kRow);
}

template <int a_parts, int q_parts>
M3_AMX_TARGET void tiles(int lanes, const uint16_t* const* a, size_t a_stride, const uint16_t* qt, int chunks, bool first,
                         float* acc) {
  if (lanes == 32) tiles_32_lanes<a_parts, q_parts>(a, a_stride, qt, chunks, first, acc);
  else tiles_16_lanes<a_parts, q_parts>(a, a_stride, qt, chunks, first, acc);
}

M3_AMX_TARGET void run_rows(const Bf16Parts& x, const uint16_t* qt, int lanes, float* acc) {
  static const TileConfig cfg;
  constexpr size_t kStep = CodeDots::kTokensPerStep;
  const int chunks = x.dim / 32;
  const size_t tile_elems = size_t(kParts) * (lanes / 16) * 512;
  const size_t stride = size_t(x.dim) * sizeof(uint16_t);
  _tile_loadconfig(&cfg);
  for (int k0 = 0; k0 < chunks; k0 += kChunksPerPass) {
    const int kc = std::min(kChunksPerPass, chunks - k0);
    for (size_t r0 = 0; r0 < x.rows; r0 += kStep) {
      const uint16_t* a[kParts];
      for (int p = 0; p < kParts; ++p) a[p] = x.part[p].data() + r0 * size_t(x.dim) + size_t(k0) * 32;
      tiles<kParts, kParts>(lanes, a, stride, qt + size_t(k0) * tile_elems, kc, k0 == 0, acc + r0 * size_t(lanes));
    }
  }
  _tile_release();
}

M3_AMX_TARGET void run(const uint8_t* const* tokens, size_t n, int dim, int bits, const uint16_t* table16,
                       const uint16_t* qt, int lanes, float* acc) {
  static const TileConfig cfg;
  alignas(64) uint8_t spread_b[64] = {}, table_b[64];
  alignas(64) uint16_t shift_w[32];
  for (int w = 0; w < 32; ++w) {
    spread_b[2 * w] = uint8_t(w * bits / 8);
    shift_w[w] = uint16_t(w * bits % 8);
  }
  std::memcpy(table_b, table16, 64);
  const __m512i spread = _mm512_load_si512(spread_b), shifts = _mm512_load_si512(shift_w),
                table = _mm512_load_si512(table_b);
  constexpr size_t kStep = CodeDots::kTokensPerStep;
  const int chunks = dim / 32;
  const size_t tile_elems = size_t(kParts) * (lanes / 16) * 512;  // one chunk's B tiles
  alignas(64) uint16_t dec[kStep * kChunksPerPass * 32] = {};
  _tile_loadconfig(&cfg);
  for (int k0 = 0; k0 < chunks; k0 += kChunksPerPass) {
    const int kc = std::min(kChunksPerPass, chunks - k0);
    const size_t stride = size_t(kc) * 32 * sizeof(uint16_t);
    for (size_t t0 = 0; t0 < n; t0 += kStep) {
      const size_t m = std::min(kStep, n - t0);
      for (size_t t = 0; t < m; ++t)
        decode_token(tokens[t0 + t] + size_t(k0) * 4 * bits, kc * 32, bits, spread, shifts, table, dec + t * kc * 32);
      const uint16_t* a[1] = {dec};
      tiles<1, kParts>(lanes, a, stride, qt + size_t(k0) * tile_elems, kc, k0 == 0, acc + t0 * size_t(lanes));
    }
  }
  _tile_release();
}

}  // namespace

bool available() {
  static const bool ok = detect();
  return ok;
}

bool is_bf16(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  return (u & 0xffffu) == 0;
}

float round_to_bf16(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  if ((u & 0x7f800000u) == 0x7f800000u) return v;  // inf/nan unchanged
  u = (u + 0x7fffu + ((u >> 16) & 1)) & 0xffff0000u;
  float r;
  std::memcpy(&r, &u, 4);
  return r;
}

CodeDots::CodeDots(const float* q, int nq, int dim, int bits, const float* values, int lanes)
    : nq_(nq), dim_(dim), bits_(bits), lanes_(lanes), groups_((nq + lanes - 1) / lanes) {
  if (dim <= 0 || dim % 32) throw UsageError("AMX MaxSim: dim must be a positive multiple of 32, got " + std::to_string(dim));
  if (bits != 1 && bits != 2 && bits != 4) throw UsageError("AMX MaxSim: bits must be 1, 2 or 4");
  if (lanes != 16 && lanes != 32) throw UsageError("AMX MaxSim: lanes must be 16 or 32");
  for (int v = 0; v < (1 << bits); ++v)
    if (!is_bf16(values[v])) throw UsageError("AMX MaxSim: code value " + std::to_string(values[v]) + " is not a bf16 number");
  for (int t = 0; t < 32; ++t) table_[t] = bf16_bits(values[t & ((1 << bits) - 1)]);
  // Query vector i, dimension d -> bf16 parts hi, lo (lo = the rounded remainder q - hi), stored per
  // (group, chunk of 32 dims, part, 16-lane half) as B tiles: row p holds dims 2p, 2p+1 of each of
  // the 16 columns.
  const int chunks = dim / 32, halves = lanes / 16;
  qtiles_.assign(size_t(groups_) * chunks * kParts * halves * 512, 0);
  for (int i = 0; i < nq; ++i) {
    const int g = i / lanes, h = (i % lanes) / 16, col = i % 16;
    for (int d = 0; d < dim; ++d) {
      float rest = q[size_t(i) * dim + d];
      const int k = d / 32, p = (d % 32) / 2, e = d % 2;
      for (int s = 0; s < kParts; ++s) {
        const float part = round_to_bf16(rest);
        rest -= part;
        const size_t tile = ((size_t(g) * chunks + k) * kParts + s) * halves + h;
        qtiles_[tile * 512 + size_t(p) * 32 + size_t(col) * 2 + e] = bf16_bits(part);
      }
    }
  }
}

Bf16Parts Bf16Parts::of(const float* x, size_t rows, int dim) {
  if (dim <= 0 || dim % 32) throw UsageError("AMX MaxSim: dim must be a positive multiple of 32, got " + std::to_string(dim));
  Bf16Parts b;
  b.rows = (rows + CodeDots::kTokensPerStep - 1) / CodeDots::kTokensPerStep * CodeDots::kTokensPerStep;
  b.dim = dim;
  for (auto& p : b.part) p.assign(b.rows * size_t(dim), 0);
  for (size_t i = 0; i < rows * size_t(dim); ++i) {
    float rest = x[i];
    for (auto& p : b.part) {
      const float part = round_to_bf16(rest);
      rest -= part;
      p[i] = bf16_bits(part);
    }
  }
  return b;
}

void CodeDots::row_dots(int g, const Bf16Parts& x, float* acc) const {
  if (g < 0 || g >= groups_) throw UsageError("AMX MaxSim: lane group out of range");
  if (x.dim != dim_) throw UsageError("AMX MaxSim: rows of another dim");
  const size_t per_group = size_t(dim_ / 32) * kParts * (lanes_ / 16) * 512;
  run_rows(x, qtiles_.data() + size_t(g) * per_group, lanes_, acc);
}

void CodeDots::dots(int g, const uint8_t* const* tokens, size_t n, float* acc) const {
  if (g < 0 || g >= groups_) throw UsageError("AMX MaxSim: lane group out of range");
  const size_t per_group = size_t(dim_ / 32) * kParts * (lanes_ / 16) * 512;
  run(tokens, n, dim_, bits_, table_, qtiles_.data() + size_t(g) * per_group, lanes_, acc);
}

}  // namespace m3::amx
