// libFuzzer target: the filter language (--filter text, a search body's "filter") through
// parse_metadata_filter, then a differential check: the rows the filter selects over a small
// segment's metadata columns (what searches use) must be exactly the documents the brute-force
// matches() accepts. A parse must give a filter or a UsageError naming the path; a disagreement
// between the two evaluators aborts (a wrong result, the worst kind of bug).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/metadata_filter.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/metadata_check.h"

std::vector<std::string> m3_fuzz_seeds() {
  return {R"({"field":"lang","eq":"de"})", R"({"field":"year","range":{"gte":2000,"lt":2010}})",
          R"({"or":[{"field":"tags","in":["a","b",3]},{"not":{"field":"src.site","eq":true}}]})",
          R"({"and":[{"field":"n","range":{"gt":-1.5}},{"field":"n","range":{"lte":1e300}}]})", R"({"field":"x"})"};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::shared_ptr<const m3::MetadataFilter> f;
  try {
    f = m3::parse_metadata_filter(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const m3::Error&) {
    return 0;
  }
  static const std::vector<std::string> docs = {
      R"({"lang":"de","year":2005,"tags":["a","c"],"src":{"site":true},"n":0})",
      R"({"lang":"en","year":1999.5,"tags":"b","n":-2,"x":null})",
      R"({"year":"2001","tags":[3,[4]],"src":{"site":"x"},"n":1e300})",
      "{}", "[1,2]", R"({"lang":["de","en"],"n":[1,-1],"src":[{"site":false}]})"};
  m3::fuzz::check_filter_agrees(*f, docs);
  return 0;
}
