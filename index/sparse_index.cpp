#include "index/sparse_index.h"

#include <streamvbyte.h>
#include <streamvbytedelta.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "common/error.h"

namespace m3 {
namespace {

constexpr char kMagic[8] = {'M', '3', 'S', 'P', 'A', 'R', 'S', '1'};
constexpr size_t kAlign = 64;
constexpr size_t kDecodePadding = 64;  // Stream VByte may read a little past the last byte it needs

// Maps term ids to dense slots: a direct table for tokenizer-sized vocabularies, a hash map beyond.
class TermSlots {
 public:
  explicit TermSlots(const std::vector<uint32_t>& terms) {
    uint32_t max_term = 0;
    for (uint32_t t : terms) max_term = std::max(max_term, t);
    direct_ = max_term < (1u << 26);
    if (direct_) {
      std::vector<uint8_t> seen(size_t(max_term) + 1, 0);
      for (uint32_t t : terms) seen[t] = 1;
      table_.assign(size_t(max_term) + 1, UINT32_MAX);
      for (uint32_t t = 0; t <= max_term && !terms.empty(); ++t)
        if (seen[t]) {
          table_[t] = uint32_t(sorted_.size());
          sorted_.push_back(t);
        }
    } else {
      sorted_ = terms;
      std::sort(sorted_.begin(), sorted_.end());
      sorted_.erase(std::unique(sorted_.begin(), sorted_.end()), sorted_.end());
      for (uint32_t i = 0; i < sorted_.size(); ++i) map_[sorted_[i]] = i;
    }
  }
  uint32_t slot(uint32_t t) const { return direct_ ? table_[t] : map_.at(t); }
  const std::vector<uint32_t>& sorted() const { return sorted_; }

 private:
  bool direct_;
  std::vector<uint32_t> table_, sorted_;
  std::unordered_map<uint32_t, uint32_t> map_;
};

// Bytes a Stream VByte stream of `count` integers occupies (control bytes + data), read from its
// control bytes; SIZE_MAX if the control bytes alone do not fit in `avail`.
size_t streamvbyte_stream_bytes(const uint8_t* p, uint64_t count, uint64_t avail) {
  const uint64_t ctrl = (count + 3) / 4;
  if (ctrl > avail) return SIZE_MAX;
  uint64_t data = 0;
  for (uint64_t i = 0; i < count; ++i) data += ((p[i / 4] >> (2 * (i % 4))) & 3) + 1;
  return size_t(ctrl + data);
}

}  // namespace

void SparseIndexBuilder::add(const uint32_t* terms, const float* values, size_t n, float doc_len) {
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && terms[i] <= terms[i - 1])
      throw InvalidInputError("sparse row " + std::to_string(size()) + ": term ids must be ascending and unique (term " + std::to_string(terms[i]) + ")");
    if (!(values[i] > 0) || !std::isfinite(values[i]))
      throw InvalidInputError("sparse row " + std::to_string(size()) + ": weight of term " + std::to_string(terms[i]) + " must be finite and > 0");
  }
  if (!(doc_len >= 0) || !std::isfinite(doc_len)) throw InvalidInputError("sparse row " + std::to_string(size()) + ": bad document length");
  terms_.insert(terms_.end(), terms, terms + n);
  values_.insert(values_.end(), values, values + n);
  offset_.push_back(terms_.size());
  doc_len_.push_back(doc_len);
}

uint64_t SparseIndexBuilder::write(const std::string& path) const {
  const size_t n_docs = doc_len_.size(), n_post = terms_.size();
  if (n_docs >= UINT32_MAX) throw Error(path + ": too many documents for one segment");
  // 1. Impacts and the per-index scale.
  std::vector<float> impact_value(n_post);
  float max_impact = 0;
  for (size_t d = 0; d < n_docs; ++d)
    for (uint64_t p = offset_[d]; p < offset_[d + 1]; ++p) {
      impact_value[p] = model_.value(values_[p], doc_len_[d]);
      max_impact = std::max(max_impact, impact_value[p]);
    }
  const float scale = max_impact > 0 ? max_impact / 255.f : 1.f;
  std::vector<uint8_t> impacts(n_post);
  for (size_t p = 0; p < n_post; ++p) impacts[p] = quantize_impact(impact_value[p], scale);

  // 2. Invert: counting sort by term keeps each list's rows ascending.
  TermSlots slots(terms_);
  const auto& dict = slots.sorted();
  const size_t n_terms = dict.size();
  std::vector<uint64_t> start(n_terms + 1, 0);
  for (uint32_t t : terms_) ++start[slots.slot(t) + 1];
  for (size_t i = 0; i < n_terms; ++i) start[i + 1] += start[i];
  std::vector<uint32_t> post_doc(n_post);
  std::vector<uint8_t> post_imp(n_post);
  {
    std::vector<uint64_t> fill(start.begin(), start.end() - 1);
    for (size_t d = 0; d < n_docs; ++d)
      for (uint64_t p = offset_[d]; p < offset_[d + 1]; ++p) {
        uint64_t at = fill[slots.slot(terms_[p])]++;
        post_doc[at] = uint32_t(d);
        post_imp[at] = impacts[p];
      }
  }

  // 3. Blocks of 128: delta-coded docs (Stream VByte) followed by raw u8 impacts.
  std::vector<TermInfo> info(n_terms);
  std::vector<uint32_t> block_last;
  std::vector<uint8_t> block_max;
  std::vector<uint64_t> block_offset;
  std::vector<uint8_t> postings;
  postings.reserve(n_post * 3);
  std::vector<uint8_t> buf(streamvbyte_max_compressedbytes(kBlockSize));
  for (size_t t = 0; t < n_terms; ++t) {
    uint64_t b = start[t], e = start[t + 1];
    info[t] = TermInfo{block_last.size(), uint32_t(e - b), 0, 0, 0};
    uint32_t prev = 0;
    for (uint64_t p = b; p < e; p += kBlockSize) {
      uint32_t cnt = uint32_t(std::min<uint64_t>(kBlockSize, e - p));
      block_offset.push_back(postings.size());
      size_t nb = streamvbyte_delta_encode(&post_doc[p], cnt, buf.data(), prev);
      postings.insert(postings.end(), buf.begin(), buf.begin() + nb);
      postings.insert(postings.end(), &post_imp[p], &post_imp[p] + cnt);
      uint8_t mx = *std::max_element(&post_imp[p], &post_imp[p] + cnt);
      prev = post_doc[p + cnt - 1];
      block_last.push_back(prev);
      block_max.push_back(mx);
      info[t].n_blocks++;
      info[t].max_impact = std::max<uint32_t>(info[t].max_impact, mx);
    }
  }
  block_offset.push_back(postings.size());
  postings.resize(postings.size() + kDecodePadding, 0);

  // 4. Forward store.
  std::vector<uint64_t> fwd_byte{0};
  std::vector<uint8_t> fwd_terms;
  fwd_terms.reserve(n_post * 2);
  for (size_t d = 0; d < n_docs; ++d) {
    uint32_t cnt = uint32_t(offset_[d + 1] - offset_[d]);
    std::vector<uint8_t> tmp(streamvbyte_max_compressedbytes(cnt));
    size_t nb = streamvbyte_delta_encode(terms_.data() + offset_[d], cnt, tmp.data(), 0);
    fwd_terms.insert(fwd_terms.end(), tmp.begin(), tmp.begin() + nb);
    fwd_byte.push_back(fwd_terms.size());
  }
  fwd_terms.resize(fwd_terms.size() + kDecodePadding, 0);

  FileWriter w(path);
  w.write(kMagic, 8);
  w.put<uint32_t>(uint32_t(model_.kind));
  w.put<float>(model_.k1);
  w.put<float>(model_.b);
  w.put<float>(model_.avgdl);
  w.put<float>(scale);
  w.put<uint32_t>(uint32_t(n_docs));
  w.put<uint64_t>(n_terms);
  w.put<uint64_t>(block_last.size());
  w.put<uint64_t>(n_post);
  w.put<uint64_t>(postings.size());
  w.put<uint64_t>(fwd_terms.size());
  auto arr = [&](const auto& v) {
    w.pad_to(kAlign);
    w.put_array(v);
  };
  arr(dict);
  arr(info);
  arr(block_last);
  arr(block_max);
  arr(block_offset);
  arr(postings);
  arr(doc_len_);
  arr(offset_);
  arr(fwd_byte);
  arr(fwd_terms);
  arr(impacts);
  arr(values_);
  return w.close();
}

std::unique_ptr<SparseIndex> SparseIndex::open(const std::string& path) {
  std::unique_ptr<SparseIndex> s(new SparseIndex());
  s->file_ = MappedFile(path);
  BinaryReader r(s->file_.data(), s->file_.size(), path);
  r.expect_magic(kMagic);
  uint32_t kind = r.get<uint32_t>("impact kind");
  if (kind > 1) throw CorruptionError(path + ": unknown impact kind " + std::to_string(kind));
  s->model_.kind = ImpactKind(kind);
  s->model_.k1 = r.get<float>("k1");
  s->model_.b = r.get<float>("b");
  s->model_.avgdl = r.get<float>("avgdl");
  s->scale_ = r.get<float>("scale");
  s->n_docs_ = r.get<uint32_t>("n_docs");
  s->n_terms_ = r.get<uint64_t>("n_terms");
  s->n_blocks_ = r.get<uint64_t>("n_blocks");
  s->n_postings_ = r.get<uint64_t>("n_postings");
  uint64_t post_bytes = r.get<uint64_t>("postings bytes");
  uint64_t fwd_bytes = r.get<uint64_t>("forward bytes");
  if (!(s->scale_ > 0) || !std::isfinite(s->scale_)) throw CorruptionError(path + ": bad impact scale");
  s->postings_bytes_ = post_bytes + s->n_terms_ * (sizeof(uint32_t) + sizeof(TermInfo)) + s->n_blocks_ * (4 + 1 + 8);
  auto arr = [&](auto*& out, size_t n, const char* field) {
    r.align(kAlign);
    out = r.template array<std::remove_const_t<std::remove_pointer_t<std::remove_reference_t<decltype(out)>>>>(n, field);
  };
  arr(s->terms_, s->n_terms_, "terms");
  arr(s->info_, s->n_terms_, "term info");
  arr(s->block_last_, s->n_blocks_, "block last doc");
  arr(s->block_max_, s->n_blocks_, "block max");
  arr(s->block_offset_, s->n_blocks_ + 1, "block offsets");
  arr(s->postings_, post_bytes, "postings");
  arr(s->doc_len_, s->n_docs_, "doc lengths");
  arr(s->fwd_offset_, size_t(s->n_docs_) + 1, "forward offsets");
  arr(s->fwd_byte_, size_t(s->n_docs_) + 1, "forward byte offsets");
  arr(s->fwd_terms_, fwd_bytes, "forward terms");
  arr(s->fwd_impact_, s->n_postings_, "forward impacts");
  arr(s->fwd_value_, s->n_postings_, "forward values");
  // Structural checks that keep a corrupt file from sending a reader out of bounds.
  auto bad = [&](const std::string& what) { throw CorruptionError(path + ": corrupt (" + what + ")"); };
  if (post_bytes < kDecodePadding || s->block_offset_[s->n_blocks_] + kDecodePadding != post_bytes) bad("postings size");
  if (fwd_bytes < kDecodePadding || s->fwd_byte_[s->n_docs_] + kDecodePadding != fwd_bytes) bad("forward size");
  s->postings_bytes_total_ = post_bytes - kDecodePadding;
  s->fwd_bytes_total_ = fwd_bytes - kDecodePadding;
  s->check_lists(path);
  return s;
}

// Everything a search or a row read trusts, checked once at open (found by
// tests/fuzz/fuzz_sparse_index.cpp: a list decoding to a doc past n_docs wrote out of bounds in the
// exhaustive accumulator). Lists: each term's blocks follow the previous term's; each block is
// exactly its Stream VByte docs plus its impacts; docs strictly ascending, below n_docs, ending at
// the block's last doc; the block max is its largest impact (BMW skips on it) and at most the
// term's. Forward store: each row's bytes are exactly its Stream VByte terms, strictly ascending.
// Cost: one decode of every list and row, after the checksum pass has read the file anyway.
void SparseIndex::check_lists(const std::string& path) const {
  auto bad = [&](const std::string& what) { throw CorruptionError(path + ": corrupt (" + what + ")"); };
  if (fwd_offset_[n_docs_] != n_postings_) bad("forward offsets");
  uint64_t total = 0, next_block = 0;
  uint32_t docs[kBlockSize];
  for (uint64_t t = 0; t < n_terms_; ++t) {
    const TermInfo& ti = info_[t];
    if (t > 0 && terms_[t] <= terms_[t - 1]) bad("dictionary order");
    if (ti.first_block != next_block || ti.n_blocks > n_blocks_ - next_block || ti.df == 0 ||
        ti.n_blocks != (uint64_t(ti.df) + kBlockSize - 1) / kBlockSize || ti.max_impact > 255)
      bad("term info of term " + std::to_string(terms_[t]));
    next_block += ti.n_blocks;
    total += ti.df;
    uint32_t prev = 0;
    for (uint64_t b = ti.first_block; b < next_block; ++b) {
      const uint32_t count = uint32_t(b + 1 < next_block ? kBlockSize : ti.df - (b - ti.first_block) * kBlockSize);
      if (block_offset_[b] > block_offset_[b + 1] || block_offset_[b + 1] > postings_bytes_total_) bad("block offsets");
      const uint8_t* p = postings_ + block_offset_[b];
      const uint64_t avail = block_offset_[b + 1] - block_offset_[b];
      const size_t nb = streamvbyte_stream_bytes(p, count, avail);
      if (nb == SIZE_MAX || nb + count != avail) bad("block " + std::to_string(b) + " size");
      streamvbyte_delta_decode(p, docs, count, prev);
      uint8_t mx = 0;
      for (uint32_t i = 0; i < count; ++i) {
        const bool first_of_list = b == ti.first_block && i == 0;
        if (docs[i] >= n_docs_ || (!first_of_list && docs[i] <= (i ? docs[i - 1] : prev))) bad("postings of term " + std::to_string(terms_[t]));
        mx = std::max(mx, p[nb + i]);
      }
      if (docs[count - 1] != block_last_[b] || mx != block_max_[b] || mx > ti.max_impact) bad("block metadata");
      prev = docs[count - 1];
    }
  }
  if (next_block != n_blocks_ || total != n_postings_) bad("posting count");
  std::vector<uint32_t> row;
  for (uint32_t d = 0; d < n_docs_; ++d) {
    if (fwd_offset_[d] > fwd_offset_[d + 1] || fwd_byte_[d] > fwd_byte_[d + 1] || fwd_byte_[d + 1] > fwd_bytes_total_ ||
        fwd_offset_[d + 1] - fwd_offset_[d] > UINT32_MAX)
      bad("forward offsets");
    const uint64_t count = fwd_offset_[d + 1] - fwd_offset_[d], avail = fwd_byte_[d + 1] - fwd_byte_[d];
    if (streamvbyte_stream_bytes(fwd_terms_ + fwd_byte_[d], count, avail) != avail) bad("forward row " + std::to_string(d));
    row.resize(count);
    streamvbyte_delta_decode(fwd_terms_ + fwd_byte_[d], row.data(), uint32_t(count), 0);
    for (size_t i = 1; i < count; ++i)
      if (row[i] <= row[i - 1]) bad("forward row " + std::to_string(d) + " terms");
  }
}

const TermInfo* SparseIndex::find_term(uint32_t term) const {
  const uint32_t* e = terms_ + n_terms_;
  const uint32_t* it = std::lower_bound(terms_, e, term);
  return (it != e && *it == term) ? &info_[it - terms_] : nullptr;
}

uint32_t SparseIndex::df(uint32_t term) const {
  const TermInfo* ti = find_term(term);
  return ti ? ti->df : 0;
}

void SparseIndex::row_impacts(uint32_t r, std::vector<uint32_t>& terms, std::vector<uint8_t>& impacts) const {
  if (r >= n_docs_) throw NotFoundError("sparse index: no row " + std::to_string(r));
  uint64_t b = fwd_offset_[r], e = fwd_offset_[r + 1];
  terms.resize(e - b);
  streamvbyte_delta_decode(fwd_terms_ + fwd_byte_[r], terms.data(), uint32_t(e - b), 0);
  impacts.assign(fwd_impact_ + b, fwd_impact_ + e);
}

void SparseIndex::row(uint32_t r, std::vector<uint32_t>& terms, std::vector<float>& values, float& doc_len) const {
  std::vector<uint8_t> imp;
  row_impacts(r, terms, imp);
  values.assign(fwd_value_ + fwd_offset_[r], fwd_value_ + fwd_offset_[r + 1]);
  doc_len = doc_len_[r];
}

float SparseIndex::score(const QuantizedQuery& q, uint32_t r) const {
  if (r >= n_docs_) throw NotFoundError("sparse index: no row " + std::to_string(r));
  uint64_t b = fwd_offset_[r], e = fwd_offset_[r + 1];
  uint32_t local[256];
  std::vector<uint32_t> heap_terms;
  uint32_t* terms = local;
  if (e - b > 256) {
    heap_terms.resize(e - b);
    terms = heap_terms.data();
  }
  streamvbyte_delta_decode(fwd_terms_ + fwd_byte_[r], terms, uint32_t(e - b), 0);
  uint64_t sum = 0;
  size_t i = 0, j = 0, n = size_t(e - b);
  while (i < q.terms.size() && j < n) {
    if (q.terms[i] < terms[j]) ++i;
    else if (q.terms[i] > terms[j]) ++j;
    else sum += uint64_t(q.weights[i++]) * fwd_impact_[b + j++];
  }
  return to_score(sum, q.unit * double(scale_));
}

}  // namespace m3
