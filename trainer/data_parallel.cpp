#include "trainer/data_parallel.h"

namespace m3::trainer {

PaddedTexts rows_of(const PaddedTexts& texts, int64_t first, int64_t count) {
  PaddedTexts out;
  out.ids = texts.ids.slice(0, first, first + count);
  out.mask = texts.mask.slice(0, first, first + count);
  out.real_tokens = out.mask.sum().item<int64_t>();
  return out;
}

void all_reduce_gradients(const std::vector<torch::Tensor>& params, Distributed& dist) {
  if (!dist.active() || params.empty()) return;
  // Which parameters have a gradient anywhere (one small collective).
  std::vector<float> defined;
  for (const auto& p : params) defined.push_back(p.grad().defined() ? 1.0f : 0.0f);
  auto has = torch::tensor(defined).to(params[0].device());
  dist.all_reduce_max(has);
  auto any = has.cpu();
  auto flags = any.accessor<float, 1>();

  // Flat buckets (one dtype each, ~32 MiB): copy in, sum, copy back — one collective per bucket.
  constexpr int64_t kBucketBytes = 32 << 20;
  std::vector<torch::Tensor> grads;
  for (size_t i = 0; i < params.size(); ++i) {
    if (flags[static_cast<int64_t>(i)] == 0.0f) continue;
    auto p = params[i];
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  size_t start = 0;
  while (start < grads.size()) {
    size_t end = start;
    int64_t bytes = 0;
    while (end < grads.size() && grads[end].scalar_type() == grads[start].scalar_type() &&
           (end == start || bytes + grads[end].numel() * static_cast<int64_t>(grads[end].element_size()) <= kBucketBytes)) {
      bytes += grads[end].numel() * static_cast<int64_t>(grads[end].element_size());
      ++end;
    }
    std::vector<torch::Tensor> views;
    for (size_t i = start; i < end; ++i) views.push_back(grads[i].reshape({-1}));
    std::vector<torch::Tensor> flat{torch::cat(views)};
    dist.all_reduce_sum(flat);
    int64_t at = 0;
    for (size_t i = start; i < end; ++i) {
      const int64_t n = grads[i].numel();
      grads[i].copy_(flat[0].slice(0, at, at + n).view(grads[i].sizes()));
      at += n;
    }
    start = end;
  }
}

void broadcast_from_main(const std::vector<torch::Tensor>& tensors, Distributed& dist) {
  if (!dist.active()) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> data;
  for (const auto& t : tensors) data.push_back(t.detach());
  // Gloo broadcasts in place into contiguous tensors; parameters are contiguous.
  dist.broadcast(data, 0);
}

}  // namespace m3::trainer
