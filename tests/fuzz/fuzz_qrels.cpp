// libFuzzer target: a TREC qrels file (`qid Q0 docid rel`, plain or gzip) through read_qrels, what
// `m3 eval` reads. Any input must give judgements or an m3::Error naming file:line.
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/qrels.h"
#include "tests/fuzz/fuzz_support.h"

std::vector<std::string> m3_fuzz_seeds() {
  return {"1 Q0 doc1 1\n1 Q0 doc2 0\n2\tQ0\tdoc#3\t2\r\n", "1 Q0 d -1\n1 Q0 d 99999999999\n", "a b c\n", "1 0 d 1x\n"};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)m3::read_qrels(m3::fuzz::fuzz_file("qrels.txt", data, size));
  } catch (const m3::Error&) {
  }
  return 0;
}
