// `m3 train`'s engine: runs one stage (MLM, pairs, unified) from a model directory or a fresh
// config, on the GPU when LibTorch has CUDA and one is present, else on the CPU, and writes a model
// directory in the public layout (M3-SPEC §1) with a copy of the tokenizer.
//
// The loop: batches from BatchPlan (one dataset and one length bucket each, fixed seed), texts from
// GroupSampler, the stage's loss from train_step.h, AdamW (no decay on biases and LayerNorms),
// linear warm-up and decay, gradient clipping, a progress line every log_every steps, resume
// checkpoints, and a stop at max_steps / epochs / the wall-clock budget, whichever comes first.
// With a time budget the run first measures its speed and plans the schedule to end on time.
#pragma once
#include <functional>
#include <ostream>
#include <string>

#include "encoder/m3_model.h"
#include "trainer/train_options.h"

namespace m3::trainer {

TrainReport train(const TrainOptions& options, std::ostream& log);

// Writes the public layout (config.json, model.safetensors in `dtype`, colbert_linear.pt,
// sparse_linear.pt) and copies the tokenizer file in as sentencepiece.bpe.model.
void save_model_dir(M3Model& model, const std::string& dir, const std::string& dtype, const std::string& tokenizer);

// Tokenises a FlagEmbedding JSONL file into a .tok file and returns its path, so `m3 train --data`
// also takes JSONL. Set by the host build's train-prep code (tools/cmd_train_prep.cpp); empty in
// the GPU build, which has no tokenizer (there, tokenise first with m3 train-prep).
using JsonlTokenizer = std::function<std::string(const std::string& jsonl, const std::string& tokenizer, int max_len,
                                                 const std::string& work_dir)>;
JsonlTokenizer& jsonl_tokenizer();

}  // namespace m3::trainer
