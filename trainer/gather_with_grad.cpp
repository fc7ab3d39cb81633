#include "trainer/gather_with_grad.h"

#include <algorithm>

#include "common/error.h"

namespace m3::trainer {

namespace {

int64_t most_rows(const std::vector<int64_t>& rows) { return *std::max_element(rows.begin(), rows.end()); }

// `t` with zero rows appended up to `rows`.
torch::Tensor pad_rows(const torch::Tensor& t, int64_t rows) {
  if (t.size(0) == rows) return t.contiguous();
  auto sizes = t.sizes().vec();
  sizes[0] = rows - t.size(0);
  return torch::cat({t, torch::zeros(sizes, t.options())}).contiguous();
}

void check(const torch::Tensor& local, const std::vector<int64_t>& rows, const Distributed& dist) {
  if (static_cast<int>(rows.size()) != dist.world_size() || local.size(0) != rows[static_cast<size_t>(dist.rank())])
    throw Error("gather_rows: rank " + std::to_string(dist.rank()) + " holds " + std::to_string(local.size(0)) +
                " rows, the batch split says otherwise");
}

torch::Tensor gather_padded(const torch::Tensor& local, const std::vector<int64_t>& rows, Distributed& dist) {
  auto parts = dist.all_gather(pad_rows(local, most_rows(rows)));
  for (size_t r = 0; r < parts.size(); ++r) parts[r] = parts[r].slice(0, 0, rows[r]);
  return torch::cat(parts);
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct GatherRowsFunction : torch::autograd::Function<GatherRowsFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& local, std::vector<int64_t> rows,
                               Distributed* dist) {
    ctx->saved_data["rows"] = rows;
    ctx->saved_data["dist"] = reinterpret_cast<int64_t>(dist);
    return gather_padded(local.detach(), rows, *dist);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto rows = ctx->saved_data["rows"].toIntVector();
    auto* dist = reinterpret_cast<Distributed*>(ctx->saved_data["dist"].toInt());
    auto grad = grad_outputs[0].contiguous();
    // Sum every rank's gradient of the gathered rows; this rank's rows are its slice of the sum.
    std::vector<torch::Tensor> total{grad.clone()};
    dist->all_reduce_sum(total);
    int64_t first = 0;
    for (int r = 0; r < dist->rank(); ++r) first += rows[static_cast<size_t>(r)];
    auto mine = total[0].slice(0, first, first + rows[static_cast<size_t>(dist->rank())]);
    return {mine, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor gather_rows(const torch::Tensor& local, const std::vector<int64_t>& rows_per_rank, Distributed& dist) {
  if (!dist.active()) return local;
  check(local, rows_per_rank, dist);
  return gather_padded(local, rows_per_rank, dist);
}

torch::Tensor gather_rows_with_grad(const torch::Tensor& local, const std::vector<int64_t>& rows_per_rank,
                                    Distributed& dist) {
  if (!dist.active()) return local;
  check(local, rows_per_rank, dist);
  return GatherRowsFunction::apply(local, rows_per_rank, &dist);
}

}  // namespace m3::trainer
