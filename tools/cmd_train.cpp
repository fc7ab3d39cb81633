// m3 train: one training stage (mlm | pairs | unified) from a model directory or a fresh config, on
// the GPU when there is one. Data: .tok files from `m3 train-prep` (or FlagEmbedding JSONL, which is
// tokenised first where the program has a tokenizer). Output: a model directory in the public layout.
#include <iostream>
#include <sstream>

#include "common/error.h"
#include "tools/command.h"
#include "trainer/trainer.h"

namespace m3::tools {
namespace {

struct TrainFlags {
  trainer::TrainOptions o;
  std::string stage = "unified";
  std::string buckets;
  bool no_self_distill = false;
  double dropout = 0.1;
};

std::vector<int> parse_ints(const std::string& list, const char* flag) {
  std::vector<int> out;
  std::stringstream ss(list);
  std::string part;
  while (std::getline(ss, part, ',')) {
    try {
      out.push_back(std::stoi(part));
    } catch (const std::exception&) {
      throw UsageError(std::string(flag) + ": '" + part + "' is not a number");
    }
  }
  return out;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

M3_COMMAND("train", "Train or fine-tune an M3 model: MLM, dense contrastive pairs, or all three heads with self-distillation",
           [](CLI::App& sub) {
             auto f = std::make_shared<TrainFlags>();
             auto& o = f->o;
             sub.add_option("--stage", f->stage, "mlm | pairs | unified (default unified)");
             sub.add_option("--data", o.data, "training data: .tok files from m3 train-prep (or FlagEmbedding .jsonl)")->required();
             sub.add_option("--out", o.out_dir, "output model directory (public layout + tokenizer)")->required();
             sub.add_option("--init", o.init_dir, "start from this model directory (default: a fresh model)");
             sub.add_option("--tokenizer", o.tokenizer, "sentencepiece.bpe.model to copy into the output (default: --init's)");
             sub.add_option("--save-dtype", o.save_dtype, "model.safetensors storage: f32 | f16 | bf16");
             // A fresh model's architecture.
             sub.add_option("--layers", o.config.num_hidden_layers, "fresh model: transformer layers");
             sub.add_option("--hidden", o.config.hidden_size, "fresh model: hidden size");
             sub.add_option("--heads", o.config.num_attention_heads, "fresh model: attention heads");
             sub.add_option("--ffn", o.config.intermediate_size, "fresh model: feed-forward size");
             sub.add_option("--max-positions", o.config.max_position_embeddings, "fresh model: position rows (max tokens + 2)");
             sub.add_option("--vocab-size", o.config.vocab_size, "fresh model: embedding rows (default: the data's vocabulary)");
             sub.add_option("--dropout", f->dropout, "fresh model: hidden and attention dropout");
             // Batching.
             sub.add_option("--query-max-length", o.query_max_len, "query tokens incl. specials");
             sub.add_option("--passage-max-length", o.passage_max_len, "passage (and MLM text) tokens incl. specials");
             sub.add_option("--group-size", o.group_size, "unified stage: passages per query (1 positive + negatives)");
             sub.add_option("--batch-tokens", o.tokens_per_batch, "padded tokens per batch (sets each length bucket's batch size)");
             sub.add_option("--max-batch", o.max_batch, "queries (or texts) per batch at most");
             sub.add_option("--buckets", f->buckets, "length bucket bounds, e.g. 32,64,128 (default: powers of two)");
             sub.add_option("--sub-batch", o.sub_batch, "texts per encoder call (0 = whole batch); use with --checkpointing");
             sub.add_flag("--checkpointing", o.activation_checkpointing, "per-layer activation checkpointing");
             // Optimisation.
             sub.add_option("--lr", o.lr, "peak learning rate (AdamW)");
             sub.add_option("--warmup-ratio", o.warmup_ratio, "share of steps with linear warm-up");
             sub.add_option("--weight-decay", o.weight_decay, "AdamW weight decay (not on biases and LayerNorms)");
             sub.add_option("--clip", o.clip_norm, "gradient-norm clipping (0 = off)");
             sub.add_option("--temperature", o.temperature, "InfoNCE temperature for all three scores");
             sub.add_option("--mlm-rate", o.mlm_rate, "MLM stage: share of tokens masked");
             sub.add_option("--train-heads", o.train_heads, "all | heads | comma list of encoder, sparse, colbert");
             sub.add_flag("--no-self-distill", f->no_self_distill, "unified stage: plain losses only (the ablation)");
             sub.add_option("--self-distill-start-step", o.self_distill_start_step, "distil when step > this (-1: from the start)");
             sub.add_option("--self-distill-start-frac", o.self_distill_start_frac, "distil after this share of the planned steps");
             // When to stop.
             sub.add_option("--max-steps", o.max_steps, "stop after this many steps");
             sub.add_option("--epochs", o.epochs, "stop after this many passes over the data");
             sub.add_option("--time-budget", o.time_budget_s, "stop after this many seconds (the schedule is planned to fit)");
             sub.add_option("--pause-at-step", o.pause_at_step, "stop early at this step; continue later with --resume");
             sub.add_option("--device", o.device, "auto | cpu | cuda");
             sub.add_option("--precision", o.precision, "auto (bf16 autocast on CUDA, fp32 on the CPU) | fp32 | bf16 (CUDA or CPU)");
             sub.add_option("--threads", o.threads, "CPU threads (0 = all cores)");
             sub.add_option("--dist-timeout", o.dist_timeout_s,
                            "data-parallel runs (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT set): seconds a rank waits for the others");
             sub.add_option("--seed", o.seed, "seed of data order, sampling, masking and initialisation");
             sub.add_option("--checkpoint-dir", o.checkpoint_dir, "where resume checkpoints go");
             sub.add_option("--checkpoint-every", o.checkpoint_every, "steps between resume checkpoints (0: at the end only)");
             sub.add_flag("--resume", o.resume, "continue from --checkpoint-dir when it holds a checkpoint");
             sub.add_option("--log-every", o.log_every, "steps per progress line");
             sub.add_option("--log-json", o.log_json, "append each progress line as JSON to this file");
             sub.callback([f] {
               auto o = f->o;
               o.stage = trainer::parse_stage(f->stage);
               o.self_distill = !f->no_self_distill;
               o.config.hidden_dropout_prob = o.config.attention_probs_dropout_prob = f->dropout;
               if (o.init_dir.empty() && o.config.vocab_size == 250002) o.config.vocab_size = 0;  // fresh: the data's
               if (!f->buckets.empty()) o.bucket_bounds = parse_ints(f->buckets, "--buckets");
               for (auto& path : o.data) {
                 if (!ends_with(path, ".jsonl")) continue;
                 auto& tokenize = trainer::jsonl_tokenizer();
                 if (!tokenize) throw UsageError(path + ": this build has no tokenizer; tokenise it with m3 train-prep --input");
                 const std::string tok = o.tokenizer.empty() ? o.init_dir + "/sentencepiece.bpe.model" : o.tokenizer;
                 path = tokenize(path, tok, std::max(o.query_max_len, o.passage_max_len), o.out_dir + ".data");
               }
               trainer::train(o, std::cerr);
             });
           });

}  // namespace
}  // namespace m3::tools
