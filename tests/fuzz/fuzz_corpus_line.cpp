// libFuzzer target: one corpus line through the JSONL and TSV paths of CorpusReader (what m3 index,
// m3 add and the HTTP server's documents go through). Any input must give a Document or an
// InvalidInputError; a crash, hang, leak or sanitizer report is a bug.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "common/error.h"
#include "engine/corpus_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    m3::Document d = m3::CorpusReader::parse_json_document(text, "fuzz:1");
    (void)d.passage();
  } catch (const m3::InvalidInputError&) {
  }
  // The file path: the same bytes as a whole .jsonl and .tsv file (NULs, BOMs, CRs, many lines).
  static const std::string dir = [] {
    char t[] = "/tmp/m3fuzz_XXXXXX";
    return std::string(mkdtemp(t));
  }();
  for (const char* name : {"/in.jsonl", "/in.tsv"}) {
    const std::string path = dir + name;
    if (FILE* f = std::fopen(path.c_str(), "wb")) {
      std::fwrite(data, 1, size, f);
      std::fclose(f);
    }
    try {
      m3::CorpusReader r(path);
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
