// `m3 train` data-parallel end to end (two ranks on loopback, Gloo): the loss curve and the trained
// weights equal one process's on the same global batches, and a checkpoint written under one world
// size resumes under another (2 → 1, 1 → 2) to the weights of an uninterrupted run. Dropout is off:
// each rank draws its own dropout masks, so only dropout-free runs can agree exactly.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "encoder/checkpoint.h"
#include "rank_processes.h"
#include "tiny_corpus.h"

namespace m3::trainer {
namespace {

namespace fs = std::filesystem;

class DataParallelTraining : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("m3_ddp_train_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    data_ = test::write_tiny_corpus(dir_, 96, 5);
    std::ofstream(dir_ / "tokenizer.model") << "stand-in";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `m3 train` as `world` ranks; returns rank 0's output.
  std::string train(const std::string& out, int world, int steps, const std::vector<std::string>& extra = {},
                    const std::string& stage = "unified") {
    std::vector<std::string> args{std::string(M3_BINARY_DIR) + "/m3", "train", "--stage", stage, "--data", data_,
                                  "--out", (dir_ / out).string(), "--tokenizer", (dir_ / "tokenizer.model").string(),
                                  "--layers", "2", "--hidden", "32", "--heads", "2", "--ffn", "64",
                                  "--max-positions", "34", "--group-size", "4", "--batch-tokens", "480",
                                  "--threads", "1", "--dropout", "0", "--lr", "2e-3", "--max-steps",
                                  std::to_string(steps), "--self-distill-start-step", "2", "--log-every", "1",
                                  "--log-json", (dir_ / (out + ".json")).string(), "--dist-timeout", "60"};
    args.insert(args.end(), extra.begin(), extra.end());
    test::RankProcesses p(args, world, (dir_ / out).string());
    EXPECT_TRUE(p.wait(300)) << p.all_output();
    for (int r = 0; r < world; ++r) EXPECT_EQ(p.exit_code(static_cast<size_t>(r)), 0) << p.all_output();
    return p.output(0);
  }

  std::map<int64_t, double> losses(const std::string& out) const {
    std::map<int64_t, double> by_step;
    std::ifstream in(dir_ / (out + ".json"));
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line);
      by_step[j.at("step").get<int64_t>()] = j.at("loss").get<double>();
    }
    return by_step;
  }

  void expect_same_weights(const std::string& a_dir, const std::string& b_dir, double tolerance) const {
    auto a = load_checkpoint((dir_ / a_dir).string()), b = load_checkpoint((dir_ / b_dir).string());
    ASSERT_FALSE(a.encoder.empty());
    double worst_all = 0;
    for (const auto& [name, t] : a.encoder) {
      auto x = t.to_float(), y = b.encoder.at(name).to_float();
      ASSERT_EQ(x.size(), y.size()) << name;
      double worst = 0;
      for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, static_cast<double>(std::abs(x[i] - y[i])));
      EXPECT_LT(worst, tolerance) << name << ": " << a_dir << " vs " << b_dir;
      worst_all = std::max(worst_all, worst);
    }
    std::cout << "[ ddp ] weights " << a_dir << " vs " << b_dir << ": largest difference " << worst_all << "\n";
  }

  fs::path dir_;
  std::string data_;
};

TEST_F(DataParallelTraining, TwoRanksTrainLikeOneAndCheckpointsResumeUnderAnotherWorldSize) {
  const int steps = 8;
  train("one", 1, steps);
  const std::string log2 = train("two", 2, steps);
  EXPECT_NE(log2.find("data-parallel over 2 processes (gloo)"), std::string::npos) << log2;

  // The same loss at every step (the progress lines are the whole batch's, summed over ranks).
  auto l1 = losses("one"), l2 = losses("two");
  ASSERT_EQ(l1.size(), static_cast<size_t>(steps));
  ASSERT_EQ(l2.size(), l1.size());
  for (auto& [step, loss] : l1) EXPECT_NEAR(l2.at(step), loss, 1e-4 * std::max(1.0, loss)) << "step " << step;
  expect_same_weights("one", "two", 2e-4);

  // Four ranks: this fixture's batches hold 6 queries (96 examples, 16 batches per epoch), so the
  // shares are 1, 2, 1, 2 — uneven, still the same result.
  const std::string log4 = train("four", 4, steps);
  EXPECT_NE(log4.find("data-parallel over 4 processes"), std::string::npos) << log4;
  EXPECT_NE(log4.find(" 96 units, 16 batches/epoch"), std::string::npos) << log4;
  auto l4 = losses("four");
  ASSERT_EQ(l4.size(), l1.size());
  for (auto& [step, loss] : l1) EXPECT_NEAR(l4.at(step), loss, 1e-4 * std::max(1.0, loss)) << "W=4 step " << step;
  expect_same_weights("one", "four", 2e-4);

  // 2 ranks up to step 4, then 1 rank to the end; and 1 rank first, then 2.
  for (auto [first, second] : std::vector<std::pair<int, int>>{{2, 1}, {1, 2}}) {
    const std::string name = "resume" + std::to_string(first) + std::to_string(second);
    const std::vector<std::string> ck{"--checkpoint-dir", (dir_ / (name + ".ck")).string(), "--checkpoint-every", "2"};
    auto paused = ck;
    paused.insert(paused.end(), {"--pause-at-step", "4"});
    train(name, first, steps, paused);
    auto resumed = ck;
    resumed.push_back("--resume");
    const std::string log = train(name, second, steps, resumed);
    EXPECT_NE(log.find("resumed at step 4"), std::string::npos) << log;
    auto l = losses(name);
    for (auto& [step, loss] : l1) EXPECT_NEAR(l.at(step), loss, 1e-4 * std::max(1.0, loss)) << name << " step " << step;
    expect_same_weights("one", name, 2e-4);
  }
}

// The other two stages: MLM (each rank's loss weighted by its share of the batch's masked tokens) and
// dense pairs (in-batch negatives gathered from both ranks).
TEST_F(DataParallelTraining, MlmAndPairsStagesTrainLikeOneProcess) {
  for (const std::string stage : {"mlm", "pairs"}) {
    // pairs continues a model that has learned something of the task: a fresh (or MLM-only) model's
    // CLS vectors are all alike, the dense scores tie (loss ln B), and the gradients are rounding noise
    // that AdamW scales up to full steps — nothing to compare.
    std::vector<std::string> init;
    if (stage == "pairs") {
      train("base", 1, 20, {}, "unified");
      init = {"--init", (dir_ / "base").string()};
    }
    train(stage + "1", 1, 5, init, stage);
    train(stage + "2", 2, 5, init, stage);
    auto l1 = losses(stage + "1"), l2 = losses(stage + "2");
    ASSERT_EQ(l1.size(), 5u) << stage;
    ASSERT_EQ(l2.size(), l1.size()) << stage;
    for (auto& [step, loss] : l1) EXPECT_NEAR(l2.at(step), loss, 1e-4 * std::max(1.0, loss)) << stage << " step " << step;
    expect_same_weights(stage + "1", stage + "2", 2e-4);
  }
}

}  // namespace
}  // namespace m3::trainer
