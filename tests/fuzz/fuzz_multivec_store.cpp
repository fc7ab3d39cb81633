// libFuzzer target: a segment's multivec.bin (header, offsets, codes of one codec) through
// MultiVectorStore::open at the collection's dim (64), then decode() and MaxSim of the first rows,
// with a residual codebook for residual files. open() must reject any file a reader could go out of
// bounds on, with a CorruptionError naming the file.
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "index/multivec_store.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

constexpr int kDim = 64;  // binary needs a multiple of 64 for the Hamming pre-score

const m3::ResidualCodebook& codebook() {
  static const m3::ResidualCodebook cb = [] {
    std::vector<float> x(128 * kDim);
    for (size_t i = 0; i < x.size(); ++i) x[i] = float((i * 7919) % 101) / 50.f - 1.f;
    return m3::ResidualCodebook::train(x.data(), 128, kDim, 2);
  }();
  return cb;
}

std::string build(m3::MvCodec codec, int bits) {
  const std::string path = m3::fuzz::temp_dir() + "/seed-multivec.bin";
  m3::MultiVectorWriter w(path, codec, kDim, bits, &codebook());
  std::vector<float> v(3 * kDim);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(int(i % 13) - 6) / 6.f;
  w.add(v.data(), 3);
  w.add(v.data(), 0);
  w.add(v.data() + kDim, 1);
  w.finish();
  return m3::fuzz::slurp(path);
}

}  // namespace

std::vector<std::string> m3_fuzz_seeds() {
  return {build(m3::MvCodec::Fp32, 0), build(m3::MvCodec::Fp16, 0), build(m3::MvCodec::Int8, 0),
          build(m3::MvCodec::Binary, 0), build(m3::MvCodec::Residual, 2)};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto s = m3::MultiVectorStore::open(m3::fuzz::fuzz_file("multivec.bin", data, size), kDim, &codebook());
    std::vector<float> q(2 * kDim, 0.125f);
    const m3::MaxSimQuery prepared = s->prepare(q.data(), 2);
    for (uint32_t r = 0; r < s->num_docs() && r < 16; ++r) {
      (void)s->decode(r);
      (void)s->maxsim(prepared, r);
      (void)s->maxsim_reference(q.data(), 2, r);
      if (s->codec() == m3::MvCodec::Binary) {
        const std::vector<uint64_t> bits = m3::MultiVectorStore::sign_bits(q.data(), 2, kDim);
        (void)s->hamming_prescore(bits.data(), 2, r);
      }
    }
  } catch (const m3::Error&) {
  }
  return 0;
}
