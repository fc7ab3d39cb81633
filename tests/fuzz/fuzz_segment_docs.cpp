// libFuzzer target: a segment's docs.bin (row -> doc id) through Segment::open, beside valid
// sparse.bin and bm25.bin of 3 rows (no dense, no multivec), then row_of(). Segment::open must
// reject ids that are not ascending or a count that differs from the MANIFEST's, naming the file.
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "index/segment.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

struct Built {
  m3::SegmentMeta meta;
  m3::IndexSettings settings;
  std::string docs_bin;
};

// A 3-row segment under the temp dir, built once by m3's own SegmentBuilder.
const Built& built() {
  static const Built b = [] {
    Built out;
    out.settings.dense_dim = 0;
    out.settings.multivec_dim = 0;
    m3::SegmentBuilder sb(m3::fuzz::temp_dir(), "seg-1", out.settings, nullptr, 2.0);
    m3::SparseVector sv;
    sv.ids = {1, 5};
    sv.weights = {0.5f, 1.5f};
    for (int64_t doc : {2, 3, 7}) sb.add(doc, nullptr, sv, {1, 2}, {1.f, 2.f}, 3.f, nullptr, 0);
    out.meta = sb.finish();
    out.meta.files.clear();  // no checksums: the fuzzed docs.bin replaces the real one
    out.docs_bin = m3::fuzz::slurp(m3::fuzz::temp_dir() + "/seg-1/docs.bin");
    return out;
  }();
  return b;
}

}  // namespace

std::vector<std::string> m3_fuzz_seeds() { return {built().docs_bin}; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Built& b = built();
  m3::fuzz::fuzz_file("seg-1/docs.bin", data, size);
  try {
    auto s = m3::Segment::open(m3::fuzz::temp_dir(), b.meta, b.settings, nullptr, false);
    for (int64_t doc = -1; doc < 10; ++doc) (void)s->row_of(doc);
    for (uint32_t r = 0; r < s->size(); ++r) (void)s->doc_at(r);
  } catch (const m3::Error&) {
  }
  return 0;
}
