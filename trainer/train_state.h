// Resume checkpoints: everything a run needs to continue exactly where it stopped — model and
// LM-head parameters, optimiser moments, the data position (epoch, batch), the step plan, and the
// generator states that drive dropout. Data order, sampling and masking are pure functions of
// (seed, epoch, batch), so they need no saved state.
//
// Layout of the checkpoint directory: model-<step>.pt, head-<step>.pt (MLM only),
// optimizer-<step>.pt, rng-<step>.pt, and state.json naming the step. state.json is replaced
// atomically (write, then rename) after the other files are complete, so a crash while saving
// leaves the previous checkpoint usable; older step files are removed afterwards.
#pragma once
#include <string>

#include "encoder/m3_model.h"
#include "trainer/lr_schedule.h"
#include "trainer/mlm.h"

namespace m3::trainer {

struct LoopPosition {
  int64_t step = 0;    // optimiser updates done
  uint64_t epoch = 0;
  uint64_t index = 0;  // next batch within the epoch
  StepPlan plan;
  double elapsed_s = 0;  // training time spent before this checkpoint (time budgets continue)
};

void save_train_state(const std::string& dir, const std::string& stage, M3Model& model, MlmHead* head,
                      torch::optim::Optimizer& optimizer, const LoopPosition& pos, const torch::Device& device);

// Returns false when dir holds no checkpoint; throws m3::Error when it holds one of another stage.
bool load_train_state(const std::string& dir, const std::string& stage, M3Model& model, MlmHead* head,
                      torch::optim::Optimizer& optimizer, LoopPosition& pos, const torch::Device& device);

}  // namespace m3::trainer
