// Linear warm-up then linear decay to zero (the reference's HF Trainer schedule), and the step plan
// of a run that is bounded by steps, epochs or wall-clock time.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace m3::trainer {

struct StepPlan {
  int64_t total = 0;         // steps of the whole run (0 = not known yet: calibrating)
  int64_t warmup = 0;        // steps of linear warm-up
  int64_t distill_from = 0;  // first step that uses self-distillation (unified stage)
};

// Learning-rate multiplier for the update made at `step` (0-based). Step 0 already gets a non-zero
// rate (HF's schedule gives 0, wasting the first batch). While the plan is unknown (time-budgeted
// runs measure their speed first) the warm-up runs over `provisional_warmup` steps.
inline double lr_factor(int64_t step, const StepPlan& plan, int64_t provisional_warmup = 100) {
  const int64_t warmup = plan.total > 0 ? plan.warmup : provisional_warmup;
  if (step < warmup) return static_cast<double>(step + 1) / static_cast<double>(std::max<int64_t>(1, warmup));
  if (plan.total <= 0) return 1.0;
  return std::max(0.0, static_cast<double>(plan.total - step) / static_cast<double>(std::max<int64_t>(1, plan.total - warmup)));
}

// Steps that fit in the remaining time at the measured speed, never more than `cap` (0 = no cap).
inline int64_t steps_within(double remaining_s, double seconds_per_step, int64_t done, int64_t cap) {
  int64_t fit = done + static_cast<int64_t>(std::floor(std::max(0.0, remaining_s) / std::max(1e-9, seconds_per_step)));
  fit = std::max(fit, done + 1);
  return cap > 0 ? std::min(fit, cap) : fit;
}

}  // namespace m3::trainer
