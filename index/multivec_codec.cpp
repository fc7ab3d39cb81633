#include "index/multivec_codec.h"

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "common/error.h"
#include "index/file_io.h"
#include "index/maxsim_amx.h"
#include "index/simd.h"

namespace m3 {

MvCodec parse_mv_codec(const std::string& name) {
  if (name == "fp32") return MvCodec::Fp32;
  if (name == "fp16") return MvCodec::Fp16;
  if (name == "int8") return MvCodec::Int8;
  if (name == "binary") return MvCodec::Binary;
  if (name == "residual") return MvCodec::Residual;
  throw UsageError("unknown multivec codec '" + name + "' (expected fp32, fp16, int8, binary or residual)");
}

const char* to_string(MvCodec c) {
  switch (c) {
    case MvCodec::Fp32: return "fp32";
    case MvCodec::Fp16: return "fp16";
    case MvCodec::Int8: return "int8";
    case MvCodec::Binary: return "binary";
    case MvCodec::Residual: return "residual";
  }
  return "?";
}

void check_mv_bits(MvCodec codec, int bits) {
  if (codec == MvCodec::Residual && bits != 1 && bits != 2 && bits != 4)
    throw UsageError("mv_bits must be 1, 2 or 4 for the residual codec, got " + std::to_string(bits));
}

size_t mv_code_size(MvCodec codec, int dim, int bits) {
  switch (codec) {
    case MvCodec::Fp32: return size_t(dim) * 4;
    case MvCodec::Fp16: return size_t(dim) * 2;
    case MvCodec::Int8: return 4 + size_t(dim);
    case MvCodec::Binary: return 4 + (size_t(dim) + 7) / 8;
    case MvCodec::Residual: return 2 + (size_t(dim) * bits + 7) / 8;
  }
  return 0;
}

// ---- ResidualCodebook ----

ResidualCodebook ResidualCodebook::train(const float* x, size_t n, int dim, int bits, uint64_t seed,
                                         const ResidualCodebook* centroids_from) {
  check_mv_bits(MvCodec::Residual, bits);
  if (n == 0) throw InvalidInputError("residual codec: no token vectors to train the codebook on");
  ResidualCodebook cb;
  cb.dim = dim;
  cb.bits = bits;
  // K: ColBERTv2's power of two near 16·sqrt(n), capped at 1024 so k-means stays seconds on a CPU;
  // trained on at most 32·K sampled vectors (FAISS's own k-means sampling rule is 39-256 per centroid).
  size_t k = 1;
  while (k * 2 <= std::min<size_t>(size_t(16 * std::sqrt(double(n))), std::min<size_t>(n, 1024))) k *= 2;
  std::mt19937_64 rng(seed);
  std::vector<size_t> pick(n);
  for (size_t i = 0; i < n; ++i) pick[i] = i;
  size_t ns = std::min<size_t>(n, 32 * k);
  for (size_t i = 0; i < ns; ++i) std::swap(pick[i], pick[i + rng() % (n - i)]);
  std::vector<float> sample(ns * dim);
  for (size_t i = 0; i < ns; ++i) std::memcpy(&sample[i * dim], x + pick[i] * dim, sizeof(float) * dim);
  faiss::IndexFlatL2 quant(dim);
  if (centroids_from && centroids_from->dim == dim) {
    cb.centroids = centroids_from->centroids;
    quant.add(faiss::Index::idx_t(cb.num_centroids()), cb.centroids.data());
  } else {
    cb.centroids.resize(k * dim);
    faiss::ClusteringParameters cp;
    cp.niter = 10;
    cp.seed = int(seed);
    cp.verbose = false;
    faiss::Clustering clus(dim, int(k), cp);
    clus.train(ns, sample.data(), quant);
    std::memcpy(cb.centroids.data(), clus.centroids.data(), sizeof(float) * k * dim);
  }
  // Residual value distribution on the sample -> quantile cut-offs and bucket values.
  std::vector<faiss::Index::idx_t> assign(ns);
  std::vector<float> dist(ns);
  quant.search(ns, sample.data(), 1, dist.data(), assign.data());
  std::vector<float> res;
  res.reserve(std::min<size_t>(ns * dim, 4u << 20));
  size_t stride = std::max<size_t>(1, ns * dim / (4u << 20));
  for (size_t i = 0, t = 0; i < ns; ++i)
    for (int j = 0; j < dim; ++j, ++t)
      if (t % stride == 0) res.push_back(sample[i * dim + j] - cb.centroids[size_t(assign[i]) * dim + j]);
  std::sort(res.begin(), res.end());
  const int nb = 1 << bits;
  auto quantile = [&](double q) { return res[std::min(res.size() - 1, size_t(q * double(res.size())))]; };
  for (int i = 1; i < nb; ++i) cb.bucket_cutoffs.push_back(quantile(double(i) / nb));
  // Bucket values are rounded to bf16 numbers (a relative change under 0.4%, far below the bucket
  // widths) so that the AMX kernel reads them exactly (maxsim_amx.h).
  for (int i = 0; i < nb; ++i) cb.bucket_values.push_back(amx::round_to_bf16(quantile((i + 0.5) / nb)));
  cb.prepare_for_amx();
  return cb;
}

void ResidualCodebook::prepare_for_amx() {
  centroid_parts.reset();
  if (dim % 32 == 0 && num_centroids() > 0 && amx::available())
    centroid_parts = std::make_shared<const amx::Bf16Parts>(amx::Bf16Parts::of(centroids.data(), num_centroids(), dim));
}

std::string ResidualCodebook::serialize() const {
  std::string s = "M3MVCB01";
  auto put = [&](const void* p, size_t n) { s.append(static_cast<const char*>(p), n); };
  uint32_t hdr[3] = {uint32_t(dim), uint32_t(bits), uint32_t(num_centroids())};
  put(hdr, sizeof hdr);
  put(centroids.data(), centroids.size() * 4);
  put(bucket_cutoffs.data(), bucket_cutoffs.size() * 4);
  put(bucket_values.data(), bucket_values.size() * 4);
  uint64_t sum = checksum_bytes(s.data(), s.size());
  put(&sum, 8);
  return s;
}

ResidualCodebook ResidualCodebook::deserialize(const std::string& bytes, const std::string& what) {
  uint64_t stored = 0;  // memcpy: the trailer of a std::string is not 8-byte aligned (UBSan, fuzz_codebook)
  if (bytes.size() >= 8) std::memcpy(&stored, bytes.data() + bytes.size() - 8, 8);
  if (bytes.size() < 8 + 12 + 8 || checksum_bytes(bytes.data(), bytes.size() - 8) != stored)
    throw CorruptionError(what + ": residual codebook corrupt or truncated (checksum mismatch)");
  BinaryReader r(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size() - 8, what);
  r.expect_magic("M3MVCB01");
  ResidualCodebook cb;
  const uint32_t dim = r.get<uint32_t>("dim"), bits = r.get<uint32_t>("bits");
  uint32_t k = r.get<uint32_t>("centroids");
  // Bounds before any arithmetic: a dim past INT_MAX became negative, and centroid ids are u16.
  if (dim == 0 || dim > 65536 || (bits != 1 && bits != 2 && bits != 4) || k == 0 || k > 65536)
    throw CorruptionError(what + ": residual codebook header out of range (dim " + std::to_string(dim) + ", bits " +
                          std::to_string(bits) + ", centroids " + std::to_string(k) + ")");
  cb.dim = int(dim);
  cb.bits = int(bits);
  const float* c = r.array<float>(size_t(k) * cb.dim, "centroids");
  cb.centroids.assign(c, c + size_t(k) * cb.dim);
  const int nb = 1 << cb.bits;
  const float* co = r.array<float>(nb - 1, "cutoffs");
  cb.bucket_cutoffs.assign(co, co + nb - 1);
  const float* v = r.array<float>(nb, "bucket values");
  cb.bucket_values.assign(v, v + nb);
  if (r.remaining() != 0) throw CorruptionError(what + ": residual codebook has " + std::to_string(r.remaining()) + " trailing bytes");
  cb.prepare_for_amx();
  return cb;
}

// ---- MvEncoder ----

struct MvEncoder::Assigner {
  faiss::IndexFlatL2 index;
  explicit Assigner(const ResidualCodebook& cb) : index(cb.dim) { index.add(cb.num_centroids(), cb.centroids.data()); }
};

MvEncoder::MvEncoder(MvCodec codec, int dim, int bits, const ResidualCodebook* cb)
    : codec_(codec), dim_(dim), bits_(bits), code_size_(mv_code_size(codec, dim, bits)), cb_(cb) {
  if (dim <= 0) throw UsageError("multivec dim must be positive, got " + std::to_string(dim));
  if (codec == MvCodec::Binary && dim % 8) throw UsageError("binary codec needs a dim divisible by 8, got " + std::to_string(dim));
  if (codec == MvCodec::Residual) {
    check_mv_bits(codec, bits);
    if (!cb || cb->dim != dim || cb->bits != bits) throw CorruptionError("residual codec: codebook missing or of another dim/bits");
    if ((size_t(dim) * bits) % 8) throw UsageError("residual codec needs dim·bits divisible by 8");
    assigner_ = std::make_unique<Assigner>(*cb);
  }
}

MvEncoder::~MvEncoder() = default;

void MvEncoder::encode(const float* x, size_t n, uint8_t* out) const {
  const size_t d = size_t(dim_);
  std::vector<faiss::Index::idx_t> assign;
  if (codec_ == MvCodec::Residual && n > 0) {
    assign.resize(n);
    std::vector<float> dist(n);
    assigner_->index.search(faiss::Index::idx_t(n), x, 1, dist.data(), assign.data());
  }
  for (size_t v = 0; v < n; ++v) {
    const float* xv = x + v * d;
    uint8_t* o = out + v * code_size_;
    switch (codec_) {
      case MvCodec::Fp32: std::memcpy(o, xv, d * 4); break;
      case MvCodec::Fp16: simd::f32_to_f16(xv, reinterpret_cast<uint16_t*>(o), d); break;
      case MvCodec::Int8: {
        float mx = 0;
        for (size_t i = 0; i < d; ++i) mx = std::max(mx, std::fabs(xv[i]));
        float scale = mx > 0 ? mx / 127.f : 1.f;
        std::memcpy(o, &scale, 4);
        for (size_t i = 0; i < d; ++i) o[4 + i] = uint8_t(int8_t(std::lrint(std::clamp(xv[i] / scale, -127.f, 127.f))));
        break;
      }
      case MvCodec::Binary: {
        float s = 0;
        for (size_t i = 0; i < d; ++i) s += std::fabs(xv[i]);
        float scale = s / float(d);
        std::memcpy(o, &scale, 4);
        std::memset(o + 4, 0, d / 8);
        for (size_t i = 0; i < d; ++i)
          if (xv[i] > 0) o[4 + i / 8] |= uint8_t(1u << (i % 8));
        break;
      }
      case MvCodec::Residual: {
        uint16_t c = uint16_t(assign[v]);
        std::memcpy(o, &c, 2);
        std::memset(o + 2, 0, code_size_ - 2);
        const float* cen = cb_->centroids.data() + size_t(c) * d;
        for (size_t i = 0; i < d; ++i) {
          float r = xv[i] - cen[i];
          uint32_t b = uint32_t(std::upper_bound(cb_->bucket_cutoffs.begin(), cb_->bucket_cutoffs.end(), r) - cb_->bucket_cutoffs.begin());
          size_t bit = i * size_t(bits_);
          o[2 + bit / 8] |= uint8_t(b << (bit % 8));
        }
        break;
      }
    }
  }
}

void MvEncoder::decode(const uint8_t* code, float* out) const {
  const size_t d = size_t(dim_);
  switch (codec_) {
    case MvCodec::Fp32: std::memcpy(out, code, d * 4); break;
    case MvCodec::Fp16: simd::f16_to_f32(reinterpret_cast<const uint16_t*>(code), out, d); break;
    case MvCodec::Int8: {
      float scale;
      std::memcpy(&scale, code, 4);
      for (size_t i = 0; i < d; ++i) out[i] = scale * float(int8_t(code[4 + i]));
      break;
    }
    case MvCodec::Binary: {
      float scale;
      std::memcpy(&scale, code, 4);
      size_t i = 0;
#if defined(__AVX512F__)
      const __m512 pos = _mm512_set1_ps(scale), neg = _mm512_set1_ps(-scale);
      for (; i + 16 <= d; i += 16) {
        uint16_t m;
        std::memcpy(&m, code + 4 + i / 8, 2);
        _mm512_storeu_ps(out + i, _mm512_mask_blend_ps(__mmask16(m), neg, pos));
      }
#endif
      for (; i < d; ++i) out[i] = ((code[4 + i / 8] >> (i % 8)) & 1) ? scale : -scale;
      break;
    }
    case MvCodec::Residual: {
      uint16_t c;
      std::memcpy(&c, code, 2);
      const float* cen = cb_->centroids.data() + size_t(c) * d;
      size_t i = 0;
#if defined(__AVX512F__)
      // 16 dimensions per step: their 16·bits code bits as one u64, each lane's code shifted out,
      // then a 16-entry in-register table lookup (permutexvar) and the centroid added.
      float table[16] = {};
      for (size_t b = 0; b < cb_->bucket_values.size(); ++b) table[b] = cb_->bucket_values[b];
      const __m512 tab = _mm512_loadu_ps(table);
      const __m512i mask = _mm512_set1_epi64((1 << bits_) - 1);
      const __m512i sh_lo = _mm512_mullo_epi64(_mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7), _mm512_set1_epi64(bits_));
      const __m512i sh_hi = _mm512_add_epi64(sh_lo, _mm512_set1_epi64(8 * bits_));
      const size_t step_bytes = size_t(2 * bits_);
      for (; i + 16 <= d; i += 16) {
        uint64_t v = 0;
        std::memcpy(&v, code + 2 + i * bits_ / 8, step_bytes);
        __m512i bv = _mm512_set1_epi64(int64_t(v));
        __m256i lo = _mm512_cvtepi64_epi32(_mm512_and_si512(_mm512_srlv_epi64(bv, sh_lo), mask));
        __m256i hi = _mm512_cvtepi64_epi32(_mm512_and_si512(_mm512_srlv_epi64(bv, sh_hi), mask));
        __m512i idx = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
        _mm512_storeu_ps(out + i, _mm512_add_ps(_mm512_permutexvar_ps(idx, tab), _mm512_loadu_ps(cen + i)));
      }
#endif
      for (; i < d; ++i) {
        size_t bit = i * size_t(bits_);
        out[i] = cb_->bucket_values[(code[2 + bit / 8] >> (bit % 8)) & ((1 << bits_) - 1)] + cen[i];
      }
      break;
    }
  }
}

}  // namespace m3
