// The few LibTorch calls whose spelling differs between Debian's LibTorch 1.13 (CPU, here) and the
// pip PyTorch 2.x on the GPU machine. Everything else in trainer/ uses API common to both.
#pragma once
#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

namespace m3::trainer::compat {

// Autocast state per device type (`cuda` true: the CUDA device, false: the CPU). CPU autocast
// (bf16 matmuls through oneDNN, which uses AMX / AVX-512-BF16 where the CPU has them) lets the
// trainer run in bf16 on a machine without a GPU.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
inline at::DeviceType autocast_type(bool cuda) { return cuda ? at::kCUDA : at::kCPU; }
inline bool autocast_enabled(bool cuda) { return at::autocast::is_autocast_enabled(autocast_type(cuda)); }
inline void set_autocast(bool cuda, bool on) { at::autocast::set_autocast_enabled(autocast_type(cuda), on); }
inline void set_autocast_dtype(bool cuda, at::ScalarType t) { at::autocast::set_autocast_dtype(autocast_type(cuda), t); }
#else
inline bool autocast_enabled(bool cuda) { return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
inline void set_autocast(bool cuda, bool on) {
  if (cuda) at::autocast::set_enabled(on);
  else at::autocast::set_cpu_enabled(on);
}
inline void set_autocast_dtype(bool cuda, at::ScalarType t) {
  if (cuda) at::autocast::set_autocast_gpu_dtype(t);
  else at::autocast::set_autocast_cpu_dtype(t);
}
#endif

// RAII: bf16 autocast on for one scope of this thread, on the CUDA device (`cuda`) or the CPU.
// Autocast state is thread-local, so the recomputation in a checkpointed backward (another thread on
// CUDA) opens its own scope. Leaving the outermost scope clears the cast cache, which would otherwise
// keep casts of weights the optimiser has since changed.
class AutocastScope {
 public:
  AutocastScope(bool on, bool cuda) : on_(on), cuda_(cuda), was_(autocast_enabled(cuda)) {
    if (!on_) return;
    set_autocast_dtype(cuda_, at::kBFloat16);
    set_autocast(cuda_, true);
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (!on_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    set_autocast(cuda_, was_);
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool on_, cuda_, was_;
};

// RAII: autocast off on both device types for one scope (score matrices and losses stay in fp32 even
// when the encoder runs in bf16: scores are divided by τ = 0.02, which would magnify bf16's rounding
// fifty-fold).
class AutocastPause {
 public:
  AutocastPause() : cuda_was_(autocast_enabled(true)), cpu_was_(autocast_enabled(false)) {
    set_autocast(true, false);
    set_autocast(false, false);
  }
  ~AutocastPause() {
    set_autocast(true, cuda_was_);
    set_autocast(false, cpu_was_);
  }
  AutocastPause(const AutocastPause&) = delete;
  AutocastPause& operator=(const AutocastPause&) = delete;

 private:
  bool cuda_was_, cpu_was_;
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
