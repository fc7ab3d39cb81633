// libFuzzer target: a segment's dense.f32 (ids + raw fp32 vectors, m3's own format; exact dense
// scores come from it) through DenseIndex::load beside a valid dense.faiss of 3 rows at dim 8, then
// search() and score(). dense.faiss itself is FAISS's format, read by FAISS's read_index: m3 only
// reads it after the MANIFEST's size and xxHash3 check passed, and does not fuzz FAISS.
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "index/dense_index.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

constexpr int kDim = 8;

// Writes <tmp>/dense.faiss + dense.f32 once; returns the f32 file's bytes.
const std::string& valid_raw() {
  static const std::string raw = [] {
    std::vector<float> x(3 * kDim);
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 5) - 2.f;
    const int64_t ids[3] = {4, 9, 17};
    auto d = m3::DenseIndex::build(kDim, "Flat", x.data(), 3, ids);
    d->save(m3::fuzz::temp_dir() + "/dense");
    return m3::fuzz::slurp(m3::fuzz::temp_dir() + "/dense.f32");
  }();
  return raw;
}

}  // namespace

std::vector<std::string> m3_fuzz_seeds() { return {valid_raw()}; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)valid_raw();
  m3::fuzz::fuzz_file("dense.f32", data, size);
  try {
    auto d = m3::DenseIndex::load(m3::fuzz::temp_dir() + "/dense", kDim);
    std::vector<float> q(kDim, 0.5f);
    for (const auto& hit : d->search(q.data(), 3, {})) (void)d->score(q.data(), hit.doc);
    m3::Bitmap none(size_t(d->size()));
    (void)d->scan(q.data(), 3, none);
  } catch (const m3::Error&) {
  }
  return 0;
}
