// Each score and loss of trainer/losses.h against values worked out by hand on tiny tensors.
#include <gtest/gtest.h>

#include <cmath>

#include "trainer/losses.h"

namespace m3::trainer {
namespace {

torch::Tensor T(std::vector<float> v, std::vector<int64_t> shape) { return torch::tensor(v).reshape(shape); }
torch::Tensor Ids(std::vector<int64_t> v, std::vector<int64_t> shape) { return torch::tensor(v, torch::kLong).reshape(shape); }

TEST(Losses, SparseScoreMaxPoolsRepeatedIdsAndMatchesSharedIdsOnly) {
  // q: id 5 at weights 0.5 and 0.8 (max 0.8), id 7 at 0.2. p1: {7: 0.3, 9: 0.4}. p2: {5: 0.6} (twice, max 0.6).
  auto q_ids = Ids({0, 5, 7, 5, 2}, {1, 5});
  auto q_w = T({0, 0.5f, 0.2f, 0.8f, 0}, {1, 5}).requires_grad_(true);
  auto p_ids = Ids({0, 7, 9, 2, 1, 0, 5, 5, 2, 1}, {2, 5});
  auto p_w = T({0, 0.3f, 0.4f, 0, 0, 0, 0.1f, 0.6f, 0, 0}, {2, 5});
  auto s = sparse_score_matrix(q_ids, q_w, p_ids, p_w);
  ASSERT_EQ(s.sizes(), (std::vector<int64_t>{1, 2}));
  EXPECT_NEAR(s[0][0].item<float>(), 0.2 * 0.3, 1e-6);
  EXPECT_NEAR(s[0][1].item<float>(), 0.8 * 0.6, 1e-6);
  // The gradient reaches only the position holding the max of id 5 (as torch.max in the reference).
  s[0][1].backward();
  auto g = q_w.grad();
  EXPECT_NEAR(g[0][3].item<float>(), 0.6, 1e-6);
  EXPECT_NEAR(g[0][1].item<float>(), 0.0, 1e-6);
  EXPECT_NEAR(g[0][2].item<float>(), 0.0, 1e-6);
}

TEST(Losses, MultivecScoreIgnoresPaddedPassageRows) {
  // q: two vectors e1, e2. p1: e1, (0.6, 0.8), padding. max(e1·) = 1, max(e2·) = 0.8 -> (1 + 0.8)/2.
  auto q = T({1, 0, 0, 1}, {1, 2, 2});
  auto qm = Ids({1, 1}, {1, 2});
  // p2: one real vector (-0.6, 0.8): e1 gets -0.6 (a zero padded row would have given 0), e2 gets 0.8.
  auto p = T({1, 0, 0.6f, 0.8f, 0, 0, -0.6f, 0.8f, 0, 0, 0, 0}, {2, 3, 2});
  auto pm = Ids({1, 1, 0, 1, 0, 0}, {2, 3});
  auto s = multivec_score_matrix(q, qm, p, pm, /*passage_chunk=*/1);
  EXPECT_NEAR(s[0][0].item<float>(), (1 + 0.8) / 2, 1e-6);
  EXPECT_NEAR(s[0][1].item<float>(), (-0.6 + 0.8) / 2, 1e-6);
}

TEST(Losses, MultivecScoreDividesByRealQueryVectorsOnly) {
  auto q = T({1, 0, 0, 0}, {1, 2, 2});  // second row is padding
  auto qm = Ids({1, 0}, {1, 2});
  auto p = T({0.6f, 0.8f}, {1, 1, 2});
  auto pm = Ids({1}, {1, 1});
  EXPECT_NEAR(multivec_score_matrix(q, qm, p, pm)[0][0].item<float>(), 0.6, 1e-6);
}

TEST(Losses, InfoNceTargetsTheFirstPassageOfEachGroup) {
  auto logits = T({1, 2, 3, 4, 0, 0, 0, 0}, {2, 4});
  const double row0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0) + std::exp(4.0)) - 1.0;  // target 0
  const double row1 = std::log(4.0);                                                                    // target 2
  EXPECT_NEAR(info_nce(logits, 2).item<double>(), (row0 + row1) / 2, 1e-5);
  EXPECT_THROW(info_nce(logits, 3), std::exception);
}

TEST(Losses, DistillLossIsCrossEntropyAgainstADetachedTeacher) {
  auto student = T({0, 0}, {1, 2}).requires_grad_(true);
  auto teacher = T({0, static_cast<float>(std::log(3.0))}, {1, 2}).requires_grad_(true);  // softmax = (0.25, 0.75)
  auto l = distill_loss(student, teacher);
  EXPECT_NEAR(l.item<double>(), std::log(2.0), 1e-6);
  l.backward();
  // d/ds of −Σ t·log_softmax(s) = softmax(s) − t = (0.5 − 0.25, 0.5 − 0.75).
  EXPECT_NEAR(student.grad()[0][0].item<double>(), 0.25, 1e-6);
  EXPECT_NEAR(student.grad()[0][1].item<double>(), -0.25, 1e-6);
  EXPECT_FALSE(teacher.grad().defined());
}

// Independent scalar implementation of M3-SPEC §4 for one query and group size 2.
double ce(const std::vector<double>& s, size_t target) {
  double z = 0;
  for (double v : s) z += std::exp(v);
  return std::log(z) - s[target];
}
double soft_ce(const std::vector<double>& student, const std::vector<double>& teacher) {
  double zt = 0, zs = 0;
  for (double v : teacher) zt += std::exp(v);
  for (double v : student) zs += std::exp(v);
  double out = 0;
  for (size_t i = 0; i < student.size(); ++i) out -= std::exp(teacher[i]) / zt * (student[i] - std::log(zs));
  return out;
}

TEST(Losses, UnifiedLossFollowsTheReferenceConstants) {
  const double tau = 0.02;
  std::vector<double> d{0.8, 0.5}, l{0.3, 0.35}, m{0.7, 0.6};  // raw scores for (positive, negative)
  auto scale = [&](std::vector<double> v) {
    for (auto& x : v) x /= tau;
    return v;
  };
  auto sd = scale(d), sl = scale(l), sm = scale(m);
  std::vector<double> inter(2);
  for (int i = 0; i < 2; ++i) inter[i] = sd[i] + 0.3 * sl[i] + sm[i];
  const double L = (ce(sd, 0) + ce(inter, 0) + 0.1 * ce(sl, 0) + ce(sm, 0)) / 4;
  const double Lp = (soft_ce(sd, inter) + 0.1 * soft_ce(sl, inter) + soft_ce(sm, inter)) / 3;

  auto t = [](const std::vector<double>& v) { return torch::tensor({static_cast<float>(v[0]), static_cast<float>(v[1])}).reshape({1, 2}); };
  auto plain = unified_loss(t(d), t(l), t(m), tau, 2, /*self_distill=*/false);
  EXPECT_NEAR(plain.total.item<double>(), L, 1e-4);
  EXPECT_NEAR(plain.lex.item<double>(), ce(sl, 0), 1e-4);
  EXPECT_FALSE(plain.distill.defined());
  auto distilled = unified_loss(t(d), t(l), t(m), tau, 2, /*self_distill=*/true);
  EXPECT_NEAR(distilled.distill.item<double>(), Lp, 1e-4);
  EXPECT_NEAR(distilled.total.item<double>(), (L + Lp) / 2, 1e-4);
}

TEST(Losses, DenseScoreIsTheDotProduct) {
  auto q = T({1, 0, 0.6f, 0.8f}, {2, 2});
  auto p = T({0.6f, 0.8f}, {1, 2});
  auto s = dense_score_matrix(q, p);
  EXPECT_NEAR(s[0][0].item<float>(), 0.6, 1e-6);
  EXPECT_NEAR(s[1][0].item<float>(), 1.0, 1e-6);
}

}  // namespace
}  // namespace m3::trainer
