// One training step split over two processes (Gloo on loopback) equals one process holding the whole
// batch: the loss and every parameter's gradient, for the unified stage (all three heads, cross-rank
// passages gathered with gradient, self-distillation on) and the pairs stage, with batches that split
// evenly, unevenly, and so small that one rank holds no query at all.
//
// The ranks are this test binary re-executed (DataParallelStep.Rank, skipped unless M3_DDP_CASE is
// set); each writes the summed loss and the all-reduced gradients to a file the parent compares.
#include <gtest/gtest.h>

#include <filesystem>

#include "rank_processes.h"
#include "trainer/data_parallel.h"
#include "trainer/model_setup.h"
#include "trainer/rng.h"
#include "trainer/train_step.h"

namespace m3::trainer {
namespace {

namespace fs = std::filesystem;

struct Case {
  bool unified = true;
  int queries = 4;
  int group = 3;
};

Case case_from(const std::string& s) {  // "unified:4:3"
  Case c;
  c.unified = s.rfind("unified", 0) == 0;
  const auto a = s.find(':'), b = s.rfind(':');
  c.queries = std::stoi(s.substr(a + 1, b - a - 1));
  c.group = std::stoi(s.substr(b + 1));
  return c;
}

M3Model tiny_model() {
  ModelConfig c;
  c.hidden_size = 32;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;
  c.intermediate_size = 64;
  c.max_position_embeddings = 34;
  c.vocab_size = 64;
  c.hidden_dropout_prob = c.attention_probs_dropout_prob = 0;  // equal steps need equal (no) dropout
  torch::manual_seed(7);
  M3Model m(c);
  init_weights(m);
  // Weights N(0, 0.1) rather than 0.02: at the small scale every text's CLS vector is almost the same,
  // the dense scores tie, and their gradients are mostly cancellation noise — nothing to compare.
  torch::NoGradGuard no_grad;
  for (auto& p : m->parameters())
    if (p.dim() > 1) p.mul_(5);
  m->train();
  return m;
}

// Texts of different lengths (so padding matters), the same on every process.
std::vector<std::vector<int32_t>> texts(int n, uint64_t seed) {
  Rng rng(seed);
  std::vector<std::vector<int32_t>> out;
  for (int i = 0; i < n; ++i) {
    std::vector<int32_t> t{0};
    const int len = 2 + static_cast<int>(rng.below(9));
    for (int k = 0; k < len; ++k) t.push_back(static_cast<int32_t>(4 + rng.below(59)));
    t.push_back(2);
    out.push_back(t);
  }
  return out;
}

std::vector<TokenSpan> spans(const std::vector<std::vector<int32_t>>& t) {
  std::vector<TokenSpan> s;
  for (auto& x : t) s.push_back(TokenSpan{x.data(), x.size()});
  return s;
}

// The step on this process's share (the whole batch when dist is inactive): summed loss, then the
// gradients (all-reduced when distributed), as one list.
std::vector<torch::Tensor> run_step(const Case& c, Distributed& dist) {
  auto model = tiny_model();
  const int group = c.unified ? c.group : 1;
  auto q_text = texts(c.queries, 11), p_text = texts(c.queries * group, 12);
  auto q = pad_texts(spans(q_text), 32), p = pad_texts(spans(p_text), 32);
  StepSettings s;
  s.sub_batch = 2;  // also exercises sub-batched encoding
  const RankShare share = share_rows(c.queries, dist.rank(), dist.world_size());
  CrossRankBatch cross{&dist, share};
  if (dist.active()) {
    s.cross = &cross;
    q = rows_of(q, share.first, share.count);
    p = rows_of(p, share.first * group, share.count * group);
  }
  auto out = c.unified ? unified_step(model, q, p, group, /*self_distill=*/true, s) : pairs_step(model, q, p, s);
  out.loss.backward();
  std::vector<torch::Tensor> params;
  for (auto& t : model->parameters()) params.push_back(t);
  all_reduce_gradients(params, dist);
  std::vector<torch::Tensor> result{torch::full({1}, dist.sum({out.loss.item<double>()})[0], torch::kDouble)};
  for (auto& [name, v] : out.parts) result.push_back(torch::full({1}, dist.sum({v.item<double>()})[0], torch::kDouble));
  for (auto& t : params) result.push_back(t.grad().defined() ? t.grad().clone() : torch::zeros({0}));
  return result;
}

TEST(DataParallelStep, Rank) {
  const char* which = std::getenv("M3_DDP_CASE");
  if (!which) GTEST_SKIP() << "a rank process of DataParallelStep.*";
  at::set_num_threads(1);
  auto dist = Distributed::connect(read_dist_env(), torch::kCPU, std::chrono::seconds(60));
  auto result = run_step(case_from(which), *dist);
  torch::save(result, std::string(std::getenv("M3_DDP_OUT")) + "." + std::to_string(dist->rank()) + ".pt");
}

void expect_two_ranks_equal_one(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("m3_ddp_step_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string out = (dir / name).string();
  {
    test::RankProcesses ranks({"/proc/self/exe", "--gtest_filter=DataParallelStep.Rank"}, 2, out,
                              {{"M3_DDP_CASE", name}, {"M3_DDP_OUT", out}});
    ASSERT_TRUE(ranks.wait(120)) << ranks.all_output();
    for (size_t r = 0; r < 2; ++r) ASSERT_EQ(ranks.exit_code(r), 0) << ranks.all_output();
  }
  at::set_num_threads(1);
  Distributed single;
  auto want = run_step(case_from(name), single);
  for (int r = 0; r < 2; ++r) {
    std::vector<torch::Tensor> got;
    torch::load(got, out + "." + std::to_string(r) + ".pt");
    ASSERT_EQ(got.size(), want.size());
    EXPECT_NEAR(got[0].item<double>(), want[0].item<double>(), 1e-5 * std::max(1.0, std::abs(want[0].item<double>())))
        << name << ": loss, rank " << r;
    size_t checked = 0;
    double worst_relative = 0;
    std::string worst_at;
    for (size_t i = 1; i < want.size(); ++i) {
      ASSERT_EQ(got[i].sizes(), want[i].sizes()) << name << " tensor " << i;
      if (want[i].numel() == 0) continue;
      // fp32 tolerance: 1e-5 of the tensor's largest gradient, and 1e-7 absolute for tensors whose
      // gradients are all tiny (their rounding noise comes from sums of much larger terms).
      const double scale = want[i].abs().max().item<double>();
      const double worst = (got[i].to(torch::kDouble) - want[i].to(torch::kDouble)).abs().max().item<double>();
      if (scale > 1e-6 && worst / scale > worst_relative) {  // (key biases: gradient 0 in exact arithmetic)
        worst_relative = worst / std::max(scale, 1e-30);
        worst_at = "tensor " + std::to_string(i) + ", largest |g| " + std::to_string(scale);
      }
      EXPECT_LT(worst, 1e-5 * scale + 1e-7) << name << ": tensor " << i << " (rank " << r << ") differs by " << worst
                                     << ", largest " << scale;
      ++checked;
    }
    EXPECT_GT(checked, 20u) << "too few gradients compared";
    std::cout << "[ ddp ] " << name << " rank " << r << ": loss " << got[0].item<double>() << " vs " << want[0].item<double>()
              << ", " << checked << " gradients, worst relative difference where |g| > 1e-6 " << worst_relative << " (" << worst_at << ")\n";
  }
  fs::remove_all(dir);
}

TEST(DataParallelStep, UnifiedEvenSplitEqualsOneProcess) { expect_two_ranks_equal_one("unified:4:3"); }
TEST(DataParallelStep, UnifiedUnevenSplitEqualsOneProcess) { expect_two_ranks_equal_one("unified:3:2"); }
TEST(DataParallelStep, UnifiedWithARankWithoutQueriesEqualsOneProcess) { expect_two_ranks_equal_one("unified:1:3"); }
TEST(DataParallelStep, PairsEqualsOneProcess) { expect_two_ranks_equal_one("pairs:5:1"); }
// One query and its one passage: the loss is 0 either way; what this checks is that the rank without a
// query joins the gather and its backward (no hang) and that both ranks agree.
TEST(DataParallelStep, PairsWithARankWithoutQueriesEqualsOneProcess) { expect_two_ranks_equal_one("pairs:1:1"); }

TEST(DataParallel, SharesAreContiguousBalancedAndCoverTheBatch) {
  for (int total : {0, 1, 5, 8, 13})
    for (int world : {1, 2, 3, 8}) {
      int64_t next = 0;
      for (int r = 0; r < world; ++r) {
        auto s = share_rows(total, r, world);
        EXPECT_EQ(s.first, next);
        EXPECT_LE(s.count, total / world + 1);
        EXPECT_GE(s.count, total / world);
        next += s.count;
      }
      EXPECT_EQ(next, total);
    }
}

}  // namespace
}  // namespace m3::trainer
