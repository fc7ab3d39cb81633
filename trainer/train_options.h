// Everything one `m3 train` run is told: which stage, which data, what model, how to optimise, and
// when to stop. Defaults live here only; tools/cmd_train.cpp maps flags onto these fields.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "encoder/model_config.h"

namespace m3::trainer {

enum class Stage {
  Mlm,      // (a) masked-language-model pre-training on raw text
  Pairs,    // (b) dense-only contrastive training, in-batch negatives (group size 1)
  Unified,  // (c) all three heads with hard negatives; plain losses, then self-distillation
};
Stage parse_stage(const std::string& name);  // "mlm" | "pairs" | "unified"
const char* stage_name(Stage s);

struct TrainOptions {
  Stage stage = Stage::Unified;
  std::vector<std::string> data;  // .tok files (m3 train-prep); merged
  std::string init_dir;           // start from this model directory; empty: from `config`
  ModelConfig config;             // from-scratch architecture (vocab_size 0 = the data's)
  std::string tokenizer;          // sentencepiece.bpe.model copied into the output; default: init_dir's
  std::string out_dir;
  std::string save_dtype = "f32";  // f32 | f16 | bf16 (model.safetensors storage)

  // Batching (M3-SPEC §4): lengths in tokens incl. specials.
  int query_max_len = 64;
  int passage_max_len = 256;
  int group_size = 8;               // unified stage: 1 positive + 7 negatives
  int64_t tokens_per_batch = 16384; // padded tokens per batch (sets each bucket's batch size)
  int max_batch = 512;
  int64_t sub_batch = 0;            // texts per encoder call; 0 = whole batch
  bool activation_checkpointing = false;
  std::vector<int> bucket_bounds;   // empty: powers of two

  // Optimisation.
  double lr = 5e-5;
  double warmup_ratio = 0.1;
  double weight_decay = 0.01;
  double clip_norm = 1.0;
  double temperature = 0.02;
  double mlm_rate = 0.15;
  std::string train_heads = "all";

  // Self-distillation (unified stage). The reference's self_distill_start_step: distil when
  // step > start_step; -1 = from the first step. start_frac >= 0 sets it from the planned steps.
  bool self_distill = true;
  int64_t self_distill_start_step = -1;
  double self_distill_start_frac = -1;

  // When to stop: the first of max_steps, epochs, time budget (all 0: one epoch).
  int64_t max_steps = 0;
  double epochs = 0;
  double time_budget_s = 0;
  int64_t pause_at_step = 0;  // stop early at this step (checkpoint saved), to continue with resume

  std::string device = "auto";     // auto | cpu | cuda
  std::string precision = "auto";  // auto (bf16 autocast on CUDA, fp32 on CPU) | fp32 | bf16 (CUDA or CPU)
  int threads = 0;                 // CPU intra-op threads; 0 = all cores
  uint64_t seed = 42;

  // Data-parallel runs (torchrun-style environment, trainer/distributed.h): how long a collective or
  // the rendezvous waits for the other ranks before failing with an error.
  double dist_timeout_s = 300;

  std::string checkpoint_dir;      // resume state (model, optimiser, data position, RNG)
  int64_t checkpoint_every = 0;    // steps; 0 = only at the end
  bool resume = false;

  int64_t log_every = 10;
  std::string log_json;            // append one JSON line per progress line
};

struct TrainReport {
  int64_t steps = 0;
  int64_t total_steps = 0;
  double seconds = 0;
  double tokens_per_second = 0;
  double first_loss = 0, last_loss = 0;  // mean over the first / last progress window
  bool stopped_by_time = false;
};

}  // namespace m3::trainer
