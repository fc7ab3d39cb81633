// libFuzzer target: a TREC run file (`qid Q0 docid rank score tag`) through read_run_file, what
// `m3 eval --run` reads from any system. Any input must give a run or an m3::Error naming file:line.
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/run_file.h"
#include "tests/fuzz/fuzz_support.h"

std::vector<std::string> m3_fuzz_seeds() {
  return {"1 Q0 doc1 1 12.5 m3-dense-k100\n1 Q0 doc2 2 -3e-2 m3-dense-k100\n2 Q0 d 1 1 x\n",
          "1 Q0 d 1 nan t\n1 Q0 d 1 1e999 t\n", "1 Q0 d x 1 t\n"};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    m3::RunFile r = m3::read_run_file(m3::fuzz::fuzz_file("run.txt", data, size));
    (void)m3::run_depth(r.run);
  } catch (const m3::Error&) {
  }
  return 0;
}
