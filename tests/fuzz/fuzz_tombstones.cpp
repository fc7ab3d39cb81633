// libFuzzer target: a tombstone file (seg-<g>/del-<g>.bin: magic, count, u32 rows) through
// read_deletes for a 200-row segment. read_deletes checks the file's size and xxHash3 against the
// MANIFEST's entry first; the harness makes that entry from the input itself, so the parser behind
// the checksum is what is fuzzed.
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "index/manifest.h"
#include "index/segment.h"
#include "tests/fuzz/fuzz_support.h"

std::vector<std::string> m3_fuzz_seeds() {
  std::vector<std::string> seeds;
  for (size_t n : {0, 1, 3}) {
    m3::Bitmap b(200);
    for (size_t i = 0; i < n; ++i) b.set(i * 97 % 200);
    m3::write_deletes(m3::fuzz::temp_dir(), "seed-del.bin", b);
    seeds.push_back(m3::fuzz::slurp(m3::fuzz::temp_dir() + "/seed-del.bin"));
  }
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  m3::fuzz::fuzz_file("del.bin", data, size);
  try {
    const m3::FileEntry f = m3::file_entry(m3::fuzz::temp_dir(), "del.bin");
    m3::Bitmap b = m3::read_deletes(m3::fuzz::temp_dir(), f, 200);
    (void)b.count();
  } catch (const m3::Error&) {
  }
  return 0;
}
