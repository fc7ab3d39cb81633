// DocStore: the collection's documents in RocksDB — external docid <-> internal doc, title, text and
// metadata JSON — with iteration in doc order (re-indexing) and point-in-time views.
//
// Keys:  "d" + big-endian doc            -> record (docid, title, text, metadata_json)
//        "i" + docid + '\0' + be doc     -> ""   (docid -> doc; several while a replace is uncommitted)
// Which docs are live is decided by the commit (MANIFEST segments + their tombstone files), not by
// RocksDB: records are written before the manifest names them, so a crash in between leaves only
// unreferenced records, which IndexStore::open erases (erase_from). Lookups therefore always go
// through a Snapshot, which checks liveness and that the record's docid matches.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rocksdb {
class DB;
class Snapshot;
}  // namespace rocksdb

namespace m3 {

struct DocRecord {
  int64_t doc = -1;
  std::string docid, title, text, metadata_json;
};

// A record as the doc store keeps it (the value of "d"+doc): docid, title, text and metadata, each a
// u32 length and bytes. decode_doc_record throws CorruptionError naming the doc on any value that is
// not exactly that (tests/fuzz/fuzz_doc_record.cpp feeds it arbitrary bytes).
std::string encode_doc_record(const DocRecord& r);
DocRecord decode_doc_record(int64_t doc, std::string_view value);

// Throws UsageError if a docid is empty, has a NUL byte, is longer than 1024 bytes or not UTF-8.
void validate_docid(const std::string& docid);

class DocStore {
 public:
  static std::unique_ptr<DocStore> open(const std::string& dir, bool create);
  // Reads only, without RocksDB's lock: works while another process (`m3 serve`) holds the store.
  // Sees the store as of this call; never writes.
  static std::unique_ptr<DocStore> open_read_only(const std::string& dir);
  ~DocStore();

  // One synced write batch.
  void put(const std::vector<DocRecord>& records);
  void erase(const std::vector<DocRecord>& records);  // record + its mapping key
  // Erases every record with doc >= first (crash leftovers past the manifest's next_doc).
  void erase_from(int64_t first);

  // A consistent point-in-time view (RocksDB snapshot); cheap, shareable across threads.
  class View {
   public:
    std::optional<DocRecord> get(int64_t doc) const;
    std::vector<int64_t> docs_of(const std::string& docid) const;  // ascending
    void for_each(const std::function<void(const DocRecord&)>& fn) const;  // doc order
    // The same until fn returns false (a sample of the first documents without a full scan).
    void for_each_while(const std::function<bool(const DocRecord&)>& fn) const;
    // Records with first <= doc <= last, in doc order (one segment's rows: one range scan).
    void for_each_in(int64_t first, int64_t last, const std::function<void(const DocRecord&)>& fn) const;
   private:
    friend class DocStore;
    std::shared_ptr<const rocksdb::Snapshot> snap_;
    rocksdb::DB* db_ = nullptr;
  };
  View view() const;
  size_t approximate_bytes() const;  // SST + memtable size

 private:
  DocStore() = default;
  std::string dir_;
  std::shared_ptr<rocksdb::DB> db_;
};

}  // namespace m3
