// libFuzzer target: stored document metadata (one JSON text per line of the input, a segment's rows)
// through MetadataColumns, the column form filters run on, then the same differential check as
// fuzz_metadata_filter with a fixed set of filters: the columns must select exactly the rows the
// brute-force matches() accepts over the parsed metadata. Metadata that is not JSON counts as none.
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/metadata_filter.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/metadata_check.h"

std::vector<std::string> m3_fuzz_seeds() {
  return {"{\"lang\":\"de\",\"year\":2005,\"tags\":[\"a\",\"c\"],\"src\":{\"site\":true}}\n{\"lang\":\"en\",\"year\":1999}\n{}\n",
          "{\"tags\":[1,[2,[3]]],\"n\":-0.0}\nnot json\n{\"year\":\"2001\",\"lang\":null}\n",
          "{\"a\":{\"b\":{\"c\":1}},\"a.b\":{\"c\":2}}\n"};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<std::shared_ptr<const m3::MetadataFilter>> filters = [] {
    std::vector<std::shared_ptr<const m3::MetadataFilter>> out;
    for (const char* f : {R"({"field":"lang","eq":"de"})", R"({"field":"year","range":{"gte":2000,"lt":2010}})",
                          R"({"field":"tags","in":["a",1,true]})", R"({"not":{"field":"src.site","eq":true}})",
                          R"({"or":[{"field":"a.b.c","eq":1},{"field":"n","range":{"lte":0}}]})",
                          R"({"field":"year","eq":2005})"})
      out.push_back(m3::parse_metadata_filter(std::string(f)));
    return out;
  }();
  std::vector<std::string> rows;
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (size_t start = 0; start <= text.size() && rows.size() < 256;) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    rows.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  for (const auto& f : filters) m3::fuzz::check_filter_agrees(*f, rows);
  return 0;
}
