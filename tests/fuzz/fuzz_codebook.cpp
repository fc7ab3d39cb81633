// libFuzzer target: the residual multivec codebook (mv-codebook-<g>.bin) through
// ResidualCodebook::deserialize, then an encoder built on it (what opening a residual collection
// does). The file ends with its own xxHash3; random bytes never match it, so the harness appends
// the right checksum to the input: the parser behind the checksum is what is fuzzed (a file that
// passes its checksum but is not what m3 wrote must still be an error, not a crash).
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "index/file_io.h"
#include "index/multivec_codec.h"
#include "tests/fuzz/fuzz_support.h"

std::vector<std::string> m3_fuzz_seeds() {
  std::vector<float> x(64 * 16);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float((i * 7919) % 101) / 50.f - 1.f;
  std::vector<std::string> seeds;
  for (int bits : {1, 2, 4}) {
    std::string s = m3::ResidualCodebook::train(x.data(), 64, 16, bits).serialize();
    seeds.push_back(s.substr(0, s.size() - 8));  // the harness adds the checksum back
  }
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  const uint64_t sum = m3::checksum_bytes(bytes.data(), bytes.size());
  bytes.append(reinterpret_cast<const char*>(&sum), 8);
  try {
    m3::ResidualCodebook cb = m3::ResidualCodebook::deserialize(bytes, "fuzz/mv-codebook.bin");
    m3::MvEncoder enc(m3::MvCodec::Residual, cb.dim, cb.bits, &cb);
    if (cb.dim <= 4096) {
      std::vector<float> v(size_t(cb.dim), 0.25f), back(size_t(cb.dim));
      std::vector<uint8_t> code(enc.code_size());
      enc.encode(v.data(), 1, code.data());
      enc.decode(code.data(), back.data());
    }
  } catch (const m3::Error&) {
  }
  return 0;
}
