// MaxSimQuery: the fast path of the binary and residual codecs (nibble tables; residual 4 bits: decoded
// residuals + the q·centroid table) equals the reference (decode + blocked kernel) on random data, for
// every bit width, both chunk sizes, odd dims and query counts around the 16/32-lane groups; its
// scores do not depend on what was scored before; the facade uses one prepared query.
#include <gtest/gtest.h>

#include <cmath>

#include "index/index_store.h"
#include "index/maxsim_query.h"
#include "index/multivec_store.h"
#include "index/simd.h"
#include "test_util.h"

namespace m3 {
namespace {

struct Case {
  const char* codec;
  int bits;
};

std::vector<float> gaussian(size_t n, float sd, std::mt19937_64& rng) {
  std::normal_distribution<float> g(0.f, sd);
  std::vector<float> x(n);
  for (auto& v : x) v = g(rng);
  return x;
}

double norm(const float* v, int dim) {
  double s = 0;
  for (int i = 0; i < dim; ++i) s += double(v[i]) * v[i];
  return std::sqrt(s);
}

class FastPath : public ::testing::TestWithParam<Case> {};

TEST_P(FastPath, EqualsReferenceOnRandomData) {
  const auto [name, bits] = GetParam();
  const MvCodec codec = parse_mv_codec(name);
  std::mt19937_64 rng(11);
  test::TempDir dir;
  size_t checked = 0;
  double worst = 0;  // largest |fast - ref| / tolerance
  size_t checked_amx = 0;
  for (int dim : {8, 64, 72, 200, 1024}) {
    if (codec == MvCodec::Binary && dim % 8) continue;
    // Clustered unit vectors (like M3 output) and unnormalised Gaussian ones with a larger scale.
    for (bool unit : {true, false}) {
      const size_t n_train = 800;  // >= the 185 stored tokens; 256 centroids
      auto x = unit ? test::clustered(n_train, dim, 30, 0.5f, rng) : gaussian(n_train * dim, 3.f, rng);
      ResidualCodebook cb;
      if (codec == MvCodec::Residual) cb = ResidualCodebook::train(x.data(), n_train, dim, bits);
      const std::string path = dir.sub(std::string(name) + std::to_string(dim) + (unit ? "u" : "g"));
      MultiVectorWriter w(path, codec, dim, bits, &cb);
      const std::vector<size_t> lens = {0, 1, 2, 5, 17, 37, 120, 3};
      size_t at = 0;
      for (size_t n : lens) {
        w.add(&x[at * dim], n);
        at += n;
      }
      w.finish();
      auto store = MultiVectorStore::open(path, dim, &cb);
      double max_token_norm = 0;
      for (uint32_t r = 0; r < lens.size(); ++r) {
        auto dec = store->decode(r);
        for (uint32_t j = 0; j < store->num_vectors(r); ++j) max_token_norm = std::max(max_token_norm, norm(&dec[size_t(j) * dim], dim));
      }
      for (int nq : {1, 3, 15, 16, 17, 32, 33, 70}) {
        auto q = unit ? test::clustered(size_t(nq), dim, 30, 0.5f, rng) : gaussian(size_t(nq) * dim, 2.f, rng);
        double max_q_norm = 0;
        for (int i = 0; i < nq; ++i) max_q_norm = std::max(max_q_norm, norm(&q[size_t(i) * dim], dim));
        for (bool amx : {true, false}) {  // the tile kernel (where the CPU has AMX) and the nibble tables
          MaxSimQuery::set_amx_enabled(amx);
          MaxSimQuery pq = store->prepare(q.data(), nq);
          MaxSimQuery::set_amx_enabled(true);
          ASSERT_TRUE(pq.has_fast_path());
          EXPECT_EQ(pq.uses_amx(), amx && amx::available() && dim % 32 == 0);
          if (pq.uses_amx()) ++checked_amx;
          for (uint32_t r = 0; r < lens.size(); ++r) {
            const float ref = store->maxsim_reference(q.data(), nq, r);
            // "1e-5 relative": relative to the scale of the dot products being summed.
            const double tol = 1e-5 * std::max(std::fabs(double(ref)), max_q_norm * max_token_norm);
            for (int word_bytes : {4, 8}) {  // both chunk sizes of the 32-lane kernel (chosen by L1 size)
              MaxSimQuery::set_word_bytes(word_bytes);
              const float fast = store->maxsim(pq, r);
              EXPECT_NEAR(fast, ref, tol) << name << "/" << bits << " dim " << dim << (unit ? " unit" : " gaussian")
                                          << " nq " << nq << " row " << r << " (" << lens[r] << " tokens)"
                                          << (pq.uses_amx() ? " amx" : "");
              worst = std::max(worst, std::fabs(double(fast) - ref) / tol);
              if (lens[r] == 0) EXPECT_EQ(fast, 0.f);
              ++checked;
            }
          }
        }
      }
    }
  }
  MaxSimQuery::set_word_bytes(0);
  EXPECT_GT(checked, 300u);
  if (amx::available()) EXPECT_GT(checked_amx, 0u);
  RecordProperty("worst_error_over_tolerance", std::to_string(worst));
  std::printf("%s/%d: worst |fast-ref| = %.3f of the tolerance\n", name, bits, worst);
}

INSTANTIATE_TEST_SUITE_P(Codecs, FastPath,
                         ::testing::Values(Case{"binary", 0}, Case{"residual", 1}, Case{"residual", 2}, Case{"residual", 4}),
                         [](const auto& info) { return std::string(info.param.codec) + std::to_string(info.param.bits); });

TEST(MaxSimAmx, Bf16RoundingAndTrainedBucketValues) {
  EXPECT_TRUE(amx::is_bf16(1.f));
  EXPECT_TRUE(amx::is_bf16(-0.375f));
  EXPECT_FALSE(amx::is_bf16(0.1f));
  EXPECT_FLOAT_EQ(amx::round_to_bf16(1.00390625f), 1.f);        // halfway between 1 and 1+2^-7: to even
  EXPECT_FLOAT_EQ(amx::round_to_bf16(1.01171875f), 1.015625f);  // halfway, odd below: up
  EXPECT_NEAR(amx::round_to_bf16(0.1f), 0.1f, 0.1f / 256);
  EXPECT_TRUE(amx::is_bf16(amx::round_to_bf16(0.1f)));
  std::mt19937_64 rng(3);
  auto x = test::clustered(500, 64, 10, 0.5f, rng);
  for (int bits : {1, 2, 4}) {
    auto cb = ResidualCodebook::train(x.data(), 500, 64, bits);
    for (float v : cb.bucket_values) EXPECT_TRUE(amx::is_bf16(v)) << v;
  }
}

TEST(MaxSimAmx, RejectsWhatTheKernelCannotReadExactly) {
  std::vector<float> q(64, 0.5f);
  const float ok[4] = {-0.5f, -0.125f, 0.125f, 0.5f}, bad[4] = {-0.5f, 0.1f, 0.125f, 0.5f};
  EXPECT_THROW(amx::CodeDots(q.data(), 1, 64, 2, bad, 16), UsageError);
  EXPECT_THROW(amx::CodeDots(q.data(), 1, 48, 2, ok, 16), UsageError);
  EXPECT_THROW(amx::CodeDots(q.data(), 1, 64, 3, ok, 16), UsageError);
  EXPECT_NO_THROW(amx::CodeDots(q.data(), 1, 64, 2, ok, 32));
}

TEST(MaxSimQuery, ScoresDoNotDependOnWhatWasScoredBefore) {
  const int dim = 128, nq = 20;
  std::mt19937_64 rng(5);
  test::TempDir dir;
  auto x = test::clustered(2000, dim, 25, 0.4f, rng);
  for (int bits : {0, 2}) {
    const MvCodec codec = bits ? MvCodec::Residual : MvCodec::Binary;
    ResidualCodebook cb;
    if (bits) cb = ResidualCodebook::train(x.data(), 2000, dim, bits);
    MultiVectorWriter w(dir.sub("mv" + std::to_string(bits)), codec, dim, bits, &cb);
    for (int d = 0; d < 40; ++d) w.add(&x[size_t(d) * 40 * dim], size_t(5 + d));
    w.finish();
    auto store = MultiVectorStore::open(dir.sub("mv" + std::to_string(bits)), dim, &cb);
    auto q = test::clustered(nq, dim, 25, 0.4f, rng);
    std::vector<float> forward, backward(40), alone(40);
    MaxSimQuery a = store->prepare(q.data(), nq), b = store->prepare(q.data(), nq);
    for (uint32_t r = 0; r < 40; ++r) forward.push_back(store->maxsim(a, r));
    for (uint32_t r = 40; r-- > 0;) backward[r] = store->maxsim(b, r);
    for (uint32_t r = 0; r < 40; ++r) alone[r] = store->maxsim(q.data(), nq, r);  // a fresh query each
    EXPECT_EQ(forward, backward);
    EXPECT_EQ(forward, alone);
  }
}

TEST(MaxSimQuery, DotsAreTheSameInAnyBatch) {
  const int dim = 200, nq = 7;
  std::mt19937_64 rng(8);
  auto q = gaussian(size_t(nq) * dim, 1.f, rng), d = gaussian(9 * size_t(dim), 1.f, rng);
  std::vector<const float*> in;
  std::vector<std::vector<float>> all(9, std::vector<float>(nq)), one(9, std::vector<float>(nq));
  std::vector<float*> out;
  for (int j = 0; j < 9; ++j) in.push_back(&d[size_t(j) * dim]), out.push_back(all[size_t(j)].data());
  simd::dots(q.data(), nq, in.data(), 9, dim, out.data());
  for (int j = 0; j < 9; ++j) {
    float* o = one[size_t(j)].data();
    simd::dots(q.data(), nq, &in[size_t(j)], 1, dim, &o);
    EXPECT_EQ(one[size_t(j)], all[size_t(j)]) << j;
    for (int i = 0; i < nq; ++i) EXPECT_NEAR(all[size_t(j)][size_t(i)], simd::dot_f32(&q[size_t(i) * dim], in[size_t(j)], dim), 1e-4);
  }
}

TEST(MaxSimQuery, RejectsAQueryPreparedForAnotherStore) {
  const int dim = 64;
  std::mt19937_64 rng(2);
  test::TempDir dir;
  auto x = test::clustered(500, dim, 10, 0.4f, rng);
  auto cb = ResidualCodebook::train(x.data(), 500, dim, 2);
  auto cb_other = ResidualCodebook::train(x.data(), 500, dim, 2, 99);
  MultiVectorWriter w(dir.sub("r"), MvCodec::Residual, dim, 2, &cb);
  w.add(x.data(), 10);
  w.finish();
  MultiVectorWriter wb(dir.sub("b"), MvCodec::Binary, dim, 0, nullptr);
  wb.add(x.data(), 10);
  wb.finish();
  auto r = MultiVectorStore::open(dir.sub("r"), dim, &cb);
  auto b = MultiVectorStore::open(dir.sub("b"), dim, nullptr);
  auto q = test::clustered(4, dim, 10, 0.4f, rng);
  MaxSimQuery other(q.data(), 4, MvCodec::Residual, dim, 2, &cb_other);
  EXPECT_THROW(r->maxsim(other, 0), UsageError);
  EXPECT_THROW(b->maxsim(r->prepare(q.data(), 4), 0), UsageError);
  EXPECT_THROW(r->maxsim(b->prepare(q.data(), 4), 0), UsageError);
  EXPECT_NO_THROW(r->maxsim(r->prepare(q.data(), 4), 0));
  // fp16 has no tables: the prepared query takes the reference path.
  MaxSimQuery f(q.data(), 4, MvCodec::Fp16, dim, 0, nullptr);
  EXPECT_FALSE(f.has_fast_path());
}

// The facade scores a candidate list with one prepared query; each score equals the one-document
// call bit for bit, across segments.
TEST(MaxSimQuery, SnapshotScoresEqualOneDocumentCalls) {
  const int dim = 64;
  std::mt19937_64 rng(4);
  test::TempDir dir;
  IndexSettings s;
  s.multivec_dim = dim;
  s.mv_codec = "residual";
  s.mv_bits = 2;
  auto store = IndexStore::create(dir.sub("c"), s);
  auto x = test::clustered(3000, dim, 20, 0.4f, rng);
  size_t at = 0;
  for (int seg = 0; seg < 3; ++seg) {
    for (int i = 0; i < 20; ++i) {
      DocInput d;
      d.docid = "d" + std::to_string(seg) + "-" + std::to_string(i);
      d.n_vectors = int(3 + rng() % 30);
      d.multivec.assign(x.begin() + long(at * dim), x.begin() + long((at + d.n_vectors) * dim));
      at += size_t(d.n_vectors);
      store->upsert(d);
    }
    store->commit();
  }
  auto snap = store->snapshot();
  std::vector<int64_t> docs;
  snap->for_each_doc([&](const DocRecord& r) { docs.push_back(r.doc); });
  ASSERT_EQ(docs.size(), 60u);
  auto q = test::clustered(9, dim, 20, 0.4f, rng);
  auto all = snap->multivec_scores(q.data(), 9, docs);
  for (size_t i = 0; i < docs.size(); ++i) EXPECT_EQ(snap->multivec_scores(q.data(), 9, {docs[i]})[0], all[i]);
}

}  // namespace
}  // namespace m3
