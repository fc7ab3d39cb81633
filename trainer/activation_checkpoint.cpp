#include "trainer/activation_checkpoint.h"

#include "trainer/torch_compat.h"

namespace m3::trainer {

namespace {
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct CheckpointedLayer : torch::autograd::Function<CheckpointedLayer> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor additive_mask, XlmLayerImpl* layer) {
    ctx->saved_data["layer"] = reinterpret_cast<int64_t>(layer);
    ctx->saved_data["autocast"] = compat::autocast_enabled(x.device().is_cuda());
    ctx->saved_data["rng"] = compat::generator_state(x.device());
    ctx->save_for_backward({x, additive_mask});
    torch::NoGradGuard no_grad;
    return layer->forward(x, additive_mask);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_output) {
    auto* layer = reinterpret_cast<XlmLayerImpl*>(ctx->saved_data["layer"].toInt());
    auto saved = ctx->get_saved_variables();
    auto x = saved[0].detach().requires_grad_(true);
    const auto& additive_mask = saved[1];
    const auto device = x.device();
    auto now = compat::generator_state(device);
    compat::set_generator_state(device, ctx->saved_data["rng"].toTensor());
    torch::Tensor y;
    {
      torch::AutoGradMode with_grad(true);
      compat::AutocastScope autocast(ctx->saved_data["autocast"].toBool(), device.is_cuda());
      y = layer->forward(x, additive_mask);
    }
    compat::set_generator_state(device, now);
    // Parameters are leaves: this accumulates their .grad directly; x.grad is what flows on.
    torch::autograd::backward({y}, {grad_output[0]});
    return {x.grad(), torch::Tensor(), torch::Tensor()};
  }
};
}  // namespace

void enable_activation_checkpointing(XlmRoberta& encoder) {
  encoder->layer_runner = [](XlmLayer& layer, const torch::Tensor& x, const torch::Tensor& additive_mask) {
    if (!torch::GradMode::is_enabled()) return layer->forward(x, additive_mask);
    // The layer's weights need gradients even when its input does not (e.g. frozen embeddings):
    // an input that requires grad is what makes autograd call backward() at all.
    auto input = x.requires_grad() ? x : x.detach().requires_grad_(true);
    return CheckpointedLayer::apply(input, additive_mask, layer.get());
  };
}

void disable_activation_checkpointing(XlmRoberta& encoder) {
  encoder->layer_runner = [](XlmLayer& layer, const torch::Tensor& x, const torch::Tensor& additive_mask) {
    return layer->forward(x, additive_mask);
  };
}

}  // namespace m3::trainer
