#include "index/maxsim_query.h"

#include <immintrin.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <type_traits>

#include "common/error.h"
#include "index/simd.h"

namespace m3 {

struct MaxSimQuery::Floats {
  float* p = nullptr;
  explicit Floats(size_t n) {
    const size_t bytes = std::max<size_t>(64, (n * sizeof(float) + 63) / 64 * 64);
    p = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!p) throw std::bad_alloc();
    std::memset(p, 0, bytes);
  }
  ~Floats() { std::free(p); }
  Floats(const Floats&) = delete;
  Floats& operator=(const Floats&) = delete;
};

namespace {

// acc[t] (lanes floats) += Σ_k T[k][nibble k of words[t]] for the 2·sizeof(W) nibbles of each
// token's code word (T already offset to the word's first position). Even and odd nibbles go to two
// partial sums (shorter dependency chains), added at the end.
template <int NZ, typename W>
inline void lut_words(const float* T, const uint8_t* words, size_t word_stride, uint32_t n, float* acc) {
  constexpr int NN = 2 * int(sizeof(W));
  constexpr size_t L = 16 * NZ, POS = 16 * L;
  // Row offsets in bytes: with the word pre-shifted by log2(row bytes), nibble k's offset is one
  // rotate and one mask (rorx + and), and the position's table goes in the address displacement.
  constexpr int SH = NZ == 1 ? 6 : 7;
  constexpr uint64_t MASK = uint64_t(15) << SH;
  const char* Tb = reinterpret_cast<const char*>(T);
  auto row = [&](uint64_t ws, int k) {
    const uint64_t off = (k == 0 ? ws : (ws >> (4 * k)) | (ws << (64 - 4 * k))) & MASK;
    return reinterpret_cast<const float*>(Tb + size_t(k) * POS * sizeof(float) + off);
  };
  for (uint32_t t = 0; t < n; ++t) {
    W wv;
    std::memcpy(&wv, words + size_t(t) * word_stride, sizeof(W));
    const uint64_t w = wv;
    float* a = acc + size_t(t) * L;
#if defined(__AVX512F__)
    const uint64_t ws = (w << SH) | (w >> (64 - SH));  // rotated, so all 16 nibbles of a u64 survive
    __m512 s0[NZ], s1[NZ];
    for (int z = 0; z < NZ; ++z) s0[z] = _mm512_load_ps(a + 16 * z), s1[z] = _mm512_setzero_ps();
    for (int k = 0; k < NN; k += 2) {
      const float* r0 = row(ws, k);
      const float* r1 = row(ws, k + 1);
      for (int z = 0; z < NZ; ++z) {
        s0[z] = _mm512_add_ps(s0[z], _mm512_load_ps(r0 + 16 * z));
        s1[z] = _mm512_add_ps(s1[z], _mm512_load_ps(r1 + 16 * z));
      }
    }
    for (int z = 0; z < NZ; ++z) _mm512_store_ps(a + 16 * z, _mm512_add_ps(s0[z], s1[z]));
#else
    float s1[L] = {};
    for (int k = 0; k < NN; k += 2) {
      const float* r0 = T + size_t(k) * POS + size_t((w >> (4 * k)) & 15) * L;
      const float* r1 = T + size_t(k + 1) * POS + size_t((w >> (4 * k + 4)) & 15) * L;
      for (size_t l = 0; l < L; ++l) a[l] += r0[l], s1[l] += r1[l];
    }
    for (size_t l = 0; l < L; ++l) a[l] += s1[l];
#endif
  }
}

// acc (tokens x lanes, zeroed by the caller) = per token, the sum of its nibbles' table rows, for a
// batch of documents (about a thousand tokens). The code bytes go in words W (8 bytes = 16 positions:
// 16 KB of table with 16 lanes, 32 KB with 32; 4 bytes halve that) whose table part stays in L1 while
// every token of the batch passes through it, so the tables are read from L2 once per batch rather
// than once per document. The words are first transposed word-major (chunks x tokens) so each chunk
// reads them contiguously.
template <int NZ, typename W = uint32_t>
void lut_batch(const float* T, size_t bytes, const MvSpan* docs, size_t nd, size_t tokens, size_t stride,
               size_t offset, float* acc, std::vector<uint64_t>& scratch) {
  constexpr size_t POS = 16 * 16 * NZ, CB = sizeof(W);
  const size_t chunks = bytes / CB;
  scratch.resize((chunks * tokens * CB + 7) / 8 + 1);
  W* words = reinterpret_cast<W*>(scratch.data());
  size_t at = 0;
  for (size_t k = 0; k < nd; ++k)
    for (uint32_t t = 0; t < docs[k].n; ++t, ++at) {
      const uint8_t* c = docs[k].codes + size_t(t) * stride + offset;
      for (size_t j = 0; j < chunks; ++j) std::memcpy(&words[j * tokens + at], c + CB * j, CB);
    }
  for (size_t j = 0; j < chunks; ++j)
    lut_words<NZ, W>(T + 2 * CB * j * POS, reinterpret_cast<const uint8_t*>(&words[j * tokens]), CB, uint32_t(tokens), acc);
  if (chunks * CB == bytes) return;
  at = 0;
  for (size_t k = 0; k < nd; ++k) {  // a tail shorter than a word: one byte at a time
    for (size_t b = chunks * CB; b < bytes; ++b)
      lut_words<NZ, uint8_t>(T + 2 * b * POS, docs[k].codes + offset + b, stride, docs[k].n, acc + at * 16 * NZ);
    at += docs[k].n;
  }
}

// Word size with 32 lanes: 8 bytes (32 KB of table per chunk) where L1 holds 48 KB or more (~8% faster
// there than 4-byte words), else 4 bytes (16 KB).
std::atomic<int> g_word_bytes{0};
std::atomic<bool> g_amx_enabled{true};
int word_bytes_32_lanes() {
  int w = g_word_bytes.load(std::memory_order_relaxed);
  if (w == 0) {
    w = sysconf(_SC_LEVEL1_DCACHE_SIZE) >= 48 * 1024 ? 8 : 4;
    g_word_bytes.store(w, std::memory_order_relaxed);
  }
  return w;
}

// best[l] = max over tokens of a(t)·acc[t][l] + b(t)[l]: the finishing step of both codecs.
template <int NZ, typename Affine>
void max_tokens(const float* acc, uint32_t n, Affine affine, float* best) {
  constexpr size_t L = 16 * NZ;
#if defined(__AVX512F__)
  __m512 m[NZ];
  for (int z = 0; z < NZ; ++z) m[z] = _mm512_set1_ps(-INFINITY);
  for (uint32_t t = 0; t < n; ++t) {
    float scale;
    const float* add = affine(t, scale);
    const __m512 s = _mm512_set1_ps(scale);
    for (int z = 0; z < NZ; ++z) {
      __m512 v = _mm512_load_ps(acc + size_t(t) * L + 16 * z);
      v = add ? _mm512_add_ps(_mm512_loadu_ps(add + 16 * z), v) : _mm512_mul_ps(s, v);
      m[z] = _mm512_max_ps(m[z], v);
    }
  }
  for (int z = 0; z < NZ; ++z) _mm512_storeu_ps(best + 16 * z, m[z]);
#else
  for (size_t l = 0; l < L; ++l) best[l] = -INFINITY;
  for (uint32_t t = 0; t < n; ++t) {
    float scale;
    const float* add = affine(t, scale);
    for (size_t l = 0; l < L; ++l) best[l] = std::max(best[l], add ? add[l] + acc[size_t(t) * L + l] : scale * acc[size_t(t) * L + l]);
  }
#endif
}

// The residual part of residual codes (bucket_value[code] per dimension, no centroid): 16
// dimensions per step as in MvEncoder::decode (their code bits as one u64, each lane's code shifted
// out, an in-register table lookup).
void decode_residual(const uint8_t* code, size_t d, int bits, const float* bucket_values, float* out) {
  size_t i = 0;
  const uint32_t mask = (1u << bits) - 1;
#if defined(__AVX512F__) && defined(__AVX512DQ__)
  float table[16] = {};
  for (uint32_t b = 0; b <= mask; ++b) table[b] = bucket_values[b];
  const __m512 tab = _mm512_loadu_ps(table);
  const __m512i m = _mm512_set1_epi64(mask);
  const __m512i sh_lo = _mm512_mullo_epi64(_mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7), _mm512_set1_epi64(bits));
  const __m512i sh_hi = _mm512_add_epi64(sh_lo, _mm512_set1_epi64(8 * bits));
  for (; i + 16 <= d; i += 16) {
    uint64_t v = 0;
    std::memcpy(&v, code + i * size_t(bits) / 8, size_t(2 * bits));
    const __m512i bv = _mm512_set1_epi64(int64_t(v));
    const __m256i lo = _mm512_cvtepi64_epi32(_mm512_and_si512(_mm512_srlv_epi64(bv, sh_lo), m));
    const __m256i hi = _mm512_cvtepi64_epi32(_mm512_and_si512(_mm512_srlv_epi64(bv, sh_hi), m));
    _mm512_storeu_ps(out + i, _mm512_permutexvar_ps(_mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1), tab));
  }
#endif
  for (; i < d; ++i) {
    const size_t bit = i * size_t(bits);
    out[i] = bucket_values[(code[bit / 8] >> (bit % 8)) & mask];
  }
}

}  // namespace

MaxSimQuery::MaxSimQuery(const float* q, int nq, MvCodec codec, int dim, int bits, const ResidualCodebook* cb)
    : codec_(codec), nq_(nq), dim_(dim), bits_(bits), cb_(cb), q_(q, q + size_t(std::max(nq, 0)) * size_t(std::max(dim, 0))) {
  if (nq <= 0) throw UsageError("multivec query has no vectors");
  if (dim <= 0) throw UsageError("multivec dim must be positive, got " + std::to_string(dim));
  if (codec == MvCodec::Residual) {
    check_mv_bits(codec, bits);
    if (!cb || cb->dim != dim || cb->bits != bits) throw CorruptionError("residual codec: codebook missing or of another dim/bits");
  }
  if (codec != MvCodec::Binary && codec != MvCodec::Residual) return;
  if (codec == MvCodec::Binary && dim % 8) return;
  const int b = codec == MvCodec::Binary ? 1 : bits;
  if ((size_t(dim) * b) % 8) return;
  const int lanes = nq <= 16 ? 16 : 32;
  const int groups = (nq + lanes - 1) / lanes;
  const size_t positions = size_t(dim) * b / 4;
  // 4 bits: a nibble is one dimension, so a table look-up saves nothing over a multiply-add; the
  // residuals are decoded (no centroid rows to fetch) and q·centroid comes from the table below.
  decode_residual_ = codec == MvCodec::Residual && bits == 4;
  if (g_amx_enabled.load(std::memory_order_relaxed) && dim % 32 == 0 && amx::available()) {
    const float pm1[2] = {-1.f, 1.f};  // binary: bit clear -> -1, set -> +1 (times the token's scale)
    const float* values = codec == MvCodec::Binary ? pm1 : cb->bucket_values.data();
    bool exact = true;
    for (int v = 0; v < (1 << b); ++v) exact = exact && amx::is_bf16(values[v]);
    if (exact) {  // codebooks trained before bucket values were rounded to bf16 keep the tables
      amx_ = std::make_unique<amx::CodeDots>(q, nq, dim, b, values, lanes);
      decode_residual_ = false;
    }
  }
  if (!amx_ && !decode_residual_ && size_t(groups) * positions * 16 * lanes * sizeof(float) > kMaxTableBytes) return;
  lanes_ = lanes;
  groups_ = groups;
  positions_ = positions;
  code_offset_ = codec == MvCodec::Binary ? 4 : 2;
  if (!decode_residual_ && !amx_) build_tables();
  if (codec == MvCodec::Residual) {
    cen_dots_ = std::make_unique<Floats>(cb->num_centroids() * size_t(groups_) * lanes_);
    cen_done_.assign(cb->num_centroids(), 0);
  }
}

void MaxSimQuery::set_amx_enabled(bool enabled) { g_amx_enabled.store(enabled, std::memory_order_relaxed); }

void MaxSimQuery::set_word_bytes(int bytes) {
  if (bytes != 0 && bytes != 4 && bytes != 8) throw UsageError("MaxSimQuery word bytes must be 0, 4 or 8");
  g_word_bytes.store(bytes, std::memory_order_relaxed);
}

MaxSimQuery::~MaxSimQuery() = default;
MaxSimQuery::MaxSimQuery(MaxSimQuery&&) noexcept = default;
MaxSimQuery& MaxSimQuery::operator=(MaxSimQuery&&) noexcept = default;

void MaxSimQuery::build_tables() {
  const size_t L = size_t(lanes_), P = positions_, d = size_t(dim_);
  tables_ = std::make_unique<Floats>(size_t(groups_) * P * 16 * L);
  std::vector<float> qt(d * L);  // one group's query vectors, transposed: qt[dim][lane]
  for (int g = 0; g < groups_; ++g) {
    std::fill(qt.begin(), qt.end(), 0.f);
    for (size_t l = 0; l < L && g * L + l < size_t(nq_); ++l)
      for (size_t i = 0; i < d; ++i) qt[i * L + l] = q_[(g * L + l) * d + i];
    float* T = tables_->p + size_t(g) * P * 16 * L;
    if (codec_ == MvCodec::Binary) {
      // Position p: dimensions 4p..4p+3, bit j of the nibble says +q or -q for dimension 4p+j.
      for (size_t p = 0; p < P; ++p) {
        const float *a0 = &qt[(4 * p) * L], *a1 = a0 + L, *a2 = a1 + L, *a3 = a2 + L;
        for (int v = 0; v < 16; ++v) {
          float* e = T + (p * 16 + size_t(v)) * L;
          for (size_t l = 0; l < L; ++l)
            e[l] = ((v & 1 ? a0[l] : -a0[l]) + (v & 2 ? a1[l] : -a1[l])) + ((v & 4 ? a2[l] : -a2[l]) + (v & 8 ? a3[l] : -a3[l]));
        }
      }
    } else {
      // Position p: dimensions per·p .. per·p+per-1 (per = 4/bits), dimension per·p+j's bucket in
      // bits j·bits.. of the nibble.
      const int per = 4 / bits_, mask = (1 << bits_) - 1;
      const float* bv = cb_->bucket_values.data();
      for (size_t p = 0; p < P; ++p)
        for (int v = 0; v < 16; ++v) {
          float* e = T + (p * 16 + size_t(v)) * L;
          for (int j = 0; j < per; ++j) {
            const float* a = &qt[(size_t(per) * p + size_t(j)) * L];
            const float w = bv[(v >> (j * bits_)) & mask];
            for (size_t l = 0; l < L; ++l) e[l] += a[l] * w;
          }
        }
    }
  }
}

void MaxSimQuery::ensure_centroids(const MvSpan* docs, size_t nd, size_t code_size) const {
  const size_t K = cb_->num_centroids(), row = size_t(groups_) * lanes_;
  thread_local std::vector<const float*> in;
  thread_local std::vector<float*> out;
  in.clear();
  out.clear();
  for (size_t k = 0; k < nd; ++k)
    for (uint32_t t = 0; t < docs[k].n; ++t) {
      uint16_t c;
      std::memcpy(&c, docs[k].codes + size_t(t) * code_size, 2);
      if (c >= K) throw CorruptionError("multivec code names centroid " + std::to_string(c) + " but the codebook has " + std::to_string(K));
    }
  if (amx_ && cb_->centroid_parts && cb_->centroid_parts->dim == dim_) {
    // The tile unit fills the whole table at once (about a fifth of the lazy fp32 fill's time for a
    // thousand centroids); each value is still the exact q·centroid up to float rounding.
    if (!cen_done_.empty() && cen_done_[0]) return;
    const amx::Bf16Parts& parts = *cb_->centroid_parts;
    thread_local std::vector<float> tmp;
    tmp.resize(parts.rows * size_t(lanes_));
    for (int g = 0; g < groups_; ++g) {
      amx_->row_dots(g, parts, tmp.data());
      for (size_t c = 0; c < K; ++c)
        std::memcpy(cen_dots_->p + c * row + size_t(g) * lanes_, &tmp[c * size_t(lanes_)], size_t(lanes_) * sizeof(float));
    }
    std::fill(cen_done_.begin(), cen_done_.end(), 1);
    return;
  }
  for (size_t k = 0; k < nd; ++k)
    for (uint32_t t = 0; t < docs[k].n; ++t) {
      uint16_t c;
      std::memcpy(&c, docs[k].codes + size_t(t) * code_size, 2);
      if (cen_done_[c]) continue;
      cen_done_[c] = 1;
      in.push_back(cb_->centroids.data() + size_t(c) * dim_);
      out.push_back(cen_dots_->p + size_t(c) * row);
    }
  if (!in.empty()) simd::dots(q_.data(), nq_, in.data(), int(in.size()), size_t(dim_), out.data());
}

float MaxSimQuery::score(const uint8_t* codes, uint32_t n) const {
  const MvSpan doc{codes, n};
  float out;
  score(&doc, 1, &out);
  return out;
}

void MaxSimQuery::score(const MvSpan* docs, size_t n_docs, float* out) const {
  if (!has_fast_path()) throw Error("MaxSimQuery::score: no fast path for this codec (use the reference path)");
  for (size_t i = 0; i < n_docs;) {
    size_t j = i, tokens = 0;
    while (j < n_docs && (j == i || tokens + docs[j].n <= kBatchTokens)) tokens += docs[j++].n;
    score_batch(docs + i, j - i, tokens, out + i);
    i = j;
  }
}

void MaxSimQuery::score_batch(const MvSpan* docs, size_t nd, size_t tokens, float* out) const {
  const size_t L = size_t(lanes_), P = positions_, row = size_t(groups_) * L;
  const size_t cs = mv_code_size(codec_, dim_, bits_);
  if (tokens == 0) {
    std::fill(out, out + nd, 0.f);
    return;
  }
  if (codec_ == MvCodec::Residual) ensure_centroids(docs, nd, cs);
  if (decode_residual_) {
    thread_local std::vector<float> r, best1;
    thread_local std::vector<const float*> add;
    for (size_t k = 0; k < nd; ++k) {
      const uint32_t n = docs[k].n;
      if (n == 0) {
        out[k] = 0.f;
        continue;
      }
      r.resize(size_t(n) * dim_);
      add.resize(n);
      for (uint32_t t = 0; t < n; ++t) {
        const uint8_t* c = docs[k].codes + size_t(t) * cs;
        uint16_t cen;
        std::memcpy(&cen, c, 2);
        decode_residual(c + 2, size_t(dim_), bits_, cb_->bucket_values.data(), &r[size_t(t) * dim_]);
        add[t] = cen_dots_->p + size_t(cen) * row;
      }
      best1.assign(size_t(nq_), -INFINITY);
      simd::max_dots_plus(q_.data(), nq_, r.data(), int(n), size_t(dim_), add.data(), best1.data());
      float s = 0.f;
      for (int i = 0; i < nq_; ++i) s += best1[size_t(i)];
      out[k] = s / float(nq_);
    }
    return;
  }
  thread_local std::vector<float> acc_buf, best;
  thread_local std::vector<uint64_t> words;
  thread_local std::vector<const uint8_t*> token_codes;
  const size_t padded = (tokens + amx::CodeDots::kTokensPerStep - 1) / amx::CodeDots::kTokensPerStep * amx::CodeDots::kTokensPerStep;
  acc_buf.resize(padded * L + 16);
  if (amx_) {
    token_codes.clear();
    for (size_t k = 0; k < nd; ++k)
      for (uint32_t t = 0; t < docs[k].n; ++t) token_codes.push_back(docs[k].codes + size_t(t) * cs + code_offset_);
  }
  float* acc = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(acc_buf.data()) + 63) & ~uintptr_t(63));
  best.assign(nd * row, 0.f);
  for (int g = 0; g < groups_; ++g) {
    const float* T = tables_ ? tables_->p + size_t(g) * P * 16 * L : nullptr;
    if (amx_) {
      amx_->dots(g, token_codes.data(), tokens, acc);
    } else {
      std::memset(acc, 0, tokens * L * sizeof(float));
        if (L == 16) lut_batch<1, uint64_t>(T, P / 2, docs, nd, tokens, cs, code_offset_, acc, words);
      else if (word_bytes_32_lanes() == 8) lut_batch<2, uint64_t>(T, P / 2, docs, nd, tokens, cs, code_offset_, acc, words);
      else lut_batch<2, uint32_t>(T, P / 2, docs, nd, tokens, cs, code_offset_, acc, words);
    }
    size_t at = 0;
    for (size_t k = 0; k < nd; ++k) {
      const uint8_t* codes = docs[k].codes;
      auto binary = [&](uint32_t t, float& scale) -> const float* {
        std::memcpy(&scale, codes + size_t(t) * cs, 4);
        return nullptr;
      };
      auto residual = [&](uint32_t t, float& scale) -> const float* {
        uint16_t c;
        std::memcpy(&c, codes + size_t(t) * cs, 2);
        scale = 1.f;
        return cen_dots_->p + size_t(c) * row + size_t(g) * L;
      };
      const float* a = acc + at * L;
      float* b = &best[k * row + size_t(g) * L];
      if (docs[k].n == 0) {
      } else if (L == 16) {
        codec_ == MvCodec::Binary ? max_tokens<1>(a, docs[k].n, binary, b) : max_tokens<1>(a, docs[k].n, residual, b);
      } else {
        codec_ == MvCodec::Binary ? max_tokens<2>(a, docs[k].n, binary, b) : max_tokens<2>(a, docs[k].n, residual, b);
      }
      at += docs[k].n;
    }
  }
  for (size_t k = 0; k < nd; ++k) {
    if (docs[k].n == 0) {
      out[k] = 0.f;
      continue;
    }
    float s = 0.f;
    for (int i = 0; i < nq_; ++i) s += best[k * row + size_t(i)];
    out[k] = s / float(nq_);
  }
}

}  // namespace m3
