#include "trainer/cross_rank_passages.h"

#include "trainer/gather_with_grad.h"

namespace m3::trainer {

EncodedTexts gather_passages(const EncodedTexts& local, const RankShare& queries, int64_t group_size,
                             PassageHeads heads, Distributed& dist) {
  const auto rows = queries.scaled(group_size);
  const int64_t n = local.dense.size(0), h = local.dense.size(1);
  EncodedTexts out;
  if (heads == PassageHeads::DenseOnly) {
    auto dense = local.dense;
    if (!dense.requires_grad()) dense = dense.detach().requires_grad_();  // a rank without rows still joins backward
    out.dense = gather_rows_with_grad(dense, rows, dist);
    out.ids = local.ids;
    return out;
  }
  const int64_t t = local.sparse.size(1), c = local.colbert.size(1), d = local.colbert.size(2);
  auto floats = torch::cat({local.dense, local.sparse, local.colbert.reshape({n, c * d})}, 1);
  if (!floats.requires_grad()) floats = floats.detach().requires_grad_();
  auto ints = torch::cat({local.ids, local.colbert_mask.to(local.ids.scalar_type())}, 1);
  auto all_floats = gather_rows_with_grad(floats, rows, dist);
  auto all_ints = gather_rows(ints, rows, dist);
  const int64_t total = all_floats.size(0);
  out.dense = all_floats.slice(1, 0, h);
  out.sparse = all_floats.slice(1, h, h + t);
  out.colbert = all_floats.slice(1, h + t).reshape({total, c, d});
  out.ids = all_ints.slice(1, 0, t);
  out.colbert_mask = all_ints.slice(1, t).to(local.colbert_mask.scalar_type());
  return out;
}

}  // namespace m3::trainer
