#include "trainer/trainer.h"

#include <ATen/Parallel.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/error.h"
#include "encoder/checkpoint.h"
#include "trainer/activation_checkpoint.h"
#include "trainer/batch_plan.h"
#include "trainer/group_sampler.h"
#include "trainer/model_setup.h"
#include "trainer/progress.h"
#include "trainer/token_corpus.h"
#include "trainer/torch_compat.h"
#include "trainer/train_state.h"
#include "trainer/train_step.h"

namespace m3::trainer {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

Stage parse_stage(const std::string& name) {
  if (name == "mlm") return Stage::Mlm;
  if (name == "pairs") return Stage::Pairs;
  if (name == "unified") return Stage::Unified;
  throw UsageError("unknown stage '" + name + "' (expected mlm, pairs or unified)");
}

const char* stage_name(Stage s) {
  switch (s) {
    case Stage::Mlm: return "mlm";
    case Stage::Pairs: return "pairs";
    case Stage::Unified: return "unified";
  }
  return "?";
}

JsonlTokenizer& jsonl_tokenizer() {
  static JsonlTokenizer hook;
  return hook;
}

void save_model_dir(M3Model& model, const std::string& dir, const std::string& dtype, const std::string& tokenizer) {
  DType storage = DType::F32;
  if (dtype == "f16") storage = DType::F16;
  else if (dtype == "bf16") storage = DType::BF16;
  else if (dtype != "f32") throw UsageError("--save-dtype must be f32, f16 or bf16, got '" + dtype + "'");
  fs::create_directories(dir);
  model->save(dir, storage);
  if (!tokenizer.empty()) {
    const auto target = fs::path(dir) / "sentencepiece.bpe.model";
    if (fs::weakly_canonical(tokenizer) != fs::weakly_canonical(target))
      fs::copy_file(tokenizer, target, fs::copy_options::overwrite_existing);
  }
}

namespace {

torch::Device pick_device(const std::string& name) { return torch_device(parse_device(name)); }

bool pick_autocast(const std::string& precision, const torch::Device& device) {
  if (precision == "fp32") return false;
  if (precision == "bf16") return true;  // CUDA, or the CPU's bf16 matmuls (oneDNN: AMX / AVX-512-BF16)
  if (precision != "auto") throw UsageError("--precision must be auto, fp32 or bf16, got '" + precision + "'");
  return device.is_cuda();  // a CPU without bf16 units would be slower in bf16, so the CPU opts in
}

TokenCorpus load_data(const std::vector<std::string>& files) {
  if (files.empty()) throw UsageError("no training data: give --data FILE.tok (made by m3 train-prep)");
  TokenCorpus all;
  for (const auto& f : files) all.append(read_token_corpus(f));
  return all;
}

BatchKind batch_kind(Stage s) {
  switch (s) {
    case Stage::Mlm: return BatchKind::Texts;
    case Stage::Pairs: return BatchKind::Pairs;
    case Stage::Unified: return BatchKind::Groups;
  }
  return BatchKind::Groups;
}

// AdamW with weight decay on matrices only: biases and LayerNorm parameters are not decayed (the
// reference's HF Trainer does the same).
std::unique_ptr<torch::optim::AdamW> make_optimizer(const std::vector<std::pair<std::string, torch::Tensor>>& named,
                                                    const TrainOptions& o) {
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& [name, p] : named) {
    if (!p.requires_grad()) continue;
    const bool plain = name.find("bias") != std::string::npos || name.find("norm") != std::string::npos;
    (plain ? no_decay : decay).push_back(p);
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  auto opts = [&](double wd) {
    return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(o.lr).weight_decay(wd).eps(1e-8));
  };
  if (!decay.empty()) groups.emplace_back(decay, opts(o.weight_decay));
  if (!no_decay.empty()) groups.emplace_back(no_decay, opts(0.0));
  if (groups.empty()) throw UsageError("nothing to train (every parameter is frozen)");
  return std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(o.lr));
}

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
}

// The run's step plan once its length is known; distill_from follows the options.
StepPlan make_plan(int64_t total, const TrainOptions& o) {
  StepPlan p;
  p.total = std::max<int64_t>(1, total);
  p.warmup = static_cast<int64_t>(std::ceil(o.warmup_ratio * static_cast<double>(p.total)));
  p.distill_from = o.self_distill_start_frac >= 0
                       ? static_cast<int64_t>(std::floor(o.self_distill_start_frac * static_cast<double>(p.total)))
                       : o.self_distill_start_step + 1;
  return p;
}

}  // namespace

TrainReport train(const TrainOptions& o, std::ostream& log) {
  const auto t_setup = Clock::now();
  const torch::Device device = pick_device(o.device);
  bool autocast = pick_autocast(o.precision, device);
  at::set_num_threads(o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  torch::manual_seed(o.seed);
  if (o.out_dir.empty()) throw UsageError("--out DIR is required");

  TokenCorpus corpus = load_data(o.data);

  // The model: a directory to continue from, or a fresh one.
  ModelConfig config = o.config;
  std::string tokenizer = o.tokenizer;
  M3Model model{nullptr};
  if (!o.init_dir.empty()) {
    Checkpoint ck = load_checkpoint(o.init_dir);
    config = ck.config;
    if (tokenizer.empty()) tokenizer = ck.tokenizer_path;
    model = load_m3_model(ck);
  } else {
    if (config.vocab_size <= 0) config.vocab_size = corpus.vocab_size;
    model = M3Model(config);
    init_weights(model);
  }
  if (corpus.vocab_size > config.vocab_size)
    throw UsageError("the data uses a vocabulary of " + std::to_string(corpus.vocab_size) + " ids but the model has " +
                     std::to_string(config.vocab_size) + " rows (tokenised with another tokenizer?)");
  const int limit = config.max_tokens();
  const int qlen = std::min(o.query_max_len, limit), plen = std::min(o.passage_max_len, limit);
  model->to(device);
  model->train();
  select_trainable(model, o.train_heads);
  const bool encoder_grad = encoder_trains(model);
  if (o.activation_checkpointing && encoder_grad) enable_activation_checkpointing(model->encoder);

  MlmHead head{nullptr};
  auto named = model->named_parameters().pairs();
  if (o.stage == Stage::Mlm) {
    if (!encoder_grad) throw UsageError("the MLM stage trains the encoder: --train-heads must include it");
    head = MlmHead(config);
    head->to(device);
    for (auto& kv : head->named_parameters().pairs()) named.emplace_back("lm_head." + kv.first, kv.second);
  }
  auto optimizer = make_optimizer(named, o);
  std::vector<torch::Tensor> clip_params;
  for (auto& [name, p] : named)
    if (p.requires_grad()) clip_params.push_back(p);

  BatchPlanOptions bo;
  bo.kind = batch_kind(o.stage);
  bo.group_size = o.group_size;
  bo.query_max_len = qlen;
  bo.passage_max_len = plen;
  bo.tokens_per_batch = o.tokens_per_batch;
  bo.max_batch = o.max_batch;
  bo.bucket_bounds = o.bucket_bounds;
  bo.seed = o.seed;
  BatchPlan plan(corpus, bo);
  GroupSampler sampler(corpus, plan.options());

  int64_t cap = o.max_steps;
  if (o.epochs > 0) {
    const auto by_epochs = static_cast<int64_t>(std::ceil(o.epochs * static_cast<double>(plan.batches_per_epoch())));
    cap = cap > 0 ? std::min(cap, by_epochs) : by_epochs;
  }
  if (cap <= 0 && o.time_budget_s <= 0) cap = static_cast<int64_t>(plan.batches_per_epoch());

  LoopPosition pos;
  if (o.time_budget_s <= 0) pos.plan = make_plan(cap, o);
  const std::string stage = stage_name(o.stage);
  if (o.resume && !o.checkpoint_dir.empty() &&
      load_train_state(o.checkpoint_dir, stage, model, o.stage == Stage::Mlm ? &head : nullptr, *optimizer, pos, device))
    log << "[" << stage << "] resumed at step " << pos.step << " (epoch " << pos.epoch << ", batch " << pos.index << ")\n";

  log << "[" << stage << "] " << corpus.num_texts() << " texts, " << plan.num_units() << " units, "
      << plan.batches_per_epoch() << " batches/epoch; model " << config.num_hidden_layers << "x" << config.hidden_size
      << ", vocab " << config.vocab_size << "; device " << device.str() << (autocast ? " bf16 autocast" : " fp32")
      << (o.activation_checkpointing && encoder_grad ? ", activation checkpointing" : "")
      << (o.sub_batch > 0 ? ", sub-batch " + std::to_string(o.sub_batch) : std::string()) << "; setup "
      << format_duration(std::chrono::duration<double>(Clock::now() - t_setup).count()) << "\n";

  std::ofstream json_log;
  if (!o.log_json.empty()) {
    json_log.open(o.log_json, std::ios::app);
    if (!json_log) throw Error(o.log_json + ": cannot open log file");
  }

  StepSettings settings;
  settings.temperature = o.temperature;
  settings.sub_batch = o.sub_batch;
  settings.device = device;

  TrainReport report;
  const auto t0 = Clock::now();
  const double elapsed_before = pos.elapsed_s;
  auto elapsed = [&] { return elapsed_before + std::chrono::duration<double>(Clock::now() - t0).count(); };
  const int64_t calibration_steps = 10;
  double calib_start = -1;
  std::vector<PlannedBatch> epoch_batches = plan.epoch(pos.epoch);
  torch::Tensor window_loss;
  std::vector<std::pair<std::string, torch::Tensor>> window_parts;
  int64_t window_steps = 0, window_tokens = 0, total_tokens = 0;
  double window_start = elapsed();
  bool first_window = true;

  while (pos.plan.total == 0 || pos.step < pos.plan.total) {
    if (o.pause_at_step > 0 && pos.step >= o.pause_at_step) break;
    if (o.time_budget_s > 0 && elapsed() >= o.time_budget_s) {
      report.stopped_by_time = true;
      break;
    }
    if (pos.index >= epoch_batches.size()) {
      ++pos.epoch;
      pos.index = 0;
      epoch_batches = plan.epoch(pos.epoch);
      continue;
    }
    const auto sampled = sampler.sample(epoch_batches[pos.index], pos.epoch, pos.index);
    const double factor = lr_factor(pos.step, pos.plan);
    set_lr(*optimizer, o.lr * factor);

    StepLoss step_loss;
    int64_t tokens = 0;
    auto forward = [&] {
      compat::AutocastScope scope(autocast, device.is_cuda());
      switch (o.stage) {
        case Stage::Mlm: {
          auto texts = pad_texts(sampled.queries, plen);
          Rng rng = Rng::derive(o.seed ^ 0x3A5Cu, pos.epoch, pos.index);
          auto masked = mask_tokens(texts.ids, texts.mask, config.vocab_size - 1, o.mlm_rate, rng);
          texts.ids = masked.input_ids;
          tokens = texts.real_tokens;
          step_loss = mlm_step(model, head, texts, masked.labels, settings);
          break;
        }
        case Stage::Pairs: {
          auto q = pad_texts(sampled.queries, qlen), p = pad_texts(sampled.passages, plen);
          tokens = q.real_tokens + p.real_tokens;
          step_loss = pairs_step(model, q, p, settings);
          break;
        }
        case Stage::Unified: {
          auto q = pad_texts(sampled.queries, qlen), p = pad_texts(sampled.passages, plen);
          tokens = q.real_tokens + p.real_tokens;
          const bool distill = o.self_distill && pos.plan.total > 0 && pos.step >= pos.plan.distill_from;
          step_loss = unified_step(model, q, p, sampled.group_size, distill, settings);
          break;
        }
      }
    };
    optimizer->zero_grad();
    try {
      forward();
      step_loss.loss.backward();
    } catch (const c10::Error& e) {
      // bf16 autocast is an optimisation: if this LibTorch cannot run the model under it, train in fp32.
      if (!autocast || pos.step > 0) throw;
      log << "[" << stage << "] bf16 autocast failed (" << std::string(e.what()).substr(0, 200) << "); using fp32\n";
      autocast = false;
      optimizer->zero_grad();
      forward();
      step_loss.loss.backward();
    }
    if (o.clip_norm > 0) torch::nn::utils::clip_grad_norm_(clip_params, o.clip_norm);
    optimizer->step();
    ++pos.step;
    ++pos.index;
    ++window_steps;
    window_tokens += tokens;
    total_tokens += tokens;
    auto l = step_loss.loss.detach();
    window_loss = window_loss.defined() ? window_loss + l : l;
    if (window_parts.size() != step_loss.parts.size()) {  // the set of parts changes when distillation starts
      window_parts = step_loss.parts;
    } else {
      for (size_t i = 0; i < window_parts.size(); ++i) window_parts[i].second = window_parts[i].second + step_loss.parts[i].second;
    }

    // Time budget: measure the speed over a few steps (after the first, which pays for warm-up),
    // then fix the plan so warm-up, decay and distillation fit the budget.
    if (pos.plan.total == 0) {
      if (pos.step == 2) {
        l.item<double>();  // waits for the device
        calib_start = elapsed();
      } else if (pos.step == 2 + calibration_steps || (calib_start >= 0 && elapsed() > 0.25 * o.time_budget_s)) {
        l.item<double>();
        const double per_step = (elapsed() - calib_start) / static_cast<double>(pos.step - 2);
        pos.plan = make_plan(steps_within(o.time_budget_s - elapsed(), per_step, pos.step, cap), o);
        log << "[" << stage << "] " << format_duration(per_step) << "/step: planning " << pos.plan.total << " steps (warm-up "
            << pos.plan.warmup << (o.stage == Stage::Unified && o.self_distill ? ", self-distillation from step " + std::to_string(pos.plan.distill_from) : std::string())
            << ")\n";
      }
    }

    const bool last = pos.plan.total > 0 && pos.step >= pos.plan.total;
    if (window_steps >= o.log_every || last) {
      ProgressWindow w;
      w.stage = stage;
      w.step = pos.step;
      w.total = pos.plan.total;
      w.loss = window_loss.item<double>() / static_cast<double>(window_steps);
      for (auto& [name, v] : window_parts) w.parts.emplace_back(name, v.item<double>() / static_cast<double>(window_steps));
      w.lr = o.lr * factor;
      w.elapsed_s = elapsed();
      const double span = std::max(1e-9, w.elapsed_s - window_start);
      w.tokens_per_second = static_cast<double>(window_tokens) / span;
      w.eta_s = w.total > 0 ? span / static_cast<double>(window_steps) * static_cast<double>(w.total - w.step) : -1;
      if (o.time_budget_s > 0) w.eta_s = std::max(0.0, std::min(w.eta_s, o.time_budget_s - w.elapsed_s));
      log << progress_line(w) << "\n" << std::flush;
      if (json_log) json_log << progress_json(w) << "\n" << std::flush;
      if (first_window) report.first_loss = w.loss;
      report.last_loss = w.loss;
      first_window = false;
      window_loss = torch::Tensor();
      window_parts.clear();
      window_steps = window_tokens = 0;
      window_start = w.elapsed_s;
    }
    if (!o.checkpoint_dir.empty() && o.checkpoint_every > 0 && pos.step % o.checkpoint_every == 0 && !last) {
      pos.elapsed_s = elapsed();
      save_train_state(o.checkpoint_dir, stage, model, o.stage == Stage::Mlm ? &head : nullptr, *optimizer, pos, device);
    }
  }

  report.steps = pos.step;
  report.total_steps = pos.plan.total;
  report.seconds = elapsed();
  const double this_run = std::chrono::duration<double>(Clock::now() - t0).count();
  report.tokens_per_second = static_cast<double>(total_tokens) / std::max(1e-9, this_run);
  if (report.stopped_by_time) log << "[" << stage << "] time budget reached at step " << pos.step << "\n";
  if (!o.checkpoint_dir.empty()) {
    pos.elapsed_s = report.seconds;
    save_train_state(o.checkpoint_dir, stage, model, o.stage == Stage::Mlm ? &head : nullptr, *optimizer, pos, device);
  }
  model->eval();
  save_model_dir(model, o.out_dir, o.save_dtype, tokenizer);
  log << "[" << stage << "] " << pos.step << " steps in " << format_duration(report.seconds) << ", "
      << static_cast<int64_t>(report.tokens_per_second) << " tok/s; model written to " << o.out_dir << "\n";
  return report;
}

}  // namespace m3::trainer
