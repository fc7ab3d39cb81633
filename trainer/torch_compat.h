// The few LibTorch calls whose spelling differs between Debian's LibTorch 1.13 (CPU, here) and the
// pip PyTorch 2.x on the GPU machine. Everything else in trainer/ uses API common to both.
#pragma once
#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

namespace m3::trainer::compat {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
inline bool cuda_autocast_enabled() { return at::autocast::is_autocast_enabled(at::kCUDA); }
inline void set_cuda_autocast(bool on) { at::autocast::set_autocast_enabled(at::kCUDA, on); }
inline void set_cuda_autocast_dtype(at::ScalarType t) { at::autocast::set_autocast_dtype(at::kCUDA, t); }
#else
inline bool cuda_autocast_enabled() { return at::autocast::is_enabled(); }
inline void set_cuda_autocast(bool on) { at::autocast::set_enabled(on); }
inline void set_cuda_autocast_dtype(at::ScalarType t) { at::autocast::set_autocast_gpu_dtype(t); }
#endif

// RAII: CUDA autocast on (bf16) for one scope of this thread. Autocast state is thread-local, so the
// recomputation in a checkpointed backward (another thread on CUDA) opens its own scope. Leaving the
// outermost scope clears the cast cache, which would otherwise keep casts of weights the optimiser
// has since changed.
class CudaAutocastScope {
 public:
  explicit CudaAutocastScope(bool on) : on_(on), was_(cuda_autocast_enabled()) {
    if (!on_) return;
    set_cuda_autocast_dtype(at::kBFloat16);
    set_cuda_autocast(true);
    at::autocast::increment_nesting();
  }
  ~CudaAutocastScope() {
    if (!on_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    set_cuda_autocast(was_);
  }
  CudaAutocastScope(const CudaAutocastScope&) = delete;
  CudaAutocastScope& operator=(const CudaAutocastScope&) = delete;

 private:
  bool on_, was_;
};

// RAII: CUDA autocast off for one scope (score matrices and losses stay in fp32 even when the encoder
// runs in bf16: scores are divided by τ = 0.02, which would magnify bf16's rounding fifty-fold).
class CudaAutocastPause {
 public:
  CudaAutocastPause() : was_(cuda_autocast_enabled()) { set_cuda_autocast(false); }
  ~CudaAutocastPause() { set_cuda_autocast(was_); }
  CudaAutocastPause(const CudaAutocastPause&) = delete;
  CudaAutocastPause& operator=(const CudaAutocastPause&) = delete;

 private:
  bool was_;
};

// The default generator of a device (its dropout / random-init stream).
inline at::Generator default_generator(const torch::Device& device) {
  return at::globalContext().defaultGenerator(device);
}

inline torch::Tensor generator_state(const torch::Device& device) {
  auto g = default_generator(device);
  std::lock_guard<std::mutex> lock(g.mutex());
  return g.get_state();
}

inline void set_generator_state(const torch::Device& device, const torch::Tensor& state) {
  auto g = default_generator(device);
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_state(state);
}

}  // namespace m3::trainer::compat
