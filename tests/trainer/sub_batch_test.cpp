// Sub-batches with activation checkpointing must give the loss and gradients of one whole-batch pass
// (M3-SPEC §4, "Sub-batches with gradient checkpointing"), and must use less memory.
#include <gtest/gtest.h>

#include <iostream>

#include "cpu_memory_meter.h"
#include "trainer/activation_checkpoint.h"
#include "trainer/model_setup.h"
#include "trainer/rng.h"
#include "trainer/train_step.h"

namespace m3::trainer {
namespace {

ModelConfig tiny_config(int hidden, int layers, double dropout) {
  ModelConfig c;
  c.vocab_size = 120;
  c.hidden_size = hidden;
  c.num_hidden_layers = layers;
  c.num_attention_heads = 4;
  c.intermediate_size = hidden * 4;
  c.max_position_embeddings = 160;
  c.hidden_dropout_prob = dropout;
  c.attention_probs_dropout_prob = dropout;
  return c;
}

// Random texts "<s> ids </s>" of varied lengths, kept alive for the spans that point at them.
struct Texts {
  std::vector<std::vector<int32_t>> store;
  std::vector<TokenSpan> spans;
  Texts(int n, int min_len, int max_len, uint64_t seed, int vocab) {
    Rng rng(seed);
    for (int i = 0; i < n; ++i) {
      std::vector<int32_t> t{0};
      const int len = min_len + static_cast<int>(rng.below(static_cast<uint64_t>(max_len - min_len + 1)));
      for (int j = 0; j < len; ++j) t.push_back(4 + static_cast<int32_t>(rng.below(static_cast<uint64_t>(vocab - 5))));
      t.push_back(2);
      store.push_back(std::move(t));
    }
    for (auto& t : store) spans.push_back({t.data(), t.size()});
  }
};

struct StepResultCopy {
  double loss;
  std::vector<torch::Tensor> grads;
};

StepResultCopy run_unified(M3Model& model, const Texts& q, const Texts& p, int group, int64_t sub_batch, bool checkpointing,
                           uint64_t torch_seed) {
  if (checkpointing) enable_activation_checkpointing(model->encoder);
  else disable_activation_checkpointing(model->encoder);
  model->zero_grad();
  torch::manual_seed(torch_seed);
  StepSettings s;
  s.sub_batch = sub_batch;
  s.passage_chunk = 5;
  auto out = unified_step(model, pad_texts(q.spans, 64), pad_texts(p.spans, 64), group, /*self_distill=*/true, s);
  out.loss.backward();
  StepResultCopy r{out.loss.item<double>(), {}};
  for (auto& prm : model->parameters()) r.grads.push_back(prm.grad().defined() ? prm.grad().clone() : torch::zeros_like(prm));
  return r;
}

void expect_same(const StepResultCopy& a, const StepResultCopy& b, double tol) {
  EXPECT_NEAR(a.loss, b.loss, tol * std::max(1.0, std::abs(a.loss)));
  ASSERT_EQ(a.grads.size(), b.grads.size());
  double worst = 0;
  for (size_t i = 0; i < a.grads.size(); ++i) {
    const double scale = std::max(1e-3, a.grads[i].abs().max().item<double>());
    worst = std::max(worst, (a.grads[i] - b.grads[i]).abs().max().item<double>() / scale);
  }
  EXPECT_LT(worst, tol) << "largest gradient difference relative to the gradient's scale";
}

TEST(SubBatch, LossAndGradientsEqualTheWholeBatch) {
  torch::manual_seed(1);
  M3Model model(tiny_config(32, 2, 0.0));
  init_weights(model);
  model->train();
  const int group = 3;
  Texts q(5, 2, 10, 11, 120), p(15, 3, 30, 12, 120);
  auto whole = run_unified(model, q, p, group, 0, false, 7);
  auto split = run_unified(model, q, p, group, 4, true, 7);
  auto split_plain = run_unified(model, q, p, group, 2, false, 7);
  expect_same(whole, split, 1e-4);
  expect_same(whole, split_plain, 1e-4);
  // A gradient that is all zero would make the comparison vacuous.
  double norm = 0;
  for (auto& g : whole.grads) norm += g.norm().item<double>();
  EXPECT_GT(norm, 0.0);
}

TEST(SubBatch, CheckpointingReplaysDropoutExactly) {
  torch::manual_seed(2);
  M3Model model(tiny_config(32, 2, 0.1));
  init_weights(model);
  model->train();
  Texts q(4, 2, 10, 21, 120), p(8, 3, 20, 22, 120);
  auto plain = run_unified(model, q, p, 2, 0, false, 9);
  auto checkpointed = run_unified(model, q, p, 2, 0, true, 9);
  expect_same(plain, checkpointed, 1e-4);
  // Different dropout masks give a different loss: the test can tell masks apart.
  auto other_seed = run_unified(model, q, p, 2, 0, false, 10);
  EXPECT_GT(std::abs(other_seed.loss - plain.loss), 1e-6);
}

TEST(SubBatch, CheckpointedSubBatchesUseLessMemory) {
  auto& meter = testing::CpuMemoryMeter::install();
  torch::manual_seed(3);
  M3Model model(tiny_config(128, 4, 0.0));
  init_weights(model);
  model->train();
  Texts q(16, 20, 30, 31, 120), p(64, 100, 120, 32, 120);
  auto peak = [&](int64_t sub_batch, bool checkpointing) {
    if (checkpointing) enable_activation_checkpointing(model->encoder);
    else disable_activation_checkpointing(model->encoder);
    model->zero_grad();
    auto qp = pad_texts(q.spans, 128), pp = pad_texts(p.spans, 128);
    meter.reset_peak();
    StepSettings s;
    s.sub_batch = sub_batch;
    auto out = unified_step(model, qp, pp, 4, true, s);
    out.loss.backward();
    return meter.peak_bytes();
  };
  const double mib = 1024.0 * 1024.0;
  const auto full = peak(0, false), ckpt = peak(0, true), both = peak(8, true), split_only = peak(8, false);
  std::cout << "[memory] peak MiB for one unified step (80 texts, 4x128 model): whole batch " << full / mib
            << ", checkpointing " << ckpt / mib << ", checkpointing + sub-batch 8 " << both / mib
            << ", sub-batch 8 without checkpointing " << split_only / mib << "\n";
  EXPECT_LT(ckpt, full);
  EXPECT_LT(both, ckpt);
  EXPECT_LT(both * 2, full);
}

}  // namespace
}  // namespace m3::trainer
