// libFuzzer target: Manifest::parse on arbitrary bytes (the MANIFEST is the one file every open
// reads first). Any input must parse or give a CorruptionError; anything else is a bug.
// The MANIFEST carries its own xxHash3, which random bytes never match; so an input that is a JSON
// object is also parsed a second time with its checksum set right, which fuzzes the field checks
// behind it (a hand-edited MANIFEST with a recomputed checksum must still be an error, not a crash).
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json_input.h"
#include "index/file_io.h"
#include "index/manifest.h"
#include "tests/fuzz/fuzz_support.h"

std::vector<std::string> m3_fuzz_seeds() {
  m3::Manifest m;
  std::vector<std::string> seeds{m.serialize()};
  m.generation = 3;
  m.next_doc = 12;
  m.settings.dense_factory = "HNSW32";
  m.settings.mv_codec = "residual";
  m.codebook = m3::FileEntry{"mv-codebook-1.bin", 1234, 0xfeedfacecafebeefull};
  m3::SegmentMeta s;
  s.name = "seg-1";
  s.n_docs = 10;
  s.first_doc = 0;
  s.last_doc = 11;
  s.files = {{"seg-1/docs.bin", 96, 1}, {"seg-1/sparse.bin", 4096, 2}};
  s.deletes = m3::FileEntry{"seg-1/del-3.bin", 24, 3};
  s.n_deleted = 2;
  s.dense_factory = "Flat";
  s.dense_fallback = "IVF needs 39 vectors per list";
  s.bm25_total_len = 1234.5;
  m.segments.push_back(s);
  seeds.push_back(m.serialize());
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    m3::Manifest m = m3::Manifest::parse(text, "fuzz/MANIFEST");
    (void)m3::Manifest::parse(m.serialize(), "fuzz/MANIFEST(re-serialised)");  // round trip must hold
  } catch (const m3::CorruptionError&) {
  }
  nlohmann::json j;
  try {
    j = m3::parse_json_input(text, "fuzz/MANIFEST", m3::JsonLimits{1u << 20, 64});
  } catch (const m3::InvalidInputError&) {
    return 0;
  }
  if (!j.is_object()) return 0;
  j.erase("checksum");
  std::string body;
  try {
    body = j.dump();
  } catch (const nlohmann::json::exception&) {  // invalid UTF-8 in a string: parse() rejects it too
    return 0;
  }
  char sum[17];
  std::snprintf(sum, sizeof sum, "%016llx", static_cast<unsigned long long>(m3::checksum_bytes(body.data(), body.size())));
  j["checksum"] = sum;
  try {
    m3::Manifest m = m3::Manifest::parse(j.dump(), "fuzz/MANIFEST(checksum fixed)");
    (void)m3::Manifest::parse(m.serialize(), "fuzz/MANIFEST(re-serialised)");
  } catch (const m3::CorruptionError&) {
  }
  return 0;
}
