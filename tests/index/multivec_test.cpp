// MultiVectorStore: codec names, round-trip error bounds, MaxSim equal to a naive computation over
// the decoded vectors, and merges that copy codes.
#include <gtest/gtest.h>

#include <algorithm>

#include "index/multivec_store.h"
#include "test_util.h"

namespace m3 {
namespace {

double naive_maxsim(const float* q, int nq, const std::vector<float>& d, int dim) {
  size_t n = d.size() / dim;
  if (n == 0) return 0;
  double total = 0;
  for (int i = 0; i < nq; ++i) {
    double best = -1e30;
    for (size_t j = 0; j < n; ++j) {
      double s = 0;
      for (int t = 0; t < dim; ++t) s += double(q[i * dim + t]) * d[j * dim + t];
      best = std::max(best, s);
    }
    total += best;
  }
  return total / nq;
}

TEST(MultiVector, CodecNames) {
  for (const char* n : {"fp32", "fp16", "int8", "binary", "residual"}) EXPECT_STREQ(to_string(parse_mv_codec(n)), n);
  EXPECT_THROW(parse_mv_codec("pq"), UsageError);
  EXPECT_THROW(check_mv_bits(MvCodec::Residual, 3), UsageError);
  EXPECT_EQ(mv_code_size(MvCodec::Fp16, 1024, 2), 2048u);
  EXPECT_EQ(mv_code_size(MvCodec::Binary, 1024, 2), 132u);
  EXPECT_EQ(mv_code_size(MvCodec::Residual, 1024, 2), 258u);
}

class CodecTest : public ::testing::TestWithParam<std::pair<const char*, int>> {};

TEST_P(CodecTest, RoundTripAndExactMaxSim) {
  const auto [name, bits] = GetParam();
  const MvCodec codec = parse_mv_codec(name);
  const int dim = 128;
  std::mt19937_64 rng(7);
  test::TempDir dir;
  auto x = test::clustered(4000, dim, 40, 0.5f, rng);
  ResidualCodebook cb;
  if (codec == MvCodec::Residual) cb = ResidualCodebook::train(x.data(), 4000, dim, bits);
  MvEncoder enc(codec, dim, bits, &cb);
  // Per-coordinate error bound of each codec on unit vectors.
  std::vector<uint8_t> code(enc.code_size());
  std::vector<float> dec(dim);
  double max_err = 0, sum_err = 0;
  for (size_t v = 0; v < 4000; ++v) {
    enc.encode(&x[v * dim], 1, code.data());
    enc.decode(code.data(), dec.data());
    for (int t = 0; t < dim; ++t) {
      double e = std::fabs(double(dec[t]) - x[v * dim + t]);
      max_err = std::max(max_err, e);
      sum_err += e;
    }
  }
  const double mean_err = sum_err / (4000.0 * dim);
  switch (codec) {
    case MvCodec::Fp32: EXPECT_EQ(max_err, 0.0); break;
    case MvCodec::Fp16: EXPECT_LT(max_err, 1e-3); break;            // 2^-11 relative on |x| <= 1
    case MvCodec::Int8: EXPECT_LT(max_err, 1.0 / 254 + 1e-6); break;  // half a step of max|x|/127
    case MvCodec::Binary: EXPECT_LT(mean_err, 0.08); break;
    case MvCodec::Residual: EXPECT_LT(mean_err, bits == 1 ? 0.06 : 0.04); break;
  }
  // Store and score: MaxSim equals the naive computation over decoded vectors.
  MultiVectorWriter w(dir.sub("mv.bin"), codec, dim, bits, &cb);
  std::vector<size_t> counts;
  size_t at = 0;
  for (int d = 0; d < 30; ++d) {
    size_t n = d == 5 ? 0 : 1 + rng() % 60;
    w.add(&x[at * dim], n);
    counts.push_back(n);
    at += n;
  }
  w.finish();
  auto store = MultiVectorStore::open(dir.sub("mv.bin"), dim, &cb);
  ASSERT_EQ(store->num_docs(), 30u);
  auto q = test::clustered(12, dim, 40, 0.5f, rng);
  std::vector<float> scratch(dim);
  for (uint32_t d = 0; d < 30; ++d) {
    ASSERT_EQ(store->num_vectors(d), counts[d]);
    double ref = naive_maxsim(q.data(), 12, store->decode(d), dim);
    EXPECT_NEAR(store->maxsim(q.data(), 12, d), ref, 2e-5) << name << " doc " << d;
  }
  EXPECT_EQ(store->maxsim(q.data(), 12, 5), 0.f);
  // Many rows at once (shuffled, repeated, the empty row among them, more vectors than one pass, a
  // query count that leaves remainders in the 4x4 blocks): each score equals the row's own score.
  for (int nq : {12, 5, 1}) {
    const MaxSimQuery prepared = store->prepare(q.data(), nq);
    std::vector<uint32_t> rows;
    for (int rep = 0; rep < 3; ++rep)
      for (uint32_t d = 0; d < 30; ++d) rows.push_back(d);
    std::shuffle(rows.begin(), rows.end(), rng);
    std::vector<float> many(rows.size());
    store->maxsim(prepared, rows.data(), rows.size(), many.data());
    for (size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(many[i], store->maxsim(prepared, rows[i])) << name << " nq " << nq << " doc " << rows[i];
      EXPECT_NEAR(many[i], naive_maxsim(q.data(), nq, store->decode(rows[i]), dim), 2e-5) << name << " doc " << rows[i];
    }
  }
  EXPECT_THROW(MultiVectorStore::open(dir.sub("mv.bin"), dim * 2, &cb), Error);
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, CodecTest,
                         ::testing::Values(std::make_pair("fp32", 2), std::make_pair("fp16", 2), std::make_pair("int8", 2),
                                           std::make_pair("binary", 2), std::make_pair("residual", 1),
                                           std::make_pair("residual", 2), std::make_pair("residual", 4)));

TEST(MultiVector, HammingPrescoreTracksExactScore) {
  const int dim = 128;
  std::mt19937_64 rng(9);
  test::TempDir dir;
  auto x = test::clustered(3000, dim, 20, 0.3f, rng);
  MultiVectorWriter w(dir.sub("mv.bin"), MvCodec::Binary, dim, 0, nullptr);
  for (int d = 0; d < 100; ++d) w.add(&x[size_t(d) * 30 * dim], 30);
  w.finish();
  auto store = MultiVectorStore::open(dir.sub("mv.bin"), dim, nullptr);
  auto q = test::clustered(8, dim, 20, 0.3f, rng);
  auto qb = MultiVectorStore::sign_bits(q.data(), 8, dim);
  std::vector<float> scratch(dim);
  // The pre-score ranks the best exact document near the top.
  uint32_t best_exact = 0, best_pre = 0;
  float be = -1e9f, bp = -1e9f;
  for (uint32_t d = 0; d < 100; ++d) {
    float e = store->maxsim(q.data(), 8, d), p = store->hamming_prescore(qb.data(), 8, d);
    if (e > be) be = e, best_exact = d;
    if (p > bp) bp = p, best_pre = d;
  }
  float pre_of_best = store->hamming_prescore(qb.data(), 8, best_exact);
  EXPECT_GT(pre_of_best, bp - 0.15f);
  (void)best_pre;
}

TEST(MultiVector, CorruptCodebookIsAnError) {
  std::mt19937_64 rng(3);
  auto x = test::clustered(500, 16, 4, 0.3f, rng);
  auto cb = ResidualCodebook::train(x.data(), 500, 16, 2);
  std::string s = cb.serialize();
  EXPECT_EQ(ResidualCodebook::deserialize(s, "cb").centroids, cb.centroids);
  s[20] ^= 1;
  EXPECT_THROW(ResidualCodebook::deserialize(s, "cb"), Error);
  EXPECT_THROW(ResidualCodebook::deserialize(s.substr(0, 10), "cb"), Error);
}

}  // namespace
}  // namespace m3
