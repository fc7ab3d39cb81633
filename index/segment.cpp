#include "index/segment.h"

#include <algorithm>
#include <map>

#include "common/error.h"
#include "index/file_io.h"

namespace m3 {
namespace {
constexpr char kDocsMagic[8] = {'M', '3', 'D', 'O', 'C', 'S', '0', '1'};
constexpr char kDelMagic[8] = {'M', '3', 'D', 'E', 'L', 'S', '0', '1'};
}  // namespace

void bm25_terms(const std::vector<int32_t>& token_ids, std::vector<uint32_t>& terms, std::vector<float>& tf) {
  std::map<uint32_t, float> counts;
  for (int32_t t : token_ids) {
    if (t < 0) throw UsageError("bm25: negative token id " + std::to_string(t));
    counts[uint32_t(t)] += 1.f;
  }
  terms.clear();
  tf.clear();
  for (auto& [t, c] : counts) {
    terms.push_back(t);
    tf.push_back(c);
  }
}

SegmentBuilder::SegmentBuilder(std::string dir, std::string name, const IndexSettings& settings, const ResidualCodebook* codebook,
                               double bm25_avgdl)
    : dir_(std::move(dir)), name_(std::move(name)), path_(dir_ + "/" + name_), settings_(settings),
      sparse_(ImpactModel{ImpactKind::Learned}),
      bm25_(ImpactModel{ImpactKind::BM25, settings.bm25_k1, settings.bm25_b, float(std::max(bm25_avgdl, 1e-6))}) {
  make_dir(path_);
  if (settings_.multivec_dim > 0)
    mv_ = std::make_unique<MultiVectorWriter>(path_ + "/multivec.bin", parse_mv_codec(settings_.mv_codec), settings_.multivec_dim,
                                              settings_.mv_bits, codebook);
}

SegmentBuilder::~SegmentBuilder() = default;

void SegmentBuilder::add_common(int64_t doc, const float* dense, const SparseVector& sparse, const std::vector<uint32_t>& bt,
                                const std::vector<float>& btf, float blen) {
  if (!docs_.empty() && doc <= docs_.back()) throw UsageError("segment " + name_ + ": docs must be added in ascending order");
  docs_.push_back(doc);
  if (settings_.dense_dim > 0) dense_.insert(dense_.end(), dense, dense + settings_.dense_dim);
  sparse_.add(sparse.ids.data(), sparse.weights.data(), sparse.size(), float(sparse.size()));
  bm25_.add(bt.data(), btf.data(), bt.size(), blen);
  bm25_total_len_ += blen;
}

void SegmentBuilder::add(int64_t doc, const float* dense, const SparseVector& sparse, const std::vector<uint32_t>& bt,
                         const std::vector<float>& btf, float blen, const float* mv, size_t n_vectors) {
  add_common(doc, dense, sparse, bt, btf, blen);
  if (mv_) mv_->add(mv, n_vectors);
}

void SegmentBuilder::add_mv_codes(int64_t doc, const float* dense, const SparseVector& sparse, const std::vector<uint32_t>& bt,
                                  const std::vector<float>& btf, float blen, const uint8_t* codes, size_t n_vectors) {
  add_common(doc, dense, sparse, bt, btf, blen);
  if (mv_) mv_->add_codes(codes, n_vectors);
}

SegmentMeta SegmentBuilder::finish() {
  SegmentMeta m;
  m.name = name_;
  m.n_docs = docs_.size();
  m.first_doc = docs_.empty() ? 0 : docs_.front();
  m.last_doc = docs_.empty() ? -1 : docs_.back();
  m.bm25_total_len = bm25_total_len_;
  {
    FileWriter w(path_ + "/docs.bin");
    w.write(kDocsMagic, 8);
    w.put<uint64_t>(docs_.size());
    w.put_array(docs_);
    w.close();
  }
  std::vector<std::string> names = {"docs.bin"};
  if (settings_.dense_dim > 0) {
    auto d = DenseIndex::build(settings_.dense_dim, settings_.dense_factory, dense_.data(), int64_t(docs_.size()), docs_.data());
    d->save(path_ + "/dense");
    m.dense_factory = d->effective_factory();
    m.dense_fallback = d->fallback_reason();
    names.push_back("dense.faiss");
    names.push_back("dense.f32");
  }
  sparse_.write(path_ + "/sparse.bin");
  bm25_.write(path_ + "/bm25.bin");
  names.push_back("sparse.bin");
  names.push_back("bm25.bin");
  if (mv_) {
    mv_->finish();
    names.push_back("multivec.bin");
  }
  fsync_dir(path_);
  fsync_dir(dir_);
  for (const auto& n : names) m.files.push_back(file_entry(dir_, name_ + "/" + n));
  return m;
}

std::shared_ptr<const Segment> Segment::open(const std::string& dir, const SegmentMeta& meta, const IndexSettings& settings,
                                             const ResidualCodebook* codebook, bool verify) {
  auto s = std::make_shared<Segment>();
  s->meta_ = meta;
  for (const auto& f : meta.files) verify_file(dir, f, verify);
  const std::string p = dir + "/" + meta.name;
  s->docs_file_ = MappedFile(p + "/docs.bin");
  BinaryReader r(s->docs_file_.data(), s->docs_file_.size(), p + "/docs.bin");
  r.expect_magic(kDocsMagic);
  uint64_t n = r.get<uint64_t>("n");
  if (n != meta.n_docs) throw CorruptionError(p + "/docs.bin: " + std::to_string(n) + " docs but the MANIFEST says " + std::to_string(meta.n_docs));
  s->docs_ = r.array<int64_t>(n, "doc ids");
  for (uint64_t i = 1; i < n; ++i)
    if (s->docs_[i] <= s->docs_[i - 1]) throw CorruptionError(p + "/docs.bin: doc ids not ascending (corrupt)");
  if (settings.dense_dim > 0) {
    s->dense_ = DenseIndex::load(p + "/dense", settings.dense_dim);
    if (uint64_t(s->dense_->size()) != n) throw CorruptionError(p + "/dense.f32: row count differs from docs.bin");
  }
  s->sparse_ = SparseIndex::open(p + "/sparse.bin");
  s->bm25_ = SparseIndex::open(p + "/bm25.bin");
  if (s->sparse_->num_docs() != n || s->bm25_->num_docs() != n) throw CorruptionError(p + ": sparse/bm25 row count differs from docs.bin");
  if (settings.multivec_dim > 0) {
    s->mv_ = MultiVectorStore::open(p + "/multivec.bin", settings.multivec_dim, codebook);
    if (s->mv_->num_docs() != n) throw CorruptionError(p + "/multivec.bin: row count differs from docs.bin");
    if (s->mv_->codec() != parse_mv_codec(settings.mv_codec)) throw CorruptionError(p + "/multivec.bin: codec differs from the MANIFEST settings");
  }
  return s;
}

int64_t Segment::row_of(int64_t doc) const {
  const int64_t* e = docs_ + meta_.n_docs;
  const int64_t* it = std::lower_bound(docs_, e, doc);
  return (it != e && *it == doc) ? int64_t(it - docs_) : -1;
}

FileEntry write_deletes(const std::string& dir, const std::string& name, const Bitmap& deleted) {
  std::vector<uint32_t> rows;
  for (size_t i = 0; i < deleted.size(); ++i)
    if (deleted.test(i)) rows.push_back(uint32_t(i));
  FileWriter w(dir + "/" + name);
  w.write(kDelMagic, 8);
  w.put<uint64_t>(rows.size());
  w.put_array(rows);
  FileEntry f{name, w.size(), 0};
  f.xxh3 = w.close();
  return f;
}

Bitmap read_deletes(const std::string& dir, const FileEntry& f, uint32_t n_rows) {
  verify_file(dir, f, true);
  MappedFile m(dir + "/" + f.name);
  BinaryReader r(m.data(), m.size(), m.path());
  r.expect_magic(kDelMagic);
  uint64_t n = r.get<uint64_t>("n");
  const uint32_t* rows = r.array<uint32_t>(n, "rows");
  Bitmap b(n_rows);
  for (uint64_t i = 0; i < n; ++i) {
    if (rows[i] >= n_rows) throw CorruptionError(m.path() + ": deleted row " + std::to_string(rows[i]) + " out of range (corrupt)");
    b.set(rows[i]);
  }
  return b;
}

std::shared_ptr<const MetadataColumns> Segment::metadata(const std::function<MetadataColumns()>& build) const {
  std::lock_guard<std::mutex> lock(columns_mu_);
  if (!columns_) columns_ = std::make_shared<const MetadataColumns>(build());
  return columns_;
}

}  // namespace m3
