// libFuzzer target: MKQA answer files (the published JSONL and the plain {"qid","answers"} form)
// through read_answers and read_mkqa_queries, and the answer normaliser over the raw bytes (it
// decodes UTF-8 by hand). Any input must give answers or an m3::Error naming file:line.
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/answers.h"
#include "tests/fuzz/fuzz_support.h"

std::vector<std::string> m3_fuzz_seeds() {
  return {R"({"example_id":563,"queries":{"en":"who?","de":"wer?"},"answers":{"en":[{"type":"entity","text":"Paris","aliases":["City of Light"]}],"de":[{"text":"Paris"}]}})"
          "\n",
          R"({"qid":"1","answers":["Ｆｕｌｌ width","ÄÖÜ — x"]})" "\n" R"({"qid":2,"answers":[]})" "\n",
          "{\"example_id\":\"x\",\"queries\":{\"ja\":\"\xe3\x81\x82\"},\"answers\":{\"en\":\"s\"}}\n"};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = m3::fuzz::fuzz_file("answers.jsonl", data, size);
  try {
    (void)m3::read_answers(path, "en");
  } catch (const m3::Error&) {
  }
  try {
    (void)m3::read_mkqa_queries(path, "en");
  } catch (const m3::Error&) {
  }
  (void)m3::normalize_answer_text(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
