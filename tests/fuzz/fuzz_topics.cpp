// libFuzzer target: a topics file (qid<TAB>query per line, plain or gzip) through read_topics, what
// `m3 eval` and `m3 search --topics` read. Any input must give topics or an m3::Error naming file:line.
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/topics.h"
#include "tests/fuzz/fuzz_support.h"

std::vector<std::string> m3_fuzz_seeds() {
  return {"1\twhat is a cat\n2\tWas ist ein Hund?\r\n", "q\t\n\n3\tx\ty\n", "1\ta\n1\tb\n", "\xef\xbb\xbf" "7\tbom\n"};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)m3::read_topics(m3::fuzz::fuzz_file("topics.tsv", data, size));
  } catch (const m3::Error&) {
  }
  return 0;
}
