#include "index/dense_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexPQ.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <fcntl.h>
#ifdef M3_WITH_FAISS_GPU
#include <faiss/gpu/GpuCloner.h>
#include <faiss/gpu/StandardGpuResources.h>
#include <faiss/gpu/utils/DeviceUtils.h>
#endif
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <regex>

#include "index/simd.h"
#include "index/topk.h"

namespace m3 {

namespace {
// FAISS formats its errors as "Error in <function> at <source file>:<line>: <what>"; only <what> is for
// users (the rest names this machine's build paths).
std::string faiss_reason(const faiss::FaissException& e) {
  const std::string& m = e.msg;
  const size_t at = m.find(" at ");
  if (m.rfind("Error in ", 0) != 0 || at == std::string::npos) return m;
  const size_t colon = m.find(": ", at);
  if (colon == std::string::npos) return m;
  std::string reason = m.substr(colon + 2);
  if (reason.rfind("Error: ", 0) == 0) reason = reason.substr(7);
  return reason;
}
}  // namespace

namespace {

constexpr char kRawMagic[8] = {'M', '3', 'D', 'E', 'N', 'S', 'E', '1'};
constexpr int kDefaultEfSearch = 64;
constexpr int kDefaultNprobe = 16;

// Lets FAISS skip tombstoned rows during the search itself.
struct NotDeleted : faiss::IDSelector {
  const Bitmap* deleted;
  explicit NotDeleted(const Bitmap* d) : deleted(d) {}
  bool is_member(faiss::Index::idx_t id) const override { return !deleted->test(size_t(id)); }
};

// The fp32 rows inside FAISS when it keeps them (Flat, HNSW over Flat), else null. Search re-scores
// from these: same values as the raw file, but already in cache from the search itself.
const float* faiss_rows(const faiss::Index* idx) {
  if (auto* f = dynamic_cast<const faiss::IndexFlat*>(idx)) return f->get_xb();
  if (auto* h = dynamic_cast<const faiss::IndexHNSW*>(idx))
    if (auto* f = dynamic_cast<const faiss::IndexFlat*>(h->storage)) return f->get_xb();
  return nullptr;
}

// Parameters FAISS 1.7.3 accepts but then crashes or hangs on (IVF0 segfaults in training, HNSW0
// loops forever in its constructor, PQ0 divides by zero): checked on the string before FAISS sees it.
void check_factory_numbers(int dim, const std::string& factory) {
  auto bad = [&](const std::string& why) {
    return UsageError("dense factory '" + factory + "': " + why);
  };
  if (factory.empty()) throw bad("empty");
  if (factory.size() > 256) throw bad("longer than 256 characters");
  for (char ch : factory)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && std::string(",_.x-+()").find(ch) == std::string::npos)
      throw bad(std::string("unexpected character '") + ch + "'");
  // Every number in a factory string is a count or a size (nlist, M, bits, dims, ...): 1 .. 2^24.
  static const std::regex number("[0-9]+");
  for (auto it = std::sregex_iterator(factory.begin(), factory.end(), number); it != std::sregex_iterator(); ++it) {
    const std::string digits = it->str();
    if (digits.size() > 9 || std::stoll(digits) < 1 || std::stoll(digits) > (1 << 24))
      throw bad("parameter " + digits + " out of range (every count must be 1 .. 16777216)");
  }
  static const std::regex ivf("IVF([0-9]+)");
  for (auto it = std::sregex_iterator(factory.begin(), factory.end(), ivf); it != std::sregex_iterator(); ++it)
    if (std::stoll((*it)[1].str()) > (1 << 22)) throw bad("IVF nlist " + (*it)[1].str() + " exceeds 4194304");
  static const std::regex hnsw("HNSW([0-9]+)");
  for (auto it = std::sregex_iterator(factory.begin(), factory.end(), hnsw); it != std::sregex_iterator(); ++it) {
    const long long m = std::stoll((*it)[1].str());
    if (m < 2 || m > 512) throw bad("HNSW M " + (*it)[1].str() + " out of range (2 .. 512)");
  }
  static const std::regex pq("PQ([0-9]+)(x([0-9]+))?");
  for (auto it = std::sregex_iterator(factory.begin(), factory.end(), pq); it != std::sregex_iterator(); ++it) {
    if ((*it)[3].matched && std::stoll((*it)[3].str()) > 16) throw bad("PQ bits " + (*it)[3].str() + " out of range (1 .. 16)");
    if (std::stoll((*it)[1].str()) > dim) throw bad("PQ M " + (*it)[1].str() + " exceeds the dimension " + std::to_string(dim));
  }
}

// After construction: what the structure ended up with (sub-indexes, transforms, quantizers).
void check_structure(const faiss::Index* idx, int dim, const std::string& factory) {
  auto bad = [&](const std::string& why) { return UsageError("dense factory '" + factory + "': " + why); };
  if (!idx) throw bad("FAISS built nothing");
  if (idx->d != dim) throw bad("builds an index of dim " + std::to_string(idx->d) + ", not " + std::to_string(dim));
  if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(idx)) {
    if (ivf->nlist < 1) throw bad("IVF needs at least 1 list");
    if (auto* ivfpq = dynamic_cast<const faiss::IndexIVFPQ*>(idx))
      if (ivfpq->pq.M < 1 || ivfpq->pq.nbits < 1 || ivfpq->pq.nbits > 16 || ivfpq->pq.M * ivfpq->pq.dsub != size_t(dim))
        throw bad("PQ with M " + std::to_string(ivfpq->pq.M) + " and " + std::to_string(ivfpq->pq.nbits) +
                  " bits does not divide dim " + std::to_string(dim));
  }
  if (auto* p = dynamic_cast<const faiss::IndexPQ*>(idx))
    if (p->pq.M < 1 || p->pq.nbits < 1 || p->pq.nbits > 16 || p->pq.M * p->pq.dsub != size_t(dim))
      throw bad("PQ with M " + std::to_string(p->pq.M) + " and " + std::to_string(p->pq.nbits) +
                " bits does not divide dim " + std::to_string(dim));
  if (auto* h = dynamic_cast<const faiss::IndexHNSW*>(idx)) {
    const int m = h->hnsw.nb_neighbors(1);
    if (m < 2 || m > 512) throw bad("HNSW M " + std::to_string(m) + " out of range (2 .. 512)");
  }
  if (auto* t = dynamic_cast<const faiss::IndexPreTransform*>(idx)) {
    int d = dim;
    for (const auto* vt : t->chain) {
      if (vt->d_in != d || vt->d_out < 1) throw bad("transform from dim " + std::to_string(vt->d_in) + " to " + std::to_string(vt->d_out) + " does not fit");
      d = vt->d_out;
    }
    if (t->index && t->index->d != d) throw bad("the index after the transforms has dim " + std::to_string(t->index->d) + ", not " + std::to_string(d));
  }
}

std::unique_ptr<faiss::Index> make_index(int dim, const std::string& factory) {
  if (factory.find("IDMap") != std::string::npos)
    throw UsageError("dense factory '" + factory + "': leave out IDMap, ids are managed by m3");
  check_factory_numbers(dim, factory);
  std::unique_ptr<faiss::Index> idx;
  try {
    idx.reset(faiss::index_factory(dim, factory.c_str(), faiss::METRIC_INNER_PRODUCT));
  } catch (const faiss::FaissException& e) {
    throw UsageError("dense factory '" + factory + "' is not a valid FAISS factory string: " + faiss_reason(e));
  }
  check_structure(idx.get(), dim, factory);
  return idx;
}


}  // namespace

DenseIndex::~DenseIndex() = default;

void require_normalized(const float* v, int dim, const std::string& what, float tol) {
  double s = 0;
  for (int i = 0; i < dim; ++i) {
    if (!std::isfinite(v[i])) throw InvalidInputError(what + ": dense vector has a non-finite value at dimension " + std::to_string(i));
    s += double(v[i]) * v[i];
  }
  double norm = std::sqrt(s);
  if (std::fabs(norm - 1.0) > tol)
    throw InvalidInputError(what + ": dense vector is not L2-normalised (norm " + std::to_string(norm) + ")");
}

void DenseIndex::check_factory(int dim, const std::string& factory) { make_index(dim, factory); }

std::unique_ptr<DenseIndex> DenseIndex::build(int dim, const std::string& factory, const float* x, int64_t n,
                                              const int64_t* ids) {
  if (dim <= 0) throw UsageError("dense dim must be positive, got " + std::to_string(dim));
  for (int64_t i = 1; i < n; ++i)
    if (ids[i] <= ids[i - 1]) throw UsageError("DenseIndex::build: ids must be strictly ascending (row " + std::to_string(i) + ")");
  std::unique_ptr<DenseIndex> d(new DenseIndex());
  d->dim_ = dim;
  d->n_ = n;
  d->factory_ = factory;
  d->effective_ = factory;
  d->index_ = make_index(dim, factory);
#ifdef M3_WITH_FAISS_GPU
  // GPU build path (compiled only with -DM3_WITH_FAISS_GPU=ON against a GPU FAISS): Flat and IVF
  // indexes are trained and filled on the GPU, then copied back, so files and searches stay CPU
  // (searches need IDSelector tombstone filtering, which FAISS 1.7.3's GPU indexes lack).
  // HNSW has no GPU builder in 1.7.3 and keeps the CPU path; any GPU failure falls back to it.
  if (n > 0 && !dynamic_cast<faiss::IndexHNSW*>(d->index_.get()) && faiss::gpu::getNumDevices() > 0) {
    try {
      static faiss::gpu::StandardGpuResources resources;
      std::unique_ptr<faiss::Index> gpu(faiss::gpu::index_cpu_to_gpu(&resources, 0, d->index_.get()));
      bool trainable = gpu->is_trained;
      if (!trainable) {
        size_t needed = 256;
        if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(d->index_.get())) needed = std::max<size_t>(needed, 39 * ivf->nlist);
        if (size_t(n) >= needed) {
          gpu->train(n, x);
          trainable = true;
        }
      }
      if (trainable) {
        gpu->add(n, x);
        d->index_.reset(faiss::gpu::index_gpu_to_cpu(gpu.get()));
        d->own_vectors_.assign(x, x + size_t(n) * dim);
        d->own_ids_.assign(ids, ids + n);
        d->vectors_ = d->own_vectors_.data();
        d->ids_ = d->own_ids_.data();
        d->removed_ = Bitmap(size_t(n));
        return d;
      }
    } catch (const faiss::FaissException&) {
      d->index_ = make_index(dim, factory);  // CPU path below
    }
  }
#endif
  if (!d->index_->is_trained) {
    size_t needed = 256;  // PQ codebooks: 256 centroids per sub-quantizer
    if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(d->index_.get())) needed = std::max<size_t>(needed, 39 * ivf->nlist);
    if (size_t(n) < needed) {
      d->fallback_reason_ = std::to_string(n) + " vectors < " + std::to_string(needed) + " needed to train '" + factory + "'";
    } else {
      try {
        d->index_->train(n, x);
      } catch (const faiss::FaissException& e) {
        d->fallback_reason_ = std::string("training '") + factory + "' failed: " + faiss_reason(e);
      }
    }
    if (!d->fallback_reason_.empty()) {
      d->effective_ = "Flat";
      d->index_ = make_index(dim, "Flat");
    }
  }
  if (n > 0) d->index_->add(n, x);
  if (auto* h = dynamic_cast<faiss::IndexHNSW*>(d->index_.get())) h->hnsw.efSearch = kDefaultEfSearch;
  d->own_vectors_.assign(x, x + size_t(n) * dim);
  d->own_ids_.assign(ids, ids + n);
  d->vectors_ = d->own_vectors_.data();
  d->ids_ = d->own_ids_.data();
  d->removed_ = Bitmap(size_t(n));
  return d;
}

std::vector<std::string> DenseIndex::save(const std::string& prefix) const {
  std::string fpath = prefix + ".faiss", rpath = prefix + ".f32";
  // FAISS serialises into memory; the bytes reach the disk through FileWriter (and so through Env).
  faiss::VectorIOWriter bytes;
  try {
    faiss::write_index(index_.get(), &bytes);
  } catch (const faiss::FaissException& e) {
    throw IoError(fpath + ": FAISS write_index failed: " + faiss_reason(e));
  }
  {
    FileWriter fw(fpath);
    fw.write(bytes.data.data(), bytes.data.size());
    fw.close();
  }
  faiss_bytes_ = bytes.data.size();
  FileWriter w(rpath);
  w.write(kRawMagic, 8);
  w.put<int32_t>(dim_);
  w.put<int32_t>(0);
  w.put<int64_t>(n_);
  w.write(ids_, size_t(n_) * sizeof(int64_t));
  w.pad_to(64);
  w.write(vectors_, size_t(n_) * dim_ * sizeof(float));
  w.close();
  return {fpath, rpath};
}

std::unique_ptr<DenseIndex> DenseIndex::load(const std::string& prefix, int expected_dim) {
  std::string fpath = prefix + ".faiss", rpath = prefix + ".f32";
  std::unique_ptr<DenseIndex> d(new DenseIndex());
  d->raw_file_ = MappedFile(rpath);
  BinaryReader r(d->raw_file_.data(), d->raw_file_.size(), rpath);
  r.expect_magic(kRawMagic);
  d->dim_ = r.get<int32_t>("dim");
  r.get<int32_t>("reserved");
  d->n_ = r.get<int64_t>("n");
  if (d->dim_ != expected_dim)
    throw CorruptionError(rpath + ": dim " + std::to_string(d->dim_) + " but the collection's dense dim is " + std::to_string(expected_dim));
  if (d->n_ < 0) r.fail("n");
  d->ids_ = r.array<int64_t>(size_t(d->n_), "ids");
  r.align(64);
  d->vectors_ = r.array<float>(size_t(d->n_) * d->dim_, "vectors");
  if (!path_exists(fpath)) throw NotFoundError(fpath + ": file missing");
  try {
    d->index_.reset(faiss::read_index(fpath.c_str()));
  } catch (const faiss::FaissException& e) {
    throw CorruptionError(fpath + ": FAISS read_index failed (corrupt or truncated): " + faiss_reason(e));
  }
  if (d->index_->d != d->dim_ || d->index_->ntotal != d->n_)
    throw CorruptionError(fpath + ": FAISS index has dim " + std::to_string(d->index_->d) + " and " + std::to_string(d->index_->ntotal) +
                " vectors, expected " + std::to_string(d->dim_) + " and " + std::to_string(d->n_));
  if (auto* h = dynamic_cast<faiss::IndexHNSW*>(d->index_.get())) h->hnsw.efSearch = kDefaultEfSearch;
  d->removed_ = Bitmap(size_t(d->n_));
  d->faiss_bytes_ = MappedFile(fpath).size();
  return d;
}

int64_t DenseIndex::row_of(int64_t id) const {
  const int64_t* e = ids_ + n_;
  const int64_t* it = std::lower_bound(ids_, e, id);
  return (it != e && *it == id) ? int64_t(it - ids_) : -1;
}

float DenseIndex::score(const float* q, int64_t id) const {
  int64_t row = row_of(id);
  if (row < 0) throw NotFoundError("dense index: no document " + std::to_string(id));
  return simd::dot_f32(q, vector_at(row), size_t(dim_));
}

void DenseIndex::remove(const std::vector<int64_t>& ids) {
  for (int64_t id : ids) {
    int64_t row = row_of(id);
    if (row >= 0) removed_.set(size_t(row));
  }
}

int DenseIndex::search_ef(int k, const DenseSearchParams& params, size_t allowed) const {
  if (!dynamic_cast<const faiss::IndexHNSW*>(index_.get()) || n_ == 0) return 0;
  const double widen = double(n_) / double(std::max<size_t>(allowed, 1));
  const double ef = std::max(params.ef_search > 0 ? params.ef_search : kDefaultEfSearch, k) * widen;
  return int(std::min<double>(std::ceil(ef), double(std::max<int64_t>(n_, k))));
}

std::vector<ScoredDoc> DenseIndex::search(const float* q, int k, const DenseSearchParams& params,
                                          const Bitmap* deleted) const {
  if (k <= 0 || n_ == 0) return {};
  // Merge the caller's tombstones with this index's own removals.
  Bitmap merged;
  const Bitmap* filter = deleted;
  if (removed_.count() > 0) {
    merged = removed_;
    if (deleted)
      for (size_t i = 0; i < size_t(n_); ++i)
        if (deleted->test(i)) merged.set(i);
    filter = &merged;
  }
  if (filter && filter->count() >= size_t(n_)) return {};
  NotDeleted sel(filter);
  faiss::SearchParametersHNSW hp;
  faiss::SearchParametersIVF ip;
  faiss::SearchParameters plain;
  faiss::SearchParameters* sp = &plain;
  // HNSW's candidate queue and IVF's probed lists do not grow when the selector rejects rows, so a
  // search that may return only a fraction of the rows widens them by 1/fraction (up to the whole
  // index) to still find about as many allowed rows as an unfiltered search finds rows.
  const double widen = filter ? double(n_) / double(size_t(n_) - filter->count()) : 1.0;
  if (dynamic_cast<const faiss::IndexHNSW*>(index_.get())) {
    hp.efSearch = search_ef(k, params, size_t(n_) - (filter ? filter->count() : 0));
    sp = &hp;
  } else if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(index_.get())) {
    double np = (params.nprobe > 0 ? params.nprobe : kDefaultNprobe) * widen;
    ip.nprobe = size_t(std::min<double>(std::ceil(np), double(ivf->nlist)));
    sp = &ip;
  }
  sp->sel = filter ? &sel : nullptr;
  int kk = int(std::min<int64_t>(k, n_));
  std::vector<float> dist(static_cast<size_t>(kk));
  std::vector<faiss::Index::idx_t> labels(static_cast<size_t>(kk));
  try {
    auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index_.get());
    if (!hnsw) {
      index_->search(1, q, kk, dist.data(), labels.data(), sp);
    } else {
      // FAISS 1.7.3 sizes HNSW's candidate queue from the index's own efSearch and takes only the
      // stop rule from SearchParametersHNSW, so the member must hold the per-query value too.
      // Queries at the current value share the lock; a query asking for another value changes it alone.
      std::shared_lock<std::shared_mutex> shared(ef_mu_);
      if (hnsw->hnsw.efSearch == hp.efSearch) {
        index_->search(1, q, kk, dist.data(), labels.data(), sp);
      } else {
        shared.unlock();
        std::unique_lock<std::shared_mutex> excl(ef_mu_);
        hnsw->hnsw.efSearch = hp.efSearch;
        index_->search(1, q, kk, dist.data(), labels.data(), sp);
      }
    }
  } catch (const faiss::FaissException& e) {
    throw Error(std::string("dense search failed: ") + e.what());
  }
  std::vector<ScoredDoc> out;
  out.reserve(size_t(kk));
  const float* rows = faiss_rows(index_.get());
  for (auto row : labels) {
    if (row < 0) continue;
    const float* v = rows ? rows + size_t(row) * dim_ : vector_at(row);
    out.push_back({ids_[row], simd::dot_f32(q, v, size_t(dim_))});
  }
  std::sort(out.begin(), out.end(), ranks_before);
  return out;
}

// Every allowed row scored, then the top k selected at once (nth_element, then a sort of the k):
// dense+sparse scans for 1,000 of a few thousand rows, where a heap's log(k) per row cost more than the
// dot products.
std::vector<ScoredDoc> DenseIndex::scan(const float* q, int k, const Bitmap& excluded) const {
  if (k <= 0) return {};
  std::vector<ScoredDoc> all;
  all.reserve(size_t(n_));
  excluded.for_each_clear([&](size_t row) {
    if (row < size_t(n_) && !(removed_.size() && removed_.test(row)))
      all.push_back({ids_[row], simd::dot_f32(q, vector_at(int64_t(row)), size_t(dim_))});
  });
  if (all.size() > size_t(k)) {
    std::nth_element(all.begin(), all.begin() + k, all.end(), ranks_before);
    all.resize(size_t(k));
  }
  std::sort(all.begin(), all.end(), ranks_before);
  return all;
}

size_t DenseIndex::faiss_bytes() const {
  if (faiss_bytes_ == 0) {
    faiss::VectorIOWriter w;
    faiss::write_index(index_.get(), &w);
    faiss_bytes_ = w.data.size();
  }
  return faiss_bytes_;
}

}  // namespace m3
