#include "index/doc_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "common/error.h"
#include "common/utf8.h"
#include "index/rocksdb_env.h"

namespace m3 {
namespace {

std::string be64(int64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = char(uint64_t(v) >> (56 - 8 * i));
  return s;
}
int64_t from_be64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | uint8_t(p[i]);
  return int64_t(v);
}
std::string doc_key(int64_t doc) { return "d" + be64(doc); }
std::string id_prefix(const std::string& docid) { return "i" + docid + std::string(1, '\0'); }

void put_str(std::string& out, const std::string& s) {
  uint32_t n = uint32_t(s.size());
  out.append(reinterpret_cast<const char*>(&n), 4);
  out += s;
}
// RocksDB's status as the project's error kinds: I/O (incl. no space) -> IoError, corruption -> CorruptionError.
[[noreturn]] void throw_status(const rocksdb::Status& s, const std::string& message) {
  if (s.IsIOError() || s.IsNoSpace() || s.IsTimedOut() || s.IsBusy() || s.IsTryAgain()) throw IoError(message);
  if (s.IsCorruption()) throw CorruptionError(message);
  if (s.IsInvalidArgument()) throw UsageError(message);
  throw Error(message);
}
void check(const rocksdb::Status& s, const std::string& what) {
  if (!s.ok()) throw_status(s, "doc store: " + what + ": " + s.ToString());
}

std::string_view view_of(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }
}  // namespace

void validate_docid(const std::string& docid) {
  if (docid.empty()) throw UsageError("docid must not be empty");
  if (docid.size() > 1024) throw UsageError("docid '" + docid.substr(0, 64) + "...' is longer than 1024 bytes");
  if (docid.find('\0') != std::string::npos) throw UsageError("docid must not contain a NUL byte");
  require_valid_utf8(docid, "docid");
}

std::unique_ptr<DocStore> DocStore::open(const std::string& dir, bool create) {
  rocksdb::Options opt;
  opt.env = rocksdb_env_over_env_seam();  // writes through index/env.h, like every other file of a collection
  opt.create_if_missing = create;
  opt.error_if_exists = create;
  opt.paranoid_checks = true;
  opt.compression = rocksdb::kNoCompression;
  opt.max_open_files = 256;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(opt, dir, &db);
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos)
    throw IoError(dir + ": the collection is held by another process (an `m3 serve` or another writer): stop it, or write "
                        "through its HTTP API; reads (m3 info, search, eval) work while it runs");
  if (!s.ok()) throw_status(s, dir + ": cannot open the document store (RocksDB): " + s.ToString());
  std::unique_ptr<DocStore> d(new DocStore());
  d->dir_ = dir;
  d->db_.reset(db);
  return d;
}

std::unique_ptr<DocStore> DocStore::open_read_only(const std::string& dir) {
  rocksdb::Options opt;
  opt.paranoid_checks = true;
  opt.max_open_files = 256;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(opt, dir, &db);
  if (!s.ok()) throw Error(dir + ": cannot open the document store (RocksDB, read-only): " + s.ToString());
  std::unique_ptr<DocStore> d(new DocStore());
  d->dir_ = dir;
  d->db_.reset(db);
  return d;
}

DocStore::~DocStore() = default;

void DocStore::put(const std::vector<DocRecord>& records) {
  rocksdb::WriteBatch b;
  for (const auto& r : records) {
    b.Put(doc_key(r.doc), encode_doc_record(r));
    b.Put(id_prefix(r.docid) + be64(r.doc), "");
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  check(db_->Write(wo, &b), "write");
}

void DocStore::erase(const std::vector<DocRecord>& records) {
  rocksdb::WriteBatch b;
  for (const auto& r : records) {
    b.Delete(doc_key(r.doc));
    b.Delete(id_prefix(r.docid) + be64(r.doc));
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  check(db_->Write(wo, &b), "erase");
}

void DocStore::erase_from(int64_t first) {
  std::vector<DocRecord> gone;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(doc_key(first)); it->Valid() && it->key().starts_with("d"); it->Next())
    gone.push_back(decode_doc_record(from_be64(it->key().data() + 1), view_of(it->value())));
  check(it->status(), "scan");
  if (!gone.empty()) erase(gone);
}

DocStore::View DocStore::view() const {
  View v;
  auto db = db_;
  v.db_ = db.get();
  v.snap_ = std::shared_ptr<const rocksdb::Snapshot>(db->GetSnapshot(), [db](const rocksdb::Snapshot* s) { db->ReleaseSnapshot(s); });
  return v;
}

std::optional<DocRecord> DocStore::View::get(int64_t doc) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap_.get();
  std::string v;
  rocksdb::Status s = db_->Get(ro, doc_key(doc), &v);
  if (s.IsNotFound()) return std::nullopt;
  check(s, "get");
  return decode_doc_record(doc, v);
}

std::vector<int64_t> DocStore::View::docs_of(const std::string& docid) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap_.get();
  std::string prefix = id_prefix(docid);
  std::vector<int64_t> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next())
    if (it->key().size() == prefix.size() + 8) out.push_back(from_be64(it->key().data() + prefix.size()));
  check(it->status(), "scan");
  return out;
}

void DocStore::View::for_each(const std::function<void(const DocRecord&)>& fn) const {
  for_each_while([&](const DocRecord& r) {
    fn(r);
    return true;
  });
}

void DocStore::View::for_each_while(const std::function<bool(const DocRecord&)>& fn) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap_.get();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  for (it->Seek("d"); it->Valid() && it->key().starts_with("d"); it->Next())
    if (!fn(decode_doc_record(from_be64(it->key().data() + 1), view_of(it->value())))) break;
  check(it->status(), "scan");
}

void DocStore::View::for_each_in(int64_t first, int64_t last, const std::function<void(const DocRecord&)>& fn) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap_.get();
  const std::string end = doc_key(last);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  for (it->Seek(doc_key(first)); it->Valid() && it->key().starts_with("d") && it->key().compare(end) <= 0; it->Next())
    fn(decode_doc_record(from_be64(it->key().data() + 1), view_of(it->value())));
  check(it->status(), "scan");
}

size_t DocStore::approximate_bytes() const {
  uint64_t sst = 0, mem = 0;
  db_->GetIntProperty("rocksdb.total-sst-files-size", &sst);
  db_->GetIntProperty("rocksdb.cur-size-all-mem-tables", &mem);
  return size_t(sst + mem);
}

std::string encode_doc_record(const DocRecord& r) {
  std::string out;
  put_str(out, r.docid);
  put_str(out, r.title);
  put_str(out, r.text);
  put_str(out, r.metadata_json);
  return out;
}

DocRecord decode_doc_record(int64_t doc, std::string_view v) {
  DocRecord r;
  r.doc = doc;
  size_t pos = 0;
  auto get = [&](std::string& s) {
    uint32_t n;
    if (v.size() - pos < 4) throw CorruptionError("doc store: record of doc " + std::to_string(doc) + " is corrupt");
    std::memcpy(&n, v.data() + pos, 4);
    pos += 4;
    if (v.size() - pos < n) throw CorruptionError("doc store: record of doc " + std::to_string(doc) + " is corrupt");
    s.assign(v.data() + pos, n);
    pos += n;
  };
  get(r.docid);
  get(r.title);
  get(r.text);
  get(r.metadata_json);
  return r;
}

}  // namespace m3
