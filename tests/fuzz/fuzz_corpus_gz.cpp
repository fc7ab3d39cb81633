// libFuzzer target: gzip corpus files. The input is written as in.jsonl.gz / in.tsv.gz and read to
// the end by CorpusReader (what m3 index and m3 add do, with --skip-bad's "skip the bad line, keep
// going" loop), and by read_maybe_gzipped (the evaluation readers' whole-file path). Truncated or
// corrupt streams must end in a CorruptionError/IoError, never a hang (issue 16 #4: --skip-bad
// spun forever on a truncated .gz) or a crash.
#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/corpus_reader.h"
#include "engine/gz_file.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

std::string gzip(const std::string& plain) {
  const std::string path = m3::fuzz::temp_dir() + "/seed.gz";
  gzFile gz = gzopen(path.c_str(), "wb");
  gzwrite(gz, plain.data(), unsigned(plain.size()));
  gzclose(gz);
  return m3::fuzz::slurp(path);
}

}  // namespace

std::vector<std::string> m3_fuzz_seeds() {
  const std::string jsonl = "{\"docid\":\"a\",\"text\":\"hello\"}\n{\"docid\":\"b\",\"title\":\"t\",\"text\":\"x\",\"k\":[1]}\n";
  const std::string tsv = "id1\thello world\nid2\ttext\textra\n";
  std::string whole = gzip(jsonl), truncated = whole.substr(0, whole.size() / 2);
  return {whole, gzip(tsv), truncated, gzip(jsonl) + gzip(tsv) /* two members */, jsonl};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (const char* name : {"in.jsonl.gz", "in.tsv.gz"}) {
    const std::string path = m3::fuzz::fuzz_file(name, data, size);
    try {
      m3::CorpusReader r(path, m3::fuzz::kFuzzBufferBytes);
      m3::Document d;
      for (int i = 0; i < 10000; ++i) {  // bounded: a reader that never ends is the hang libFuzzer reports
        try {
          if (!r.next(d)) break;
        } catch (const m3::InvalidInputError&) {
        }
      }
    } catch (const m3::CorruptionError&) {
    } catch (const m3::IoError&) {
    }
  }
  try {
    (void)m3::read_maybe_gzipped(m3::fuzz::temp_dir() + "/in.jsonl.gz");
  } catch (const m3::Error&) {
  }
  return 0;
}
