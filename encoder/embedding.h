// What the encoder produces for one text (M3-SPEC §3), as plain C++ values that cross module borders.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/sparse_vector.h"

namespace m3 {

struct Embedding {
  std::vector<int32_t> input_ids;  // model ids, <s> ... </s> (with MCLS: the inserted <s> too)
  std::vector<float> dense;        // L2-normalised, hidden_size floats
  SparseVector sparse;             // token id -> max ReLU weight, ids 0..3 dropped, weights > 0
  int colbert_rows = 0;            // n - 1: the tokens after <s>, </s> included (MCLS <s> excluded)
  int colbert_dim = 0;
  std::vector<float> colbert;      // colbert_rows x colbert_dim, rows L2-normalised

  const float* colbert_row(int i) const { return colbert.data() + static_cast<size_t>(i) * colbert_dim; }
};

}  // namespace m3
