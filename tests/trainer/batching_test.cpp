// Token corpus file round trip, length buckets, one dataset per batch, fixed-seed order, sampling.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/error.h"
#include "trainer/batch_plan.h"
#include "trainer/group_sampler.h"
#include "trainer/token_corpus.h"

namespace m3::trainer {
namespace {

std::vector<int32_t> text_of_length(int n, int32_t fill) {
  std::vector<int32_t> t{0};
  for (int i = 0; i < n - 2; ++i) t.push_back(fill);
  t.push_back(2);
  return t;
}

// Two datasets: "short" (texts of 8 tokens) and "long" (40 tokens); each example q, 1 pos, k negs.
TokenCorpus two_dataset_corpus(int examples_each, int negatives) {
  TokenCorpus c;
  c.vocab_size = 70000;  // above 65536: stored with 4-byte ids
  for (const char* name : {"short", "long"}) {
    const uint16_t d = c.dataset_id(name);
    const int len = std::string(name) == "short" ? 8 : 40;
    for (int i = 0; i < examples_each; ++i) {
      ExampleRefs e;
      e.dataset = d;
      e.query = c.add_text(text_of_length(6, 66000 + i));
      e.pos.push_back(c.add_text(text_of_length(len, 100 + i)));
      for (int k = 0; k < negatives; ++k) e.neg.push_back(c.add_text(text_of_length(len, 5000 + k)));
      c.add_example(e);
    }
  }
  return c;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("m3_trainer_test_" + name)).string();
}

TEST(TokenCorpus, RoundTripsTextsExamplesAndDatasets) {
  auto c = two_dataset_corpus(5, 2);
  const auto path = temp_path("roundtrip.tok");
  write_token_corpus(path, c);
  auto r = read_token_corpus(path);
  EXPECT_EQ(r.vocab_size, 70000);
  EXPECT_EQ(r.datasets(), c.datasets());
  ASSERT_EQ(r.num_texts(), c.num_texts());
  for (uint32_t t = 0; t < c.num_texts(); ++t)
    EXPECT_EQ(std::vector<int32_t>(r.text(t).begin(), r.text(t).end()), std::vector<int32_t>(c.text(t).begin(), c.text(t).end()));
  ASSERT_EQ(r.num_examples(), c.num_examples());
  auto e = r.example(7);
  EXPECT_EQ(e.dataset, 1);
  EXPECT_EQ(e.neg.size(), 2u);
  EXPECT_EQ(r.text(e.query)[1], 66002);
  std::remove(path.c_str());
}

TEST(TokenCorpus, NarrowIdsForSmallVocabulariesAndRejectsCorruptFiles) {
  TokenCorpus c;
  c.vocab_size = 1000;
  c.add_text({0, 999, 2});
  const auto path = temp_path("small.tok");
  write_token_corpus(path, c);
  EXPECT_EQ(read_token_corpus(path).text(0)[1], 999);
  // Truncate: reading must fail with an error naming the file, not crash.
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size - 3);
  EXPECT_THROW(read_token_corpus(path), Error);
  std::ofstream(path, std::ios::trunc) << "not a corpus";
  EXPECT_THROW(read_token_corpus(path), Error);
  std::remove(path.c_str());
}

TEST(BatchPlan, EveryBatchHoldsOneDatasetAndOneBucketAndCoversAllUnits) {
  auto c = two_dataset_corpus(50, 3);
  BatchPlanOptions o;
  o.kind = BatchKind::Groups;
  o.group_size = 3;
  o.tokens_per_batch = 1200;
  o.bucket_bounds = {16, 64};
  BatchPlan plan(c, o);
  // 16-token bucket: 1200 / (16·4) = 18 per batch; 64-token bucket: 1200 / (64·4) = 4.
  EXPECT_EQ(plan.batch_size(0), 18);
  EXPECT_EQ(plan.batch_size(1), 4);
  auto batches = plan.epoch(0);
  EXPECT_EQ(batches.size(), plan.batches_per_epoch());
  std::set<uint32_t> seen;
  for (const auto& b : batches) {
    for (auto u : b.units) {
      EXPECT_EQ(c.example_dataset(u), b.dataset);
      EXPECT_TRUE(seen.insert(u).second) << "unit " << u << " twice in one epoch";
    }
    EXPECT_EQ(b.bucket, b.dataset == 0 ? 0 : 1);  // short examples are <= 16 tokens, long ones 40
  }
  // 50 short: 18+18 (14 left, kept: >= min_batch); 50 long: 12 batches of 4 + 2 left (kept).
  EXPECT_EQ(seen.size(), 100u);
}

TEST(BatchPlan, OrderIsAFunctionOfSeedAndEpoch) {
  auto c = two_dataset_corpus(40, 1);
  BatchPlanOptions o;
  o.kind = BatchKind::Pairs;
  o.tokens_per_batch = 400;
  BatchPlan a(c, o), b(c, o);
  auto units = [](const std::vector<PlannedBatch>& bs) {
    std::vector<uint32_t> u;
    for (auto& x : bs) u.insert(u.end(), x.units.begin(), x.units.end());
    return u;
  };
  EXPECT_EQ(units(a.epoch(3)), units(b.epoch(3)));
  EXPECT_NE(units(a.epoch(3)), units(a.epoch(4)));
  o.seed = 7;
  EXPECT_NE(units(BatchPlan(c, o).epoch(3)), units(a.epoch(3)));
}

TEST(GroupSampler, LaysOutPositiveFirstAndFillsMissingNegatives) {
  auto c = two_dataset_corpus(10, 1);  // one negative each, group size 4 needs three
  BatchPlanOptions o;
  o.kind = BatchKind::Groups;
  o.group_size = 4;
  o.tokens_per_batch = 100000;
  BatchPlan plan(c, o);
  GroupSampler sampler(c, plan.options());
  auto batch = plan.epoch(0).front();
  auto s = sampler.sample(batch, 0, 0);
  ASSERT_EQ(s.queries.size(), batch.units.size());
  ASSERT_EQ(s.passages.size(), batch.units.size() * 4);
  for (size_t i = 0; i < batch.units.size(); ++i) {
    auto e = c.example(batch.units[i]);
    EXPECT_EQ(s.passages[i * 4].data, c.text(e.pos[0]).data) << "positive first";
    for (int k = 1; k < 4; ++k) EXPECT_EQ(s.passages[i * 4 + k].data, c.text(e.neg[0]).data) << "repeated negative";
  }
  // Same (epoch, batch) -> same draw.
  auto again = sampler.sample(batch, 0, 0);
  for (size_t i = 0; i < s.passages.size(); ++i) EXPECT_EQ(s.passages[i].data, again.passages[i].data);
}

TEST(GroupSampler, ExamplesWithoutNegativesGetOtherPassagesOfTheirDataset) {
  auto c = two_dataset_corpus(10, 0);
  BatchPlanOptions o;
  o.kind = BatchKind::Groups;
  o.group_size = 3;
  o.tokens_per_batch = 100000;
  BatchPlan plan(c, o);
  GroupSampler sampler(c, plan.options());
  for (const auto& batch : plan.epoch(0)) {
    auto s = sampler.sample(batch, 0, 1);
    for (size_t i = 0; i < batch.units.size(); ++i) {
      auto e = c.example(batch.units[i]);
      for (int k = 1; k < 3; ++k) {
        const auto* neg = s.passages[i * 3 + k].data;
        EXPECT_NE(neg, c.text(e.pos[0]).data);
        EXPECT_EQ(s.passages[i * 3 + k].size, c.text(e.pos[0]).size) << "same dataset, same length";
      }
    }
  }
}

}  // namespace
}  // namespace m3::trainer
