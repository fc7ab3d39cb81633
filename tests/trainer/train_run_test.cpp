// Tiny end-to-end training runs (seconds on a CPU): each stage lowers its loss, the written model
// directory loads and has learned the task, and a paused run resumes to exactly the same weights.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "encoder/checkpoint.h"
#include "encoder/m3_model.h"
#include "tiny_corpus.h"
#include "trainer/token_corpus.h"
#include "trainer/torch_compat.h"
#include "trainer/trainer.h"

namespace m3::trainer {
namespace {

namespace fs = std::filesystem;

using test::write_tiny_corpus;

class TrainRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("m3_train_run_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    data_ = write_tiny_corpus(dir_, 96, 5);
    tokenizer_ = (dir_ / "tokenizer.model").string();
    std::ofstream(tokenizer_) << "stand-in: load_checkpoint only needs the file to exist";
  }
  void TearDown() override { fs::remove_all(dir_); }

  TrainOptions options(Stage stage, const std::string& out) const {
    TrainOptions o;
    o.stage = stage;
    o.data = {data_};
    o.config.hidden_size = 32;
    o.config.num_hidden_layers = 2;
    o.config.num_attention_heads = 2;
    o.config.intermediate_size = 64;
    o.config.max_position_embeddings = 34;
    o.config.vocab_size = 0;  // from the data
    o.tokenizer = tokenizer_;
    o.out_dir = (dir_ / out).string();
    o.group_size = 4;
    o.tokens_per_batch = 16 * 5 * 6;
    o.lr = 2e-3;
    o.warmup_ratio = 0.1;
    o.log_every = 5;
    o.threads = 1;
    return o;
  }

  fs::path dir_;
  std::string data_, tokenizer_;
};

TEST_F(TrainRun, UnifiedStageLowersTheLossAndWritesALoadableModelThatLearned) {
  auto o = options(Stage::Unified, "model");
  o.max_steps = 60;
  o.sub_batch = 16;
  o.activation_checkpointing = true;
  o.self_distill_start_frac = 0.3;
  std::ostringstream log;
  auto r = train(o, log);
  EXPECT_EQ(r.steps, 60);
  EXPECT_LT(r.last_loss, 0.7 * r.first_loss) << log.str();
  EXPECT_NE(log.str().find("distill"), std::string::npos) << "self-distillation never started:\n" << log.str();

  auto ck = load_checkpoint(o.out_dir);
  auto model = load_m3_model(ck);
  EXPECT_EQ(ck.config.vocab_size, 64);
  // The loaded model ranks each query's positive above a random negative for most queries.
  auto corpus = read_token_corpus(data_);
  int wins = 0, n = 0;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < 32; ++i, ++n) {
    auto e = corpus.example(i);
    auto enc = [&](uint32_t t) {
      auto s = corpus.text(t);
      auto ids = torch::tensor(std::vector<int64_t>(s.begin(), s.end())).unsqueeze(0);
      return model->forward(ids, torch::ones_like(ids)).dense;
    };
    auto q = enc(e.query);
    wins += (q * enc(e.pos[0])).sum().item<float>() > (q * enc(e.neg[0])).sum().item<float>();
  }
  EXPECT_GT(wins, n * 3 / 4) << wins << " of " << n;
}

// bf16 autocast on the CPU (oneDNN's bf16 matmuls): the run must really use it (no fp32 fallback),
// start from the same loss as fp32 within bf16's rounding, learn, and leave autocast off afterwards.
TEST_F(TrainRun, CpuBf16AutocastTrainsLikeFp32) {
  auto f32 = options(Stage::Unified, "f32");
  f32.max_steps = 40;
  f32.sub_batch = 16;
  f32.activation_checkpointing = true;  // the recomputation must replay autocast too
  f32.precision = "fp32";
  auto bf16 = f32;
  bf16.out_dir = (dir_ / "bf16").string();
  bf16.precision = "bf16";
  bf16.device = "cpu";
  std::ostringstream log32, log16;
  auto a = train(f32, log32);
  auto b = train(bf16, log16);
  EXPECT_NE(log16.str().find("bf16 autocast"), std::string::npos) << log16.str();
  EXPECT_EQ(log16.str().find("autocast failed"), std::string::npos) << log16.str();
  EXPECT_NEAR(b.first_loss, a.first_loss, 0.02 * a.first_loss) << log16.str();
  EXPECT_NE(b.first_loss, a.first_loss) << "bf16 gave fp32's loss bit for bit: autocast did nothing";
  EXPECT_LT(b.last_loss, 0.7 * b.first_loss) << log16.str();
  EXPECT_FALSE(compat::autocast_enabled(/*cuda=*/false));
}

TEST_F(TrainRun, MlmAndPairsStagesLowerTheirLoss) {
  auto mlm = options(Stage::Mlm, "mlm");
  mlm.max_steps = 40;
  mlm.mlm_rate = 0.3;
  std::ostringstream log;
  auto r = train(mlm, log);
  EXPECT_LT(r.last_loss, r.first_loss) << log.str();

  auto pairs = options(Stage::Pairs, "pairs");
  pairs.init_dir = mlm.out_dir;  // stages chain through model directories
  pairs.max_steps = 40;
  auto r2 = train(pairs, log);
  EXPECT_LT(r2.last_loss, 0.8 * r2.first_loss) << log.str();
}

TEST_F(TrainRun, APausedRunResumesToTheSameWeights) {
  auto straight = options(Stage::Unified, "straight");
  straight.max_steps = 12;
  straight.config.hidden_dropout_prob = 0.1;  // the generator state must be restored too
  straight.config.attention_probs_dropout_prob = 0.1;
  straight.save_dtype = "f32";
  std::ostringstream log;
  train(straight, log);

  auto paused = straight;
  paused.out_dir = (dir_ / "paused").string();
  paused.checkpoint_dir = (dir_ / "ckpt").string();
  paused.checkpoint_every = 4;
  paused.pause_at_step = 7;
  auto first = train(paused, log);
  EXPECT_EQ(first.steps, 7);
  paused.pause_at_step = 0;
  paused.resume = true;
  auto second = train(paused, log);
  EXPECT_EQ(second.steps, 12);
  EXPECT_NE(log.str().find("resumed at step 7"), std::string::npos) << log.str();

  auto a = load_checkpoint(straight.out_dir), b = load_checkpoint(paused.out_dir);
  for (const auto& [name, t] : a.encoder) {
    auto x = t.to_float(), y = b.encoder.at(name).to_float();
    ASSERT_EQ(x.size(), y.size());
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, static_cast<double>(std::abs(x[i] - y[i])));
    EXPECT_LT(worst, 1e-6) << name;
  }
}

}  // namespace
}  // namespace m3::trainer
