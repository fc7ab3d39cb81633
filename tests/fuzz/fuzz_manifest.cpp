// libFuzzer target: Manifest::parse on arbitrary bytes (the MANIFEST is the one file every open
// reads first). Any input must parse or give a CorruptionError; anything else is a bug.
#include <cstdint>
#include <string>

#include "common/error.h"
#include "index/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    m3::Manifest m = m3::Manifest::parse(text, "fuzz/MANIFEST");
    (void)m3::Manifest::parse(m.serialize(), "fuzz/MANIFEST(re-serialised)");  // round trip must hold
  } catch (const m3::CorruptionError&) {
  }
  return 0;
}
