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
#include "trainer/data_parallel.h"
#include "trainer/distributed.h"
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

TrainReport train(const TrainOptions& o, std::ostream& main_log) {
  const auto t_setup = Clock::now();
  // Data-parallel when launched torchrun-style (WORLD_SIZE > 1): every rank runs this same loop on
  // its share of each global batch; rank 0 alone logs and writes checkpoints and the model.
  const DistEnv env = read_dist_env();
  torch::Device device = pick_device(o.device);
  if (env.distributed() && device.is_cuda())
    device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env.local_rank % static_cast<int>(torch::cuda::device_count())));
  if (o.dist_timeout_s <= 0) throw UsageError("--dist-timeout must be positive");
  const auto dist = Distributed::connect(env, device, std::chrono::milliseconds(static_cast<int64_t>(o.dist_timeout_s * 1000)));
  std::ostream quiet(nullptr);  // other ranks: progress lines go nowhere (errors still surface as exceptions)
  std::ostream& log = dist->is_main() ? main_log : quiet;
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
  if (dist->active()) {
    // Every rank must have read the same checkpoint (the directory must be visible to all of them).
    const double step = static_cast<double>(pos.step);
    if (dist->max(step) != -dist->max(-step))
      throw Error("distributed: rank " + std::to_string(dist->rank()) + " resumed at step " + std::to_string(pos.step) +
                  " but another rank did not: --checkpoint-dir must hold the same checkpoint for every rank");
    // Identical parameters everywhere (they are by construction; this makes it a guarantee), then a
    // dropout stream of each rank's own.
    std::vector<torch::Tensor> all_params;
    for (auto& [name, p] : named) all_params.push_back(p);
    broadcast_from_main(all_params, *dist);
    if (!dist->is_main()) torch::manual_seed(o.seed + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(dist->rank()) + static_cast<uint64_t>(pos.step));
  }

  log << "[" << stage << "] " << corpus.num_texts() << " texts, " << plan.num_units() << " units, "
      << plan.batches_per_epoch() << " batches/epoch; model " << config.num_hidden_layers << "x" << config.hidden_size
      << ", vocab " << config.vocab_size << "; device " << device.str() << (autocast ? " bf16 autocast" : " fp32")
      << (o.activation_checkpointing && encoder_grad ? ", activation checkpointing" : "")
      << (o.sub_batch > 0 ? ", sub-batch " + std::to_string(o.sub_batch) : std::string())
      << (dist->active() ? "; data-parallel over " + std::to_string(dist->world_size()) + " processes (" + dist->backend() +
                               "), each batch split by query, passages of all ranks in every loss"
                         : std::string())
      << "; setup "
      << format_duration(std::chrono::duration<double>(Clock::now() - t_setup).count()) << "\n";

  std::ofstream json_log;
  if (!o.log_json.empty() && dist->is_main()) {
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
    if (o.time_budget_s > 0 && dist->max(elapsed() >= o.time_budget_s ? 1 : 0) > 0) {  // all ranks stop together
      report.stopped_by_time = true;
      break;
    }
    if (pos.index >= epoch_batches.size()) {
      ++pos.epoch;
      pos.index = 0;
      epoch_batches = plan.epoch(pos.epoch);
      continue;
    }
    // Every rank samples the whole global batch and keeps its share (data_parallel.h).
    const auto sampled = sampler.sample(epoch_batches[pos.index], pos.epoch, pos.index);
    const RankShare share = share_rows(static_cast<int64_t>(sampled.queries.size()), dist->rank(), dist->world_size());
    const CrossRankBatch cross{dist.get(), share};
    settings.cross = dist->active() ? &cross : nullptr;
    auto my_rows = [&](const PaddedTexts& t, int64_t per_query) {
      return dist->active() ? rows_of(t, share.first * per_query, share.count * per_query) : t;
    };
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
          if (!dist->active()) {
            tokens = texts.real_tokens;
            step_loss = mlm_step(model, head, texts, masked.labels, settings);
            break;
          }
          // The loss is a mean over the batch's masked tokens: this rank's share is its count over all.
          const auto chosen = [](const torch::Tensor& labels) { return labels.ne(-100).sum().item<int64_t>(); };
          const int64_t all_chosen = chosen(masked.labels);
          auto labels = masked.labels.slice(0, share.first, share.first + share.count);
          texts = my_rows(texts, 1);
          tokens = texts.real_tokens;
          const int64_t mine = chosen(labels);
          if (mine == 0) {
            step_loss = {torch::zeros({}), {{"mlm", torch::zeros({})}}};
            break;
          }
          step_loss = mlm_step(model, head, texts, labels, settings);
          const double w = static_cast<double>(mine) / static_cast<double>(all_chosen);
          step_loss.loss = step_loss.loss * w;
          for (auto& [name, v] : step_loss.parts) v = v * w;
          break;
        }
        case Stage::Pairs: {
          auto q = my_rows(pad_texts(sampled.queries, qlen), 1), p = my_rows(pad_texts(sampled.passages, plen), 1);
          tokens = q.real_tokens + p.real_tokens;
          step_loss = pairs_step(model, q, p, settings);
          break;
        }
        case Stage::Unified: {
          auto q = my_rows(pad_texts(sampled.queries, qlen), 1);
          auto p = my_rows(pad_texts(sampled.passages, plen), sampled.group_size);
          tokens = q.real_tokens + p.real_tokens;
          const bool distill = o.self_distill && pos.plan.total > 0 && pos.step >= pos.plan.distill_from;
          step_loss = unified_step(model, q, p, sampled.group_size, distill, settings);
          break;
        }
      }
    };
    // A data-parallel rank with nothing to learn from this batch (no masked token) skips backward.
    auto backward = [&] {
      if (!dist->active() || step_loss.loss.requires_grad()) step_loss.loss.backward();
    };
    optimizer->zero_grad();
    try {
      forward();
      backward();
    } catch (const c10::Error& e) {
      // bf16 autocast is an optimisation: if this LibTorch cannot run the model under it, train in fp32.
      if (!autocast || pos.step > 0) throw;
      log << "[" << stage << "] bf16 autocast failed (" << std::string(e.what()).substr(0, 200) << "); using fp32\n";
      autocast = false;
      optimizer->zero_grad();
      forward();
      backward();
    }
    all_reduce_gradients(clip_params, *dist);  // the combined batch's gradient, on every rank
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
      } else if (dist->max(pos.step == 2 + calibration_steps || (calib_start >= 0 && elapsed() > 0.25 * o.time_budget_s)) > 0) {
        l.item<double>();
        // Ranks plan with the slowest one's figures, so they all agree on the plan.
        const double now = dist->max(elapsed());
        const double per_step = dist->max((elapsed() - calib_start) / static_cast<double>(pos.step - 2));
        pos.plan = make_plan(steps_within(o.time_budget_s - now, per_step, pos.step, cap), o);
        log << "[" << stage << "] " << format_duration(per_step) << "/step: planning " << pos.plan.total << " steps (warm-up "
            << pos.plan.warmup << (o.stage == Stage::Unified && o.self_distill ? ", self-distillation from step " + std::to_string(pos.plan.distill_from) : std::string())
            << ")\n";
      }
    }

    const bool last = pos.plan.total > 0 && pos.step >= pos.plan.total;
    if (window_steps >= o.log_every || last) {
      if (dist->active()) {  // the whole batch's figures: each rank's loss is its share, tokens its own
        std::vector<double> v{window_loss.item<double>(), static_cast<double>(window_tokens)};
        for (auto& [name, t] : window_parts) v.push_back(t.item<double>());
        v = dist->sum(v);
        window_loss = torch::full({}, v[0], torch::kDouble);
        window_tokens = static_cast<int64_t>(v[1]);
        for (size_t i = 0; i < window_parts.size(); ++i) window_parts[i].second = torch::full({}, v[2 + i], torch::kDouble);
      }
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
    if (dist->is_main() && !o.checkpoint_dir.empty() && o.checkpoint_every > 0 && pos.step % o.checkpoint_every == 0 && !last) {
      pos.elapsed_s = elapsed();
      save_train_state(o.checkpoint_dir, stage, model, o.stage == Stage::Mlm ? &head : nullptr, *optimizer, pos, device);
    }
  }

  if (dist->active()) total_tokens = static_cast<int64_t>(dist->sum({static_cast<double>(total_tokens)})[0]);
  report.steps = pos.step;
  report.total_steps = pos.plan.total;
  report.seconds = elapsed();
  const double this_run = std::chrono::duration<double>(Clock::now() - t0).count();
  report.tokens_per_second = static_cast<double>(total_tokens) / std::max(1e-9, this_run);
  if (report.stopped_by_time) log << "[" << stage << "] time budget reached at step " << pos.step << "\n";
  if (!dist->is_main()) return report;  // rank 0 writes the checkpoint and the model
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
