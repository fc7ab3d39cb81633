// libFuzzer target: the body of POST /collections/{c}/search as the server reads it: bounded JSON
// (the server's default body limits), an object, then parse_search_request (every setting's type and
// bound, and the metadata filter). Any input must give SearchParams or an m3::Error naming the field
// (the server's 400); an exception of another type would be a 500, a crash would take the server down.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json_input.h"
#include "engine/search_request.h"
#include "tests/fuzz/fuzz_support.h"

std::vector<std::string> m3_fuzz_seeds() {
  return {R"({"query":"what is m3","k":10,"mode":"all","weights":[0.4,0.2,0.4],"depth":100})",
          R"({"query":"q","mode":"dense+sparse","fusion":"rrf","rrf_k":60,"offset":10,"sparse_algo":"bmw"})",
          R"({"query":"q","mode":"dense","ef_search":256,"nprobe":8,"query_max_length":512,"filter":{"and":[{"field":"lang","eq":"de"},{"not":{"field":"year","range":{"gte":2000,"lt":2010}}},{"field":"tag","in":["a",1,true]}]}})",
          R"({"k":1e309})", R"({"k":-1,"weights":[],"mode":7})"};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    m3::JsonLimits limits;
    limits.max_bytes = 1 << 20;  // ServerOptions' defaults (http/server_options.h)
    limits.max_depth = 32;
    const nlohmann::json j =
        m3::parse_json_input(std::string_view(reinterpret_cast<const char*>(data), size), "request body", limits);
    if (!j.is_object()) return 0;
    m3::SearchParams p = m3::parse_search_request(j, m3::SearchBounds{}, {"query"});
    (void)p;
    m3::SearchParams flags = m3::parse_search_request(j, m3::SearchBounds{}, {"query"}, m3::KeyStyle::Flag);
    (void)flags;
  } catch (const m3::Error&) {
  }
  return 0;
}
