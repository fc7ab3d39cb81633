#include "index/index_store.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "common/error.h"
#include "common/utf8.h"
#include "index/file_io.h"
#include "index/topk.h"

namespace m3 {
namespace {

constexpr const char* kManifest = "MANIFEST";

std::string seg_name(uint64_t gen) { return "seg-" + std::to_string(gen); }

int size_level(uint64_t live, int factor) {
  int level = 0;
  for (uint64_t n = live; n >= uint64_t(factor); n /= uint64_t(factor)) ++level;
  return level;
}

}  // namespace

// ======================= Snapshot =======================

std::optional<Snapshot::Loc> Snapshot::locate(int64_t doc) const {
  // Segments hold ascending, disjoint doc ranges: binary search on the last doc.
  auto it = std::lower_bound(segs_.begin(), segs_.end(), doc, [](const Part& p, int64_t d) { return p.seg->meta().last_doc < d; });
  if (it == segs_.end() || doc < it->seg->meta().first_doc) return std::nullopt;
  int64_t row = it->seg->row_of(doc);
  if (row < 0 || it->deleted->test(size_t(row))) return std::nullopt;
  return Loc{&*it, uint32_t(row)};
}

bool Snapshot::is_live(int64_t doc) const { return locate(doc).has_value(); }

const Bitmap& Snapshot::excluded(size_t seg, const RowMask* mask) const {
  if (!mask) return *segs_[seg].deleted;
  if (mask->snap_ != this) throw UsageError("a row mask was used with another snapshot than the one that made it");
  return *mask->excluded_[seg];
}

std::shared_ptr<const RowMask> Snapshot::mask(const RowPredicate& p, uint32_t exact_scan_rows) const {
  auto m = std::make_shared<RowMask>();
  m->snap_ = this;
  m->exact_scan_rows_ = exact_scan_rows;
  for (const auto& part : segs_) {
    const Segment& seg = *part.seg;
    auto cols = seg.metadata([&] {
      MetadataColumns c(seg.size());
      docs_.for_each_in(seg.meta().first_doc, seg.meta().last_doc, [&](const DocRecord& r) {
        int64_t row = seg.row_of(r.doc);
        if (row >= 0) c.add(uint32_t(row), r.metadata_json);
      });
      c.finish();
      return c;
    });
    auto ex = std::make_shared<Bitmap>(p.matching_rows(*cols));
    ex->flip();
    *ex |= *part.deleted;
    m->allowed_ += seg.size() - ex->count();
    m->excluded_.push_back(std::move(ex));
  }
  return m;
}

namespace {

// Scan a segment's allowed rows exactly (raw fp32 vectors) when there are at most exact_scan_rows of
// them, or up to 4x that where HNSW would search a candidate list over an eighth of the allowed rows:
// FAISS 1.7.3's HNSW candidate heap costs more than linearly in efSearch, and a deep candidate list
// (dense+sparse's depth 1000 widened under a 50 % filter: efSearch 2000) costs more than the scan
// (bench/filter_bench.cpp: 60.8 vs 34.6 ms p50), while k = 10 at the same filter does not (2.5 vs 16.2).
// Without a filter the same rule holds: a segment of at most 8x efSearch rows is scanned, which is
// exact and cheaper (dense+sparse's depth 1000 over the 4,166-row sample: HNSW's heap was a fifth of
// the server's time under load, the scan of 4,166 x 256 floats takes a fraction of a millisecond).
bool scan_beats_hnsw(const DenseIndex& dense, int k, const DenseSearchParams& params, size_t allowed,
                     const RowMask* mask) {
  const size_t hnsw_list = 8 * size_t(dense.search_ef(k, params, allowed));  // 0 unless HNSW
  if (!mask) return allowed <= hnsw_list;
  if (allowed <= mask->exact_scan_rows()) return true;
  return allowed <= 4 * size_t(mask->exact_scan_rows()) && allowed <= hnsw_list;
}

}  // namespace

std::vector<ScoredDoc> Snapshot::dense_search(const float* q, int k, const DenseSearchParams& params,
                                              const RowMask* mask) const {
  if (settings_.dense_dim == 0) throw UsageError("this collection has no dense index (dense_dim 0)");
  std::vector<std::vector<ScoredDoc>> lists;
  for (size_t i = 0; i < segs_.size(); ++i) {
    const DenseIndex& dense = *segs_[i].seg->dense();
    const Bitmap& ex = excluded(i, mask);
    const size_t allowed = segs_[i].seg->size() - ex.count();
    if (allowed == 0) continue;
    if (scan_beats_hnsw(dense, k, params, allowed, mask)) {
      lists.push_back(dense.scan(q, k, ex));
      continue;
    }
    auto hits = dense.search(q, k, params, &ex);
    // An approximate index may still come back short under a filter: then the exact scan decides.
    if (mask && hits.size() < std::min<size_t>(size_t(std::max(k, 0)), allowed)) hits = dense.scan(q, k, ex);
    lists.push_back(std::move(hits));
  }
  return merge_topk(lists, size_t(std::max(k, 0)));
}

namespace {

// Scoring one row from the forward store decodes all of its terms; the cursors decode at most the
// query terms' postings, and under a selective mask nearly all of them (the top-k threshold that
// lets MaxScore/BMW skip stays low). So scan when the allowed rows hold fewer terms than the query
// terms' postings (kScanCursorRatio 1: bench/filter_bench.cpp found 8 too cautious at 1 %).
bool scan_beats_cursors(const SparseIndex& idx, const QuantizedQuery& q, size_t allowed) {
  constexpr double kScanCursorRatio = 1;
  uint64_t postings = 0;
  for (uint32_t t : q.terms) postings += idx.df(t);
  const double terms_per_row = double(idx.num_postings()) / double(std::max<uint32_t>(1, idx.num_docs()));
  return double(allowed) * terms_per_row * kScanCursorRatio <= double(postings);
}

}  // namespace

std::vector<ScoredDoc> Snapshot::sparse_like_search(const QuantizedQuery& qq, int k, SparseAlgo algo, const RowMask* mask,
                                                    const SparseIndex* (Segment::*which)() const) const {
  std::vector<std::vector<ScoredDoc>> lists;
  for (size_t i = 0; i < segs_.size(); ++i) {
    const Segment& seg = *segs_[i].seg;
    const SparseIndex& idx = *(seg.*which)();
    const Bitmap& ex = excluded(i, mask);
    const size_t allowed = seg.size() - ex.count();
    if (allowed == 0) continue;
    std::vector<ScoredDoc> hits;
    if (mask && allowed <= mask->exact_scan_rows_ && scan_beats_cursors(idx, qq, allowed)) {
      // Few rows allowed: score them from the forward store (the same integer sums as the cursors,
      // so the same floats); like the cursors, only rows sharing a term (score > 0) are hits.
      TopK top(size_t(std::max(k, 0)));
      ex.for_each_clear([&](size_t row) {
        float s = idx.score(qq, uint32_t(row));
        if (s > 0) top.push(int64_t(row), s);
      });
      hits = top.take();
    } else {
      hits = idx.search(qq, k, algo, &ex);
    }
    for (auto& h : hits) h.doc = seg.doc_at(uint32_t(h.doc));
    lists.push_back(std::move(hits));
  }
  return merge_topk(lists, size_t(std::max(k, 0)));
}

std::vector<ScoredDoc> Snapshot::sparse_search(const SparseVector& q, int k, SparseAlgo algo, const RowMask* mask) const {
  return sparse_like_search(quantize_query(q), k, algo, mask, &Segment::sparse);
}

Bm25Stats Snapshot::bm25_stats(const std::vector<int32_t>& ids) const {
  std::vector<uint32_t> terms;
  std::vector<float> counts;
  bm25_terms(ids, terms, counts);
  Bm25Stats st;
  for (const auto& p : segs_) st.documents += p.seg->size();
  for (uint32_t t : terms) {
    uint64_t df = 0;
    for (const auto& p : segs_) df += p.seg->bm25()->df(t);
    st.df.emplace_back(t, df);
  }
  return st;
}

SparseVector Snapshot::bm25_query(const std::vector<int32_t>& ids, const Bm25Stats* global) const {
  std::vector<uint32_t> terms;
  std::vector<float> counts;
  bm25_terms(ids, terms, counts);
  const Bm25Stats local = global ? Bm25Stats{} : bm25_stats(ids);
  const Bm25Stats& st = global ? *global : local;
  SparseVector q;
  for (size_t i = 0; i < terms.size(); ++i) {
    // A term the statistics do not hold counts as df 0 (it then has no postings anywhere).
    auto it = std::lower_bound(st.df.begin(), st.df.end(), std::make_pair(terms[i], uint64_t{0}));
    const uint64_t df = it != st.df.end() && it->first == terms[i] ? it->second : 0;
    if (df == 0 || st.documents == 0) continue;
    q.ids.push_back(terms[i]);
    q.weights.push_back(float(bm25_idf(st.documents, df) * counts[i]));
  }
  return q;
}

std::vector<ScoredDoc> Snapshot::bm25_search(const std::vector<int32_t>& ids, int k, SparseAlgo algo,
                                             const RowMask* mask, const Bm25Stats* global) const {
  return sparse_like_search(quantize_query(bm25_query(ids, global)), k, algo, mask, &Segment::bm25);
}

float Snapshot::dense_score(const float* q, int64_t doc) const {
  if (settings_.dense_dim == 0) throw UsageError("this collection has no dense index (dense_dim 0)");
  auto loc = locate(doc);
  if (!loc) throw NotFoundError("no live document with doc id " + std::to_string(doc));
  return loc->part->seg->dense()->score(q, doc);
}

float Snapshot::sparse_score(const SparseVector& q, int64_t doc) const {
  auto loc = locate(doc);
  if (!loc) throw NotFoundError("no live document with doc id " + std::to_string(doc));
  return loc->part->seg->sparse()->score(quantize_query(q), loc->row);
}

std::vector<float> Snapshot::sparse_scores(const SparseVector& q, const std::vector<int64_t>& docs) const {
  const auto qq = quantize_query(q);
  std::vector<float> out;
  out.reserve(docs.size());
  for (int64_t doc : docs) {
    auto loc = locate(doc);
    if (!loc) throw NotFoundError("no live document with doc id " + std::to_string(doc));
    out.push_back(loc->part->seg->sparse()->score(qq, loc->row));
  }
  return out;
}

std::vector<float> Snapshot::bm25_scores(const std::vector<int32_t>& ids, const std::vector<int64_t>& docs,
                                         const Bm25Stats* global) const {
  const auto qq = quantize_query(bm25_query(ids, global));
  std::vector<float> out;
  out.reserve(docs.size());
  for (int64_t doc : docs) {
    auto loc = locate(doc);
    if (!loc) throw NotFoundError("no live document with doc id " + std::to_string(doc));
    out.push_back(loc->part->seg->bm25()->score(qq, loc->row));
  }
  return out;
}

float Snapshot::bm25_score(const std::vector<int32_t>& ids, int64_t doc, const Bm25Stats* global) const {
  auto loc = locate(doc);
  if (!loc) throw NotFoundError("no live document with doc id " + std::to_string(doc));
  return loc->part->seg->bm25()->score(quantize_query(bm25_query(ids, global)), loc->row);
}

std::vector<float> Snapshot::multivec_scores(const float* q, int nq, const std::vector<int64_t>& docs) const {
  if (settings_.multivec_dim == 0) throw UsageError("this collection has no multivec store (multivec_dim 0)");
  if (nq <= 0) throw UsageError("multivec query has no vectors");
  // One prepared query (the binary/residual tables) for every segment; each segment's candidates
  // scored in one call, so the table path can batch them.
  std::vector<float> out(docs.size());
  std::map<const MultiVectorStore*, std::pair<std::vector<uint32_t>, std::vector<size_t>>> by_store;
  for (size_t i = 0; i < docs.size(); ++i) {
    auto loc = locate(docs[i]);
    if (!loc) throw NotFoundError("no live document with doc id " + std::to_string(docs[i]));
    auto& [rows, at] = by_store[loc->part->seg->multivec()];
    rows.push_back(loc->row);
    at.push_back(i);
  }
  if (by_store.empty()) return out;
  const MaxSimQuery prepared = by_store.begin()->first->prepare(q, nq);
  std::vector<float> scores;
  for (const auto& [mv, ra] : by_store) {
    scores.resize(ra.first.size());
    mv->maxsim(prepared, ra.first.data(), ra.first.size(), scores.data());
    for (size_t j = 0; j < scores.size(); ++j) out[ra.second[j]] = scores[j];
  }
  return out;
}

std::optional<DocRecord> Snapshot::doc(int64_t doc) const {
  if (!locate(doc)) return std::nullopt;
  return docs_.get(doc);
}

std::optional<int64_t> Snapshot::find(const std::string& docid) const {
  auto docs = docs_.docs_of(docid);
  for (auto it = docs.rbegin(); it != docs.rend(); ++it)
    if (locate(*it)) return *it;
  return std::nullopt;
}

void Snapshot::for_each_doc(const std::function<void(const DocRecord&)>& fn) const {
  docs_.for_each([&](const DocRecord& r) {
    if (locate(r.doc)) fn(r);
  });
}

void Snapshot::for_each_doc_while(const std::function<bool(const DocRecord&)>& fn) const {
  docs_.for_each_while([&](const DocRecord& r) { return !locate(r.doc) || fn(r); });
}

size_t Snapshot::live_documents() const {
  size_t n = 0;
  for (const auto& p : segs_) n += p.seg->size() - p.deleted->count();
  return n;
}

IndexSizes Snapshot::sizes() const {
  IndexSizes s;
  for (const auto& p : segs_) {
    const Segment& g = *p.seg;
    if (g.dense()) {
      s.dense_faiss += g.dense()->faiss_bytes();
      s.dense_raw += g.dense()->raw_bytes();
    }
    s.sparse += g.sparse()->bytes();
    s.bm25 += g.bm25()->bytes();
    if (g.multivec()) s.multivec += g.multivec()->bytes();
    s.doc_ids += g.docs_bytes();
  }
  s.doc_store = store_->approximate_bytes();
  return s;
}

// ======================= IndexStore =======================

IndexStore::~IndexStore() = default;

std::unique_ptr<IndexStore> IndexStore::create(const std::string& dir, const IndexSettings& settings) {
  settings.validate();
  if (settings.dense_dim > 0) DenseIndex::check_factory(settings.dense_dim, settings.dense_factory);
  if (path_exists(dir + "/" + kManifest)) throw UsageError(dir + ": an index already exists there");
  if (path_exists(dir) && !list_dir(dir).empty()) throw UsageError(dir + ": directory exists and is not empty");
  make_dir(dir);
  fsync_parent_dir(dir);  // the new directory's entry is durable before anything inside it counts
  std::unique_ptr<IndexStore> s(new IndexStore());
  s->dir_ = dir;
  s->docs_ = DocStore::open(dir + "/docs", true);
  s->manifest_.settings = settings;
  s->write_manifest(s->manifest_);
  s->publish();
  return s;
}

std::unique_ptr<IndexStore> IndexStore::open(const std::string& dir) {
  if (!path_exists(dir)) throw NotFoundError(dir + ": no such index directory");
  if (!path_exists(dir + "/" + kManifest)) throw NotFoundError(dir + ": not an m3 index (MANIFEST missing)");
  std::unique_ptr<IndexStore> s(new IndexStore());
  s->dir_ = dir;
  s->manifest_ = Manifest::parse(read_file(dir + "/" + kManifest), dir + "/" + kManifest);
  s->docs_ = DocStore::open(dir + "/docs", false);
  s->load(true);
  // Garbage of an interrupted commit or merge: anything the MANIFEST does not name.
  std::unordered_set<std::string> live;
  for (const auto& m : s->manifest_.segments) {
    live.insert(m.name);
    std::unordered_set<std::string> files;
    for (const auto& f : m.files) files.insert(f.name);
    if (m.deletes) files.insert(m.deletes->name);
    for (const auto& f : list_dir(dir + "/" + m.name))
      if (!files.count(m.name + "/" + f)) remove_tree(dir + "/" + m.name + "/" + f);
  }
  for (const auto& e : list_dir(dir)) {
    bool stale_seg = e.rfind("seg-", 0) == 0 && !live.count(e);
    bool stale_cb = e.rfind("mv-codebook-", 0) == 0 && !(s->manifest_.codebook && s->manifest_.codebook->name == e);
    if (stale_seg || stale_cb || e == std::string(kManifest) + ".tmp") remove_tree(dir + "/" + e);
  }
  s->docs_->erase_from(s->manifest_.next_doc);
  s->publish();
  return s;
}

std::unique_ptr<IndexStore> IndexStore::open_read_only(const std::string& dir) {
  if (!path_exists(dir)) throw NotFoundError(dir + ": no such index directory");
  if (!path_exists(dir + "/" + kManifest)) throw NotFoundError(dir + ": not an m3 index (MANIFEST missing)");
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<IndexStore> s(new IndexStore());
    s->dir_ = dir;
    s->read_only_ = true;
    s->manifest_ = Manifest::parse(read_file(dir + "/" + kManifest), dir + "/" + kManifest);
    try {
      s->docs_ = DocStore::open_read_only(dir + "/docs");
      s->load(true);
    } catch (const Error&) {
      // A writer's merge may have replaced this MANIFEST's segments since we read it: try the new one.
      const auto now = Manifest::parse(read_file(dir + "/" + kManifest), dir + "/" + kManifest);
      if (attempt < 3 && now.generation != s->manifest_.generation) continue;
      throw;
    }
    s->publish();
    return s;
  }
}

void IndexStore::require_writable(const char* what) const {
  if (read_only_) throw UsageError(dir_ + ": opened read-only; cannot " + what);
}

void IndexStore::load(bool verify) {
  if (manifest_.codebook) {
    verify_file(dir_, *manifest_.codebook, true);
    codebook_ = std::make_shared<ResidualCodebook>(
        ResidualCodebook::deserialize(read_file(dir_ + "/" + manifest_.codebook->name), dir_ + "/" + manifest_.codebook->name));
  }
  segments_.clear();
  deleted_.clear();
  for (const auto& m : manifest_.segments) {
    segments_.push_back(Segment::open(dir_, m, manifest_.settings, codebook_.get(), verify));
    deleted_.push_back(std::make_shared<Bitmap>(m.deletes ? read_deletes(dir_, *m.deletes, uint32_t(m.n_docs)) : Bitmap(m.n_docs)));
  }
}

void IndexStore::publish() {
  auto snap = std::make_shared<Snapshot>();
  snap->generation_ = manifest_.generation;
  snap->settings_ = manifest_.settings;
  for (size_t i = 0; i < segments_.size(); ++i) snap->segs_.push_back({segments_[i], deleted_[i]});
  snap->store_ = docs_;
  snap->docs_ = docs_->view();
  snap->codebook_ = codebook_;
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(snap);
}

std::shared_ptr<const Snapshot> IndexStore::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

void IndexStore::write_manifest(const Manifest& m) { write_file_atomic(dir_ + "/" + kManifest, m.serialize()); }

void IndexStore::set_extra(const nlohmann::json& extra) {
  require_writable("change settings");
  manifest_.settings.extra = extra;
  extra_dirty_ = true;
}

void IndexStore::validate(const DocInput& d) const {
  const IndexSettings& s = manifest_.settings;
  validate_docid(d.docid);
  const std::string what = "document '" + d.docid + "'";
  require_valid_utf8(d.title, what + " title");
  require_valid_utf8(d.text, what + " text");
  if (!d.metadata_json.empty() && !nlohmann::json::accept(d.metadata_json))
    throw UsageError(what + ": metadata is not valid JSON");
  if (int(d.dense.size()) != s.dense_dim)
    throw UsageError(what + ": dense vector has " + std::to_string(d.dense.size()) + " values, the collection's dense_dim is " +
                     std::to_string(s.dense_dim));
  if (s.dense_dim > 0) require_normalized(d.dense.data(), s.dense_dim, what);
  if (d.sparse.ids.size() != d.sparse.weights.size()) throw UsageError(what + ": sparse ids and weights differ in length");
  for (size_t i = 0; i < d.sparse.size(); ++i) {
    if (i > 0 && d.sparse.ids[i] <= d.sparse.ids[i - 1]) throw UsageError(what + ": sparse ids must be ascending and unique");
    if (!(d.sparse.weights[i] > 0) || !std::isfinite(d.sparse.weights[i]))
      throw UsageError(what + ": sparse weight of term " + std::to_string(d.sparse.ids[i]) + " must be finite and > 0");
  }
  for (int32_t t : d.token_ids)
    if (t < 0) throw UsageError(what + ": negative token id " + std::to_string(t));
  if (d.n_vectors < 0) throw UsageError(what + ": negative n_vectors");
  if (d.multivec.size() != size_t(d.n_vectors) * size_t(s.multivec_dim))
    throw UsageError(what + ": multivec has " + std::to_string(d.multivec.size()) + " floats, expected n_vectors " +
                     std::to_string(d.n_vectors) + " x multivec_dim " + std::to_string(s.multivec_dim));
  for (float v : d.multivec)
    if (!std::isfinite(v)) throw UsageError(what + ": multivec has a non-finite value");
}

void IndexStore::upsert(DocInput doc) {
  require_writable("add documents");
  validate(doc);
  pending_removes_.erase(doc.docid);
  auto it = pending_index_.find(doc.docid);
  if (it != pending_index_.end()) {
    pending_[it->second] = std::move(doc);
  } else {
    pending_index_[doc.docid] = pending_.size();
    pending_.push_back(std::move(doc));
  }
}

void IndexStore::remove(const std::string& docid) {
  require_writable("delete documents");
  validate_docid(docid);
  auto it = pending_index_.find(docid);
  if (it != pending_index_.end()) {
    // Drop the buffered version; order does not matter, so swap it out.
    size_t i = it->second;
    pending_index_.erase(it);
    if (i + 1 != pending_.size()) {
      pending_[i] = std::move(pending_.back());
      pending_index_[pending_[i].docid] = i;
    }
    pending_.pop_back();
  }
  pending_removes_.insert(docid);
}

double IndexStore::total_bm25_len() const {
  double t = 0;
  for (const auto& m : manifest_.segments) t += m.bm25_total_len;
  return t;
}

uint64_t IndexStore::total_rows() const {
  uint64_t t = 0;
  for (const auto& m : manifest_.segments) t += m.n_docs;
  return t;
}

uint64_t IndexStore::commit() {
  require_writable("commit");
  if (pending_.empty() && pending_removes_.empty() && !extra_dirty_) return manifest_.generation;
  const uint64_t gen = manifest_.generation + 1;
  auto snap = snapshot();
  Manifest next = manifest_;
  next.generation = gen;

  // 1. Tombstones for removed and replaced docids.
  std::map<size_t, std::shared_ptr<Bitmap>> touched;
  std::vector<DocRecord> erase_after;
  auto kill = [&](const std::string& docid) {
    for (int64_t d : snap->docs_.docs_of(docid)) {
      auto loc = snap->locate(d);
      if (!loc) continue;
      size_t i = size_t(loc->part - snap->segs_.data());
      auto& bm = touched[i];
      if (!bm) bm = std::make_shared<Bitmap>(*deleted_[i]);
      bm->set(loc->row);
      erase_after.push_back(DocRecord{d, docid, {}, {}, {}});
    }
  };
  for (const auto& id : pending_removes_) kill(id);
  for (const auto& d : pending_) kill(d.docid);

  // 2. Doc ids and records for the new docs (unreferenced until the MANIFEST names them).
  std::vector<DocRecord> records;
  for (const auto& d : pending_) records.push_back({next.next_doc++, d.docid, d.title, d.text, d.metadata_json});
  if (!records.empty()) docs_->put(records);

  // 3. The residual codebook, trained once on the first commit that has token vectors.
  std::shared_ptr<const ResidualCodebook> codebook = codebook_;
  const IndexSettings& st = manifest_.settings;
  if (st.multivec_dim > 0 && parse_mv_codec(st.mv_codec) == MvCodec::Residual && !codebook) {
    std::vector<float> all;
    for (const auto& d : pending_) all.insert(all.end(), d.multivec.begin(), d.multivec.end());
    if (!all.empty()) {
      auto cb = std::make_shared<ResidualCodebook>(
          ResidualCodebook::train(all.data(), all.size() / st.multivec_dim, st.multivec_dim, st.mv_bits));
      std::string name = "mv-codebook-" + std::to_string(gen) + ".bin";
      std::string bytes = cb->serialize();
      FileWriter w(dir_ + "/" + name);
      w.write(bytes.data(), bytes.size());
      next.codebook = FileEntry{name, bytes.size(), w.close()};
      codebook = cb;
    }
  }

  // 4. The new segment.
  std::shared_ptr<const Segment> new_seg;
  if (!pending_.empty()) {
    double new_len = 0;
    for (const auto& d : pending_) new_len += double(d.token_ids.size());
    double avgdl = st.bm25_avgdl > 0 ? st.bm25_avgdl : (total_bm25_len() + new_len) / double(total_rows() + pending_.size());
    SegmentBuilder b(dir_, seg_name(gen), st, codebook.get(), avgdl);
    std::vector<uint32_t> bt;
    std::vector<float> btf;
    for (size_t i = 0; i < pending_.size(); ++i) {
      const DocInput& d = pending_[i];
      bm25_terms(d.token_ids, bt, btf);
      b.add(records[i].doc, d.dense.empty() ? nullptr : d.dense.data(), d.sparse, bt, btf, float(d.token_ids.size()),
            d.multivec.data(), size_t(d.n_vectors));
    }
    SegmentMeta meta = b.finish();
    next.segments.push_back(meta);
    new_seg = Segment::open(dir_, meta, st, codebook.get(), false);
  }

  // 5. Tombstone files (new names; the previous ones stay valid for older readers until unlinked).
  std::vector<std::string> old_deletes;
  for (auto& [i, bm] : touched) {
    SegmentMeta& m = next.segments[i];
    if (m.deletes) old_deletes.push_back(m.deletes->name);
    m.deletes = write_deletes(dir_, m.name + "/del-" + std::to_string(gen) + ".bin", *bm);
    m.n_deleted = bm->count();
    fsync_dir(dir_ + "/" + m.name);
  }
  if (next.codebook && !manifest_.codebook) fsync_dir(dir_);

  // 6. The commit point.
  write_manifest(next);

  // 7. Publish, then clean up what only the previous commit used.
  manifest_ = std::move(next);
  codebook_ = codebook;
  for (auto& [i, bm] : touched) deleted_[i] = bm;
  if (new_seg) {
    segments_.push_back(new_seg);
    deleted_.push_back(std::make_shared<Bitmap>(new_seg->size()));
  }
  pending_.clear();
  pending_index_.clear();
  pending_removes_.clear();
  extra_dirty_ = false;
  publish();
  for (const auto& f : old_deletes) remove_tree(dir_ + "/" + f);
  if (!erase_after.empty()) docs_->erase(erase_after);
  maybe_merge();
  return manifest_.generation;
}

void IndexStore::maybe_merge() {
  const int factor = manifest_.settings.merge_factor;
  while (true) {
    // Segments whose rows are all deleted go at once.
    bool dropped = false;
    for (size_t i = 0; i < segments_.size(); ++i)
      if (deleted_[i]->count() == segments_[i]->size()) {
        merge_range(i, i + 1);
        dropped = true;
        break;
      }
    if (dropped) continue;
    size_t n = segments_.size();
    if (n < size_t(factor)) return;
    auto live = [&](size_t i) { return segments_[i]->size() - deleted_[i]->count(); };
    int level = size_level(live(n - 1), factor);
    size_t begin = n - 1;
    while (begin > 0 && size_level(live(begin - 1), factor) == level) --begin;
    if (n - begin < size_t(factor)) return;
    merge_range(n - size_t(factor), n);
  }
}

uint64_t IndexStore::merge() {
  require_writable("merge");
  if (segments_.size() > 1 || (segments_.size() == 1 && deleted_[0]->count() > 0)) merge_range(0, segments_.size());
  return manifest_.generation;
}

uint64_t IndexStore::merge_range(size_t begin, size_t end) {
  const uint64_t gen = manifest_.generation + 1;
  const IndexSettings& st = manifest_.settings;
  Manifest next = manifest_;
  next.generation = gen;
  uint64_t live_rows = 0;
  for (size_t i = begin; i < end; ++i) live_rows += segments_[i]->size() - deleted_[i]->count();
  std::shared_ptr<const Segment> merged;
  std::vector<SegmentMeta> repl;
  if (live_rows > 0) {
    double avgdl = st.bm25_avgdl > 0 ? st.bm25_avgdl : total_bm25_len() / double(std::max<uint64_t>(1, total_rows()));
    SegmentBuilder b(dir_, seg_name(gen), st, codebook_.get(), avgdl);
    SparseVector sv;
    std::vector<uint32_t> bt;
    std::vector<float> btf;
    float len = 0, blen = 0;
    for (size_t i = begin; i < end; ++i) {
      const Segment& g = *segments_[i];
      for (uint32_t r = 0; r < g.size(); ++r) {
        if (deleted_[i]->test(r)) continue;
        g.sparse()->row(r, sv.ids, sv.weights, len);
        g.bm25()->row(r, bt, btf, blen);
        const float* dense = g.dense() ? g.dense()->vector_at(r) : nullptr;
        if (g.multivec())
          b.add_mv_codes(g.doc_at(r), dense, sv, bt, btf, blen, g.multivec()->codes(r), g.multivec()->num_vectors(r));
        else
          b.add(g.doc_at(r), dense, sv, bt, btf, blen, nullptr, 0);
      }
    }
    SegmentMeta meta = b.finish();
    merged = Segment::open(dir_, meta, st, codebook_.get(), false);
    repl.push_back(meta);
  }
  std::vector<std::string> old;
  for (size_t i = begin; i < end; ++i) old.push_back(manifest_.segments[i].name);
  next.segments.erase(next.segments.begin() + long(begin), next.segments.begin() + long(end));
  next.segments.insert(next.segments.begin() + long(begin), repl.begin(), repl.end());
  write_manifest(next);

  manifest_ = std::move(next);
  segments_.erase(segments_.begin() + long(begin), segments_.begin() + long(end));
  deleted_.erase(deleted_.begin() + long(begin), deleted_.begin() + long(end));
  if (merged) {
    segments_.insert(segments_.begin() + long(begin), merged);
    deleted_.insert(deleted_.begin() + long(begin), std::make_shared<Bitmap>(merged->size()));
  }
  publish();
  for (const auto& n : old) remove_tree(dir_ + "/" + n);  // readers keep their mmaps
  return gen;
}

}  // namespace m3
