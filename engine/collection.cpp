#include "engine/collection.h"

#include "index/env.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "engine/manifest_extra.h"
#include "index/file_io.h"

namespace m3 {

namespace {
constexpr int kCollectionVersion = 1;

std::string absolute(const std::string& p) {
  char* r = ::realpath(p.c_str(), nullptr);
  if (!r) return p;
  std::string s(r);
  std::free(r);
  return s;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Token ids BM25 sees: the passage's pieces without <s>/</s> (and MCLS <s>).
std::vector<int32_t> bm25_tokens(const std::vector<int32_t>& ids) {
  std::vector<int32_t> out;
  out.reserve(ids.size());
  for (int32_t id : ids)
    if (id > 2) out.push_back(id);
  return out;
}
}  // namespace

std::unique_ptr<Collection> Collection::create(const std::string& dir, const CollectionOptions& options,
                                               std::shared_ptr<const Encoder> encoder) {
  if (options.passage_max_length < 2) throw UsageError("passage max length must be at least 2");
  if (!encoder) {
    const std::string model = options.model_dir.empty() ? default_model_dir() : options.model_dir;
    encoder = Encoder::load(model);
  }
  IndexSettings s;
  s.dense_dim = encoder->dense_dim();
  s.multivec_dim = encoder->multivec_dim();
  s.dense_factory = options.dense;
  s.mv_codec = options.mv_codec;
  s.mv_bits = options.mv_bits;
  s.bm25_avgdl = options.bm25_avgdl;
  s.extra = {{"version", kCollectionVersion},
             {"model", {{"dir", absolute(encoder->model_dir())}, {"fingerprint", encoder->fingerprint()}}},
             {"passage_max_length", options.passage_max_length}};
  s.validate();
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) throw UsageError(dir + ": already exists");
  // Create under a temporary name and rename when the first MANIFEST is on disk, so a crash during
  // creation never leaves a half-made directory at `dir` (a later run would refuse it).
  const std::string tmp = dir + ".creating";
  Env::current()->remove_tree(tmp);  // leftover of an earlier crash: ours by name
  IndexStore::create(tmp, s).reset();
  Env::current()->rename(tmp, dir);
  fsync_parent_dir(dir);  // the rename itself is durable: a crash now cannot bring back `.creating`
  auto c = std::unique_ptr<Collection>(new Collection());
  c->dir_ = dir;
  c->encoder_ = std::move(encoder);
  c->passage_max_length_ = options.passage_max_length;
  c->store_ = IndexStore::open(dir);
  return c;
}

std::pair<std::string, std::string> Collection::recorded_model(const std::string& dir) {
  auto store = IndexStore::open(dir);
  const auto& extra = store->settings().extra;
  if (!extra.is_object() || !extra.contains("model") || !extra["model"].is_object() || !extra["model"].contains("fingerprint"))
    throw Error(dir + ": MANIFEST lacks the model it was built with (not an m3 collection?)");
  return {extra_string(extra["model"], "dir", "", dir), extra_string(extra["model"], "fingerprint", "", dir)};
}

std::unique_ptr<Collection> Collection::open(const std::string& dir, std::shared_ptr<const Encoder> encoder,
                                             const std::string& model_dir, Access access) {
  auto c = std::unique_ptr<Collection>(new Collection());
  c->dir_ = dir;
  c->store_ = access == Access::ReadOnly ? IndexStore::open_read_only(dir) : IndexStore::open(dir);
  const auto& extra = c->store_->settings().extra;
  if (!extra.is_object() || !extra.contains("model") || !extra["model"].is_object() || !extra["model"].contains("fingerprint"))
    throw Error(dir + ": MANIFEST lacks the model it was built with (not an m3 collection?)");
  const int64_t version = extra_integer(extra, "version", 0, 0, INT32_MAX, dir);
  if (version > kCollectionVersion)
    throw Error(dir + ": collection version " + std::to_string(version) + " is newer than this m3");
  const std::string recorded_dir = extra_string(extra["model"], "dir", "", dir);
  const std::string recorded_fp = extra_string(extra["model"], "fingerprint", "", dir);
  if (!encoder) {
    std::string m = model_dir.empty() ? recorded_dir : model_dir;
    struct stat st;
    if (m.empty() || ::stat(m.c_str(), &st) != 0)
      throw Error(dir + ": the model it was built with (" + recorded_dir + ") is not there; pass --model DIR");
    encoder = Encoder::load(m);
  }
  if (encoder->fingerprint() != recorded_fp)
    throw Error(dir + ": built with model " + recorded_dir + " (fingerprint " + recorded_fp + "), but model " +
                encoder->model_dir() + " (fingerprint " + encoder->fingerprint() + ") is loaded");
  c->encoder_ = std::move(encoder);
  c->passage_max_length_ = static_cast<int>(extra_integer(extra, "passage_max_length", 8192, 2, 1 << 20, dir));
  return c;
}

DocInput Collection::to_input(const Document& doc, const Embedding& e) const {
  DocInput in;
  in.docid = doc.docid;
  in.title = doc.title;
  in.text = doc.text;
  in.metadata_json = doc.metadata_json.empty() ? "{}" : doc.metadata_json;
  in.dense = e.dense;
  in.sparse = e.sparse;
  in.token_ids = bm25_tokens(e.input_ids);
  in.multivec = e.colbert;
  in.n_vectors = e.colbert_rows;
  return in;
}

size_t bm25_document_length(const Encoder& encoder, const std::string& passage, int max_length) {
  return bm25_tokens(encoder.tokenize(passage, max_length)).size();
}

void Collection::add(const std::vector<Document>& docs) {
  std::vector<std::string> passages;
  passages.reserve(docs.size());
  for (const auto& d : docs) {
    validate_docid(d.docid);
    passages.push_back(d.passage());
  }
  auto embs = encoder_->encode(passages, passage_max_length_);
  std::lock_guard<std::mutex> lock(write_mu_);
  for (size_t i = 0; i < docs.size(); ++i) store_->upsert(to_input(docs[i], embs[i]));
}

void Collection::add_encoded(const Document& doc, const Embedding& e) {
  std::lock_guard<std::mutex> lock(write_mu_);
  store_->upsert(to_input(doc, e));
}

void Collection::remove(const std::string& docid) {
  std::lock_guard<std::mutex> lock(write_mu_);
  store_->remove(docid);
}

uint64_t Collection::commit() { return commit_with(nlohmann::json::object()); }

uint64_t Collection::commit_with(const nlohmann::json& patch) {
  std::lock_guard<std::mutex> lock(write_mu_);
  if (!patch.empty()) {
    auto extra = store_->settings().extra;
    extra.merge_patch(patch);
    store_->set_extra(extra);
  }
  return store_->commit();
}

uint64_t Collection::optimize() {
  std::lock_guard<std::mutex> lock(write_mu_);
  store_->commit();
  return store_->merge();
}

size_t Collection::pending() const {
  std::lock_guard<std::mutex> lock(write_mu_);
  return store_->pending();
}

nlohmann::json Collection::extra() const { return store_->snapshot()->settings().extra; }

namespace {
// One page of the ranking: the top offset + k, less the first offset (the ranking is deterministic:
// score descending, then doc id, so pages never overlap or skip).
SearchResult search_page(const Snapshot& snap, const Embedding& query, SearchParams p) {
  const int offset = p.offset;
  p.k += offset;
  p.offset = 0;
  auto r = search_snapshot(snap, query, p);
  r.hits.erase(r.hits.begin(), r.hits.begin() + std::min<std::ptrdiff_t>(offset, static_cast<std::ptrdiff_t>(r.hits.size())));
  return r;
}
}  // namespace

SearchResult Collection::search_embedding(const Embedding& query, const SearchParams& params) const {
  params.validate();
  auto snap = store_->snapshot();
  return search_page(*snap, query, params.with_model_weights(encoder_->fusion_weights()));
}

std::vector<SearchResult> Collection::search_embedding_sweep(const Embedding& query, const SearchParams& params,
                                                             const std::vector<HeadWeights>& weight_sets) const {
  params.validate();
  auto snap = store_->snapshot();
  SearchParams p = params;  // one page of each ranking, as search_page cuts it
  const int offset = p.offset;
  p.k += offset;
  p.offset = 0;
  auto out = search_snapshot_sweep(*snap, query, p, weight_sets);
  for (auto& r : out)
    r.hits.erase(r.hits.begin(), r.hits.begin() + std::min<std::ptrdiff_t>(offset, static_cast<std::ptrdiff_t>(r.hits.size())));
  return out;
}

SearchResult Collection::search(const std::string& query, const SearchParams& params) const {
  return search_batch({query}, params)[0];
}

std::vector<SearchResult> Collection::search_batch(const std::vector<std::string>& queries, const SearchParams& params) const {
  params.validate();
  auto t0 = std::chrono::steady_clock::now();
  auto embs = encoder_->encode(queries, params.query_max_length);
  const double encode_ms = ms_since(t0) / std::max<size_t>(1, queries.size());
  auto snap = store_->snapshot();  // one commit for the whole batch
  std::vector<SearchResult> out;
  out.reserve(queries.size());
  for (const auto& e : embs) {
    out.push_back(search_page(*snap, e, params.with_model_weights(encoder_->fusion_weights())));
    out.back().encode_ms = encode_ms;
  }
  return out;
}

std::optional<DocRecord> Collection::find_document(const std::string& docid) const {
  auto snap = store_->snapshot();
  auto doc = snap->find(docid);
  if (!doc) return std::nullopt;
  return snap->doc(*doc);
}

CollectionInfo Collection::info() const {
  auto snap = store_->snapshot();
  const auto& s = snap->settings();
  CollectionInfo i;
  i.dir = dir_;
  i.model_dir = s.extra["model"].value("dir", "");
  i.fingerprint = s.extra["model"].value("fingerprint", "");
  i.dense = s.dense_factory;
  i.mv_codec = s.mv_codec;
  i.mv_bits = s.mv_bits;
  i.bm25_avgdl = s.bm25_avgdl;
  i.dense_dim = s.dense_dim;
  i.multivec_dim = s.multivec_dim;
  // What encoding really uses: the setting, capped by the model's positions (max_position_embeddings - 2).
  i.passage_max_length = std::min(passage_max_length_, encoder_->config().max_tokens());
  i.generation = snap->generation();
  i.documents = snap->live_documents();
  i.segments = snap->num_segments();
  i.sizes = snap->sizes();
  return i;
}

}  // namespace m3
