// libFuzzer target: one corpus line through the JSONL and TSV paths of CorpusReader (what m3 index,
// m3 add and the HTTP server's documents go through). Any input must give a Document or an
// InvalidInputError; a crash, hang, leak or sanitizer report is a bug.
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/corpus_reader.h"
#include "tests/fuzz/fuzz_support.h"

std::vector<std::string> m3_fuzz_seeds() {
  return {R"({"docid":"a","title":"t","text":"hello","lang":"en","tags":[1,2,{"x":null}]})",
          "id1\thello world\textra\n\xef\xbb\xbfid2\ttext\n",
          "{\"_id\":7,\"text\":\"x\\u0000y\"}\n{\"docid\":\"b\",\"text\":\"\xef\xbb\xbfz\"}\n",
          "{\"id\":\"c\",\"text\":\"t\",\"m\":{\"a\":[1.5,-2e3,true]}}\r\n\n{\"docid\":\"d\",\"text\":\"\"}\n"};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    m3::Document d = m3::CorpusReader::parse_json_document(text, "fuzz:1");
    (void)d.passage();
  } catch (const m3::InvalidInputError&) {
  }
  // The file path: the same bytes as a whole .jsonl and .tsv file (NULs, BOMs, CRs, many lines).
  for (const char* name : {"in.jsonl", "in.tsv"}) {
    const std::string path = m3::fuzz::fuzz_file(name, data, size);
    try {
      m3::CorpusReader r(path, m3::fuzz::kFuzzBufferBytes);
      m3::Document d;
      for (int i = 0; i < 10000; ++i) {
        try {
          if (!r.next(d)) break;
        } catch (const m3::InvalidInputError&) {
        }
      }
    } catch (const m3::CorruptionError&) {
    } catch (const m3::IoError&) {
    }
  }
  return 0;
}
