// trainer/distributed.h: the torchrun environment is validated with errors that name the variable,
// and a group whose peer is missing or dies fails with a clear error within the timeout instead of
// hanging. The process cases run `m3 train` itself as the ranks (tests/trainer/rank_processes.h).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <filesystem>
#include <map>

#include "common/error.h"
#include "rank_processes.h"
#include "tiny_corpus.h"
#include "trainer/distributed.h"

namespace m3::trainer {
namespace {

namespace fs = std::filesystem;

DistEnv env_of(std::map<std::string, std::string> vars) {
  return read_dist_env([&vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

std::string usage_error(std::map<std::string, std::string> vars) {
  try {
    env_of(std::move(vars));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(DistEnv, UnsetOrWorldSizeOneIsASingleProcess) {
  EXPECT_FALSE(env_of({}).distributed());
  auto one = env_of({{"WORLD_SIZE", "1"}, {"RANK", "garbage"}});  // the rest is not looked at
  EXPECT_FALSE(one.distributed());
  EXPECT_EQ(one.rank, 0);
}

TEST(DistEnv, ReadsTheTorchrunVariables) {
  auto e = env_of({{"WORLD_SIZE", "4"}, {"RANK", "3"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "10.0.0.2"}, {"MASTER_PORT", "29500"}});
  EXPECT_TRUE(e.distributed());
  EXPECT_EQ(e.world_size, 4);
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.master_addr, "10.0.0.2");
  EXPECT_EQ(e.master_port, 29500);
}

TEST(DistEnv, BadValuesNameTheVariable) {
  const std::map<std::string, std::string> ok = {
      {"WORLD_SIZE", "2"}, {"RANK", "1"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "29500"}};
  auto with = [&](const std::string& k, const std::string& v) {
    auto m = ok;
    if (v == "<unset>") m.erase(k);
    else m[k] = v;
    return usage_error(m);
  };
  EXPECT_NE(with("RANK", "2").find("RANK=2 must be below WORLD_SIZE=2"), std::string::npos);
  EXPECT_NE(with("RANK", "-1").find("RANK='-1' is not a non-negative integer"), std::string::npos);
  EXPECT_NE(with("RANK", "one").find("RANK='one'"), std::string::npos);
  EXPECT_NE(with("RANK", "<unset>").find("RANK is not set"), std::string::npos);
  EXPECT_NE(with("WORLD_SIZE", "2x").find("WORLD_SIZE='2x'"), std::string::npos);
  EXPECT_NE(with("WORLD_SIZE", "0").find("WORLD_SIZE=0 is out of range [1, 1024]"), std::string::npos);
  EXPECT_NE(with("WORLD_SIZE", "99999999999").find("WORLD_SIZE='99999999999'"), std::string::npos);
  EXPECT_NE(with("WORLD_SIZE", "1025").find("out of range"), std::string::npos);
  EXPECT_NE(with("MASTER_PORT", "70000").find("MASTER_PORT=70000 is out of range [1, 65535]"), std::string::npos);
  EXPECT_NE(with("MASTER_PORT", "0").find("MASTER_PORT=0"), std::string::npos);
  EXPECT_NE(with("MASTER_PORT", "").find("MASTER_PORT is not set"), std::string::npos);
  EXPECT_NE(with("MASTER_ADDR", "<unset>").find("MASTER_ADDR is not set"), std::string::npos);
  EXPECT_NE(with("LOCAL_RANK", "x").find("LOCAL_RANK='x'"), std::string::npos);
}

TEST(Distributed, ASingleProcessGroupDoesNothing) {
  Distributed d;
  EXPECT_FALSE(d.active());
  std::vector<torch::Tensor> t{torch::ones({3})};
  d.all_reduce_sum(t);
  EXPECT_EQ(t[0].sum().item<float>(), 3.0f);
  EXPECT_EQ(d.all_gather(t[0]).size(), 1u);
  EXPECT_EQ(d.sum({2.5})[0], 2.5);
}

// `m3 train` run as ranks: a tiny unified-stage run on loopback.
class DistributedRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("m3_dist_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    data_ = test::write_tiny_corpus(dir_, 96, 5);
    std::ofstream(dir_ / "tokenizer.model") << "stand-in";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> train_args(const std::string& out, int steps, double timeout_s) const {
    return {std::string(M3_BINARY_DIR) + "/m3", "train", "--stage", "unified", "--data", data_, "--out", (dir_ / out).string(),
            "--tokenizer", (dir_ / "tokenizer.model").string(), "--layers", "2", "--hidden", "32", "--heads", "2",
            "--ffn", "64", "--max-positions", "34", "--group-size", "4", "--batch-tokens", "480", "--threads", "1",
            "--max-steps", std::to_string(steps), "--log-every", "1", "--dist-timeout", std::to_string(timeout_s)};
  }
  std::string log(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
  std::string data_;
};

TEST_F(DistributedRun, BadEnvironmentIsAUsageErrorNotACrash) {
  for (auto [var, value, expect] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"RANK", "5", "RANK=5 must be below WORLD_SIZE=2"},
           {"WORLD_SIZE", "two", "WORLD_SIZE='two' is not a non-negative integer"},
           {"MASTER_PORT", "70000", "MASTER_PORT=70000 is out of range"}}) {
    test::RankProcesses p(train_args("bad", 2, 10), 2, log("bad_" + var), {{var, value}}, {0});
    ASSERT_TRUE(p.wait(60)) << p.all_output();
    EXPECT_EQ(p.exit_code(0), 2) << p.all_output();
    EXPECT_NE(p.output(0).find(expect), std::string::npos) << p.all_output();
  }
}

TEST_F(DistributedRun, AMissingRankFailsWithinTheTimeout) {
  const auto t0 = std::chrono::steady_clock::now();
  test::RankProcesses p(train_args("alone", 2, 3), 2, log("alone"), {}, {0});  // rank 1 never starts
  ASSERT_TRUE(p.wait(60)) << "rank 0 hung waiting for rank 1\n" << p.all_output();
  EXPECT_EQ(p.exit_code(0), 1) << p.all_output();
  EXPECT_NE(p.output(0).find("distributed: rank 0 could not"), std::string::npos) << p.all_output();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 40);
}

TEST_F(DistributedRun, ARankThatDiesMakesTheOtherFailNotHang) {
  test::RankProcesses p(train_args("dies", 100000, 5), 2, log("dies"));
  ASSERT_TRUE(p.wait_for_output(0, "[unified] step 2/", 120)) << p.all_output();  // training is under way
  p.kill(1);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(p.wait(60)) << "rank 0 hung after rank 1 died\n" << p.all_output();
  EXPECT_EQ(p.exit_code(0), 1) << p.all_output();
  EXPECT_NE(p.output(0).find("distributed:"), std::string::npos) << p.all_output();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 40);
}

// torchrun itself (Debian's python3-torch 1.13) as the launcher: its agent hosts the store and sets
// TORCHELASTIC_USE_AGENT_STORE, so every rank must join as a client under /worker/attempt_<n>.
// `--redirects 1 --tee 1`: with Python 3.11, torch 1.13's torchrun cannot parse the default "0".
TEST_F(DistributedRun, TorchrunStartsTheRanks) {
  if (std::system("/usr/bin/python3 -c 'import torch.distributed.run' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "no /usr/bin/python3 with torch (python3-torch)";
  std::string cmd = "/usr/bin/python3 -m torch.distributed.run --nnodes 1 --nproc_per_node 2 --master_addr 127.0.0.1"
                    " --master_port " + std::to_string(test::free_port()) + " --redirects 1 --tee 1 --no_python";
  for (const auto& a : train_args("torchrun", 3, 60)) cmd += " '" + a + "'";
  const std::string out = log("torchrun.log");
  const int rc = std::system(("timeout 180 " + cmd + " >" + out + " 2>&1").c_str());
  std::ifstream in(out);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rc, 0) << text;
  EXPECT_NE(text.find("data-parallel over 2 processes (gloo)"), std::string::npos) << text;
  EXPECT_TRUE(fs::exists(dir_ / "torchrun" / "model.safetensors")) << text;
}

}  // namespace
}  // namespace m3::trainer
