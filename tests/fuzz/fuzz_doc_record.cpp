// libFuzzer target: one doc store record (the RocksDB value of "d"+doc: four length-prefixed
// strings) through decode_doc_record. RocksDB checksums its own blocks; this is the m3 layer above,
// which must turn any value into a record or a CorruptionError naming the doc.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "index/doc_store.h"
#include "tests/fuzz/fuzz_support.h"

std::vector<std::string> m3_fuzz_seeds() {
  m3::DocRecord r;
  r.docid = "doc-1";
  r.title = "A title";
  r.text = "Some text \xe2\x80\x94 with UTF-8";
  r.metadata_json = R"({"lang":"en","year":2001})";
  return {m3::encode_doc_record(r), m3::encode_doc_record(m3::DocRecord{})};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    m3::DocRecord r = m3::decode_doc_record(7, std::string_view(reinterpret_cast<const char*>(data), size));
    (void)r.docid.size();
  } catch (const m3::CorruptionError&) {
  }
  return 0;
}
