// libFuzzer target: a segment's sparse.bin / bm25.bin (dictionary, block-max metadata, Stream VByte
// lists, forward store) through SparseIndex::open, then every way a search reads it: each algorithm,
// score() and row() of the first rows. open() must reject any file a reader could go out of bounds
// on (a CorruptionError naming the file): the MANIFEST's checksums catch damage, not a crafted file.
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "index/sparse_index.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

std::string build(m3::ImpactModel model, uint32_t docs, uint32_t terms_per_doc) {
  m3::SparseIndexBuilder b(model);
  std::vector<uint32_t> t;
  std::vector<float> v;
  for (uint32_t d = 0; d < docs; ++d) {
    t.clear();
    v.clear();
    for (uint32_t j = 0; j < terms_per_doc; ++j) {
      t.push_back(j * 3 + d % 3);
      v.push_back(float(1 + (d * 31 + j) % 7));
    }
    b.add(t.data(), v.data(), t.size(), float(terms_per_doc));
  }
  const std::string path = m3::fuzz::temp_dir() + "/seed-sparse.bin";
  b.write(path);
  return m3::fuzz::slurp(path);
}

}  // namespace

std::vector<std::string> m3_fuzz_seeds() {
  m3::ImpactModel bm25;
  bm25.kind = m3::ImpactKind::BM25;
  bm25.avgdl = 4;
  return {build({}, 3, 4), build(bm25, 5, 2), build({}, 300, 3) /* several blocks per term */, build({}, 0, 0)};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto s = m3::SparseIndex::open(m3::fuzz::fuzz_file("sparse.bin", data, size));
    m3::SparseVector q;
    for (uint32_t t = 0; t < 12; ++t) {
      q.ids.push_back(t);
      q.weights.push_back(float(1 + t % 4));
    }
    const m3::QuantizedQuery qq = m3::quantize_query(q);
    for (auto algo : {m3::SparseAlgo::Exhaustive, m3::SparseAlgo::MaxScore, m3::SparseAlgo::BlockMaxWand})
      (void)s->search(qq, 5, algo);
    std::vector<uint32_t> terms;
    std::vector<float> values;
    float len;
    for (uint32_t r = 0; r < s->num_docs() && r < 64; ++r) {
      (void)s->score(qq, r);
      s->row(r, terms, values, len);
    }
  } catch (const m3::Error&) {
  }
  return 0;
}
