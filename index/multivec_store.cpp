#include "index/multivec_store.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/error.h"
#include "index/simd.h"

namespace m3 {
namespace {
constexpr char kMagic[8] = {'M', '3', 'M', 'V', 'E', 'C', 'S', '1'};
}

MultiVectorWriter::MultiVectorWriter(const std::string& path, MvCodec codec, int dim, int bits, const ResidualCodebook* cb)
    : codes_(path + ".codes.tmp"), path_(path), enc_(codec, dim, bits, cb), dim_(dim), bits_(bits) {}

void MultiVectorWriter::add(const float* v, size_t n) {
  for (size_t i = 0; i < n * size_t(dim_); ++i)
    if (!std::isfinite(v[i])) throw InvalidInputError("multivec row " + std::to_string(offsets_.size() - 1) + ": non-finite value");
  buf_.resize(n * enc_.code_size());
  enc_.encode(v, n, buf_.data());
  add_codes(buf_.data(), n);
}

void MultiVectorWriter::add_codes(const uint8_t* codes, size_t n) {
  codes_.write(codes, n * enc_.code_size());
  offsets_.push_back(offsets_.back() + n);
}

uint64_t MultiVectorWriter::finish() {
  codes_.close();
  FileWriter w(path_);
  w.write(kMagic, 8);
  w.put<uint32_t>(uint32_t(enc_.codec()));
  w.put<uint32_t>(uint32_t(dim_));
  w.put<uint32_t>(uint32_t(bits_));
  w.put<uint32_t>(uint32_t(offsets_.size() - 1));
  w.put<uint64_t>(offsets_.back());
  w.pad_to(64);
  w.put_array(offsets_);
  w.pad_to(64);
  {
    MappedFile tmp(path_ + ".codes.tmp");
    w.write(tmp.data(), tmp.size());
  }
  std::remove((path_ + ".codes.tmp").c_str());
  return w.close();
}

std::unique_ptr<MultiVectorStore> MultiVectorStore::open(const std::string& path, int expected_dim, const ResidualCodebook* cb) {
  std::unique_ptr<MultiVectorStore> s(new MultiVectorStore());
  s->file_ = MappedFile(path);
  BinaryReader r(s->file_.data(), s->file_.size(), path);
  r.expect_magic(kMagic);
  uint32_t codec = r.get<uint32_t>("codec");
  if (codec > uint32_t(MvCodec::Residual)) throw CorruptionError(path + ": unknown codec " + std::to_string(codec));
  s->dim_ = int(r.get<uint32_t>("dim"));
  int bits = int(r.get<uint32_t>("bits"));
  s->n_docs_ = r.get<uint32_t>("docs");
  s->n_vectors_ = r.get<uint64_t>("vectors");
  if (s->dim_ != expected_dim)
    throw CorruptionError(path + ": multivec dim " + std::to_string(s->dim_) + " but the collection's is " + std::to_string(expected_dim));
  if (MvCodec(codec) == MvCodec::Residual && !cb) throw CorruptionError(path + ": residual codec but the collection has no codebook");
  s->enc_ = std::make_unique<MvEncoder>(MvCodec(codec), s->dim_, bits, cb);
  r.align(64);
  s->offsets_ = r.array<uint64_t>(size_t(s->n_docs_) + 1, "offsets");
  r.align(64);
  if (s->offsets_[0] != 0 || s->offsets_[s->n_docs_] != s->n_vectors_) throw CorruptionError(path + ": corrupt (offsets)");
  for (uint32_t i = 0; i < s->n_docs_; ++i)
    if (s->offsets_[i] > s->offsets_[i + 1]) throw CorruptionError(path + ": corrupt (offsets not ascending)");
  // n_vectors x code_size must not wrap around (a huge count would pass the size check).
  if (s->n_vectors_ > r.remaining() / s->enc_->code_size()) r.fail("codes");
  s->codes_ = r.array<uint8_t>(s->n_vectors_ * s->enc_->code_size(), "codes");
  // Residual codes start with a u16 centroid id that decoding and MaxSim index the codebook with
  // (found by tests/fuzz/fuzz_multivec_store.cpp: an id past the codebook read out of bounds).
  if (MvCodec(codec) == MvCodec::Residual) {
    const size_t k = cb->num_centroids(), cs = s->enc_->code_size();
    for (uint64_t v = 0; v < s->n_vectors_; ++v) {
      uint16_t id;
      std::memcpy(&id, s->codes_ + v * cs, 2);
      if (id >= k)
        throw CorruptionError(path + ": corrupt (vector " + std::to_string(v) + " names centroid " + std::to_string(id) +
                              " of a codebook of " + std::to_string(k) + ")");
    }
  }
  return s;
}

std::vector<float> MultiVectorStore::decode(uint32_t row) const {
  uint32_t n = num_vectors(row);
  std::vector<float> out(size_t(n) * dim_);
  const uint8_t* c = codes(row);
  for (uint32_t j = 0; j < n; ++j) enc_->decode(c + j * enc_->code_size(), &out[size_t(j) * dim_]);
  return out;
}

MaxSimQuery MultiVectorStore::prepare(const float* q, int nq) const {
  return MaxSimQuery(q, nq, enc_->codec(), dim_, enc_->bits_, enc_->cb_);
}

void MultiVectorStore::check_prepared(const MaxSimQuery& q) const {
  if (q.codec() != enc_->codec() || q.dim() != dim_ ||
      (q.codec() == MvCodec::Residual && (q.bits() != enc_->bits_ || q.codebook() != enc_->cb_)))
    throw UsageError("multivec query prepared for another codec, dim or codebook than this store's");
}

float MultiVectorStore::maxsim(const MaxSimQuery& q, uint32_t row) const {
  check_prepared(q);
  if (!q.has_fast_path()) return maxsim_reference(q.vectors(), q.nq(), row);
  return q.score(codes(row), num_vectors(row));
}

void MultiVectorStore::maxsim(const MaxSimQuery& q, const uint32_t* rows, size_t n, float* out) const {
  check_prepared(q);
  if (!q.has_fast_path()) {
    maxsim_reference(q.vectors(), q.nq(), rows, n, out);
    return;
  }
  std::vector<MvSpan> spans(n);
  for (size_t i = 0; i < n; ++i) spans[i] = MvSpan{codes(rows[i]), num_vectors(rows[i])};
  q.score(spans.data(), n, out);
}

float MultiVectorStore::maxsim(const float* q, int nq, uint32_t row) const {
  if (nq <= 0 || num_vectors(row) == 0) return 0.f;
  return maxsim(prepare(q, nq), row);
}

float MultiVectorStore::maxsim_reference(const float* q, int nq, uint32_t row) const {
  float s = 0.f;
  maxsim_reference(q, nq, &row, 1, &s);
  return s;
}

// Candidates' vectors are decoded into one buffer, a pass at a time, and every (vector, query vector)
// dot comes from one simd::dots call over the whole pass. Scoring document by document left the 4x4
// register blocks idle on short documents (a title of 3 tokens is all remainder): that was 54 % of an
// `all` search's time on the sample collection. simd::dots sums each dot the same way wherever it
// falls, so a score does not depend on the other candidates or on the pass it lands in.
void MultiVectorStore::maxsim_reference(const float* q, int nq, const uint32_t* rows, size_t n, float* out) const {
  constexpr size_t kVectorsPerPass = 512;  // 512 x 256 floats = 512 KB of decoded vectors: stays in L2
  const size_t d = size_t(dim_), cs = enc_->code_size();
  const bool raw = enc_->codec() == MvCodec::Fp32;  // mmapped codes are the vectors themselves
  thread_local std::vector<float> decoded, dots;
  thread_local std::vector<const float*> vectors;
  thread_local std::vector<float*> dot_rows;
  size_t next = 0;
  while (next < n) {
    const size_t first = next;
    size_t total = 0;
    while (next < n && (next == first || total + num_vectors(rows[next]) <= kVectorsPerPass))
      total += num_vectors(rows[next++]);
    if (nq <= 0 || total == 0) {
      std::fill(out + first, out + next, 0.f);
      continue;
    }
    if (!raw) decoded.resize(total * d);
    vectors.resize(total);
    dot_rows.resize(total);
    dots.resize(total * size_t(nq));
    size_t at = 0;
    for (size_t r = first; r < next; ++r) {
      const uint8_t* c = codes(rows[r]);
      for (uint32_t j = 0; j < num_vectors(rows[r]); ++j, ++at) {
        if (raw) {
          vectors[at] = reinterpret_cast<const float*>(c + j * cs);
        } else {
          enc_->decode(c + j * cs, &decoded[at * d]);
          vectors[at] = &decoded[at * d];
        }
        dot_rows[at] = &dots[at * size_t(nq)];
      }
    }
    simd::dots(q, nq, vectors.data(), int(total), d, dot_rows.data());
    at = 0;
    for (size_t r = first; r < next; ++r) {
      const uint32_t nv = num_vectors(rows[r]);
      if (nv == 0) {
        out[r] = 0.f;
        continue;
      }
      float s = 0.f;
      for (int i = 0; i < nq; ++i) {
        float best = -INFINITY;
        for (uint32_t j = 0; j < nv; ++j) best = std::max(best, dots[(at + j) * size_t(nq) + size_t(i)]);
        s += best;
      }
      out[r] = s / float(nq);
      at += nv;
    }
  }
}

std::vector<uint64_t> MultiVectorStore::sign_bits(const float* q, int nq, int dim) {
  if (dim % 64) throw UsageError("hamming pre-score needs a dim divisible by 64, got " + std::to_string(dim));
  const size_t words = size_t(dim) / 64;
  std::vector<uint64_t> out(size_t(nq) * words, 0);
  for (int i = 0; i < nq; ++i)
    for (int j = 0; j < dim; ++j)
      if (q[size_t(i) * dim + j] > 0) out[size_t(i) * words + j / 64] |= uint64_t(1) << (j % 64);
  return out;
}

float MultiVectorStore::hamming_prescore(const uint64_t* q_bits, int nq, uint32_t row) const {
  if (codec() != MvCodec::Binary) throw UsageError("hamming pre-score needs the binary codec");
  const uint32_t n = num_vectors(row);
  if (n == 0 || nq <= 0) return 0.f;
  const size_t words = size_t(dim_) / 64, cs = enc_->code_size();
  const uint8_t* c = codes(row);
  float total = 0;
  for (int i = 0; i < nq; ++i) {
    int best = dim_ + 1;
    for (uint32_t j = 0; j < n; ++j) {
      const uint8_t* bits = c + j * cs + 4;
      int h = 0;
      for (size_t w = 0; w < words; ++w) {
        uint64_t dw;
        std::memcpy(&dw, bits + 8 * w, 8);
        h += __builtin_popcountll(dw ^ q_bits[size_t(i) * words + w]);
      }
      best = std::min(best, h);
    }
    total += 1.f - 2.f * float(best) / float(dim_);
  }
  return total / float(nq);
}

}  // namespace m3
