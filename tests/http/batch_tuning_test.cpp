// Adaptive query batching (http/batch_size_tuner.h, http/query_batcher.h): the limit falls to the
// batch sizes that measured cheapest per query, probes upward now and then, grows back when larger
// batches become cheaper; and a QueryBatcher over an encoder whose batches cost more per query than
// single calls stops forming large batches, while one over an encoder with a fixed cost per call keeps
// batching. Encoders here are fakes that sleep: what is tested is the decision, not a speed.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "http/batch_size_tuner.h"
#include "http/query_batcher.h"

namespace m3::http {
namespace {

TEST(BatchSizeTuner, StartsAtMaxBatchAndKeepsItWhileBatchesAreCheaper) {
  BatchSizeTuner t(32);
  EXPECT_EQ(t.limit(), 32u);
  t.record(1, 0.010);   // 10 ms per query alone
  t.record(16, 0.040);  // 2.5 ms per query in a batch
  for (int i = 0; i < 200; ++i) EXPECT_EQ(t.limit(), 32u);
}

TEST(BatchSizeTuner, CapsWhereLargerBatchesCostMorePerQueryAndProbes) {
  BatchSizeTuner t(32);
  t.record(1, 0.002);   // 2 ms per query alone
  t.record(16, 0.064);  // 4 ms per query in a batch of 16
  EXPECT_EQ(t.current_limit(), 1u);
  int probes = 0;
  for (uint64_t i = 1; i <= 10 * BatchSizeTuner::kProbeEvery; ++i) {
    const size_t l = t.limit();
    EXPECT_TRUE(l == 1 || l == 3) << l;
    probes += l == 3;
  }
  EXPECT_EQ(probes, 10);
  // Probes find 2-3 query batches cheap: the cap rises to the top of that class, not beyond.
  t.record(3, 0.003);
  EXPECT_EQ(t.current_limit(), 3u);
  // Large batches turn cheap (another load, another machine state): the cap goes away.
  for (int i = 0; i < 20; ++i) t.record(16, 0.008);
  EXPECT_EQ(t.current_limit(), 32u);
}

TEST(BatchSizeTuner, ProbesAnUnmeasuredSmallerClassFirst) {
  BatchSizeTuner t(32);
  t.record(3, 0.003);   // 1 ms per query: single queries were never seen
  t.record(16, 0.064);  // 4 ms per query
  EXPECT_EQ(t.current_limit(), 3u);
  std::vector<size_t> probes;
  for (uint64_t i = 1; i <= 2 * BatchSizeTuner::kProbeEvery; ++i)
    if (size_t l = t.limit(); l != 3) probes.push_back(l);
  EXPECT_EQ(probes, (std::vector<size_t>{1, 1}));
  t.record(1, 0.0005);
  EXPECT_EQ(t.current_limit(), 1u);
}

TEST(BatchSizeTuner, IgnoresEmptyAndInvalidRecords) {
  BatchSizeTuner t(8);
  t.record(0, 1.0);
  t.record(4, -1.0);
  t.record(4, std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(t.current_limit(), 8u);
  BatchSizeTuner one(1);
  one.record(1, 0.001);
  EXPECT_EQ(one.limit(), 1u);
}

// 16 threads submit single queries for a while; returns the sizes of the encoder calls.
std::vector<size_t> run_load(QueryBatcher::EncodeFn cost_model, std::vector<size_t>& sizes, std::mutex& mu,
                             bool tune, size_t* final_limit) {
  QueryBatcher b(std::move(cost_model), 0, 32, tune);
  std::vector<std::thread> clients;
  std::atomic<int> left{800};
  for (int c = 0; c < 16; ++c)
    clients.emplace_back([&] {
      while (left.fetch_sub(1) > 0) EXPECT_EQ(b.encode({"q"}, 8).size(), 1u);
    });
  for (auto& t : clients) t.join();
  *final_limit = b.batch_limit();
  std::lock_guard<std::mutex> l(mu);
  return sizes;
}

QueryBatcher::EncodeFn sleeping_encoder(std::vector<size_t>& sizes, std::mutex& mu, std::chrono::microseconds fixed,
                                        std::chrono::microseconds per_query_squared) {
  return [&sizes, &mu, fixed, per_query_squared](const std::vector<std::string>& texts, int) {
    const size_t n = texts.size();
    std::this_thread::sleep_for(fixed + per_query_squared * int64_t(n * n));
    {
      std::lock_guard<std::mutex> l(mu);
      sizes.push_back(n);
    }
    return std::vector<Embedding>(n);
  };
}

double mean_of_last(const std::vector<size_t>& v, size_t last) {
  const size_t from = v.size() > last ? v.size() - last : 0;
  double s = 0;
  for (size_t i = from; i < v.size(); ++i) s += double(v[i]);
  return s / double(v.size() - from);
}

TEST(QueryBatcherTuning, StopsBatchingWhereBatchesCostMorePerQuery) {
  // Cost n^2 x 1 ms per call: per query 1 ms alone, 3 ms in a batch of 3, 16 ms in a batch of 16
  // (large steps, so a loaded machine's scheduling delays cannot reverse the order).
  std::vector<size_t> sizes;
  std::mutex mu;
  size_t limit = 0;
  auto got = run_load(sleeping_encoder(sizes, mu, std::chrono::microseconds(0), std::chrono::microseconds(1000)), sizes, mu,
                      true, &limit);
  EXPECT_LE(limit, 3u);
  EXPECT_LT(mean_of_last(got, 200), 2.0);  //, a probe of up to 3 now and then
}

TEST(QueryBatcherTuning, KeepsBatchingWhereACallCostsTheSameAtAnySize) {
  // 3 ms per call whatever its size: batches are what make 16 clients fast.
  std::vector<size_t> sizes;
  std::mutex mu;
  size_t limit = 0;
  auto got = run_load(sleeping_encoder(sizes, mu, std::chrono::microseconds(3000), std::chrono::microseconds(0)), sizes, mu,
                      true, &limit);
  EXPECT_EQ(limit, 32u);
  EXPECT_GT(mean_of_last(got, 50), 8.0);
}

TEST(QueryBatcherTuning, OffMeansAlwaysUpToMaxBatch) {
  std::vector<size_t> sizes;
  std::mutex mu;
  size_t limit = 0;
  auto got = run_load(sleeping_encoder(sizes, mu, std::chrono::microseconds(0), std::chrono::microseconds(300)), sizes, mu,
                      false, &limit);
  EXPECT_EQ(limit, 32u);
  EXPECT_GT(*std::max_element(got.begin(), got.end()), 3u);
}

// Lanes: with two, two encoder calls run at once under load (never more), and every request still
// gets exactly its own embeddings; with one, calls never overlap.
size_t max_overlap_under_load(size_t lanes) {
  std::atomic<int> in_flight{0}, most{0};
  QueryBatcher b(
      [&](const std::vector<std::string>& texts, int) {
        const int now = ++in_flight;
        for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        --in_flight;
        std::vector<Embedding> out(texts.size());
        for (size_t i = 0; i < texts.size(); ++i) out[i].input_ids = {std::stoi(texts[i])};  // echo: whose is whose
        return out;
      },
      0, 4, false, lanes);
  std::vector<std::thread> clients;
  for (int c = 0; c < 16; ++c)
    clients.emplace_back([&, c] {
      for (int i = 0; i < 40; ++i) {
        const int id = c * 1000 + i;
        const auto e = b.encode({std::to_string(id), std::to_string(id + 500)}, 8);
        ASSERT_EQ(e.size(), 2u);
        EXPECT_EQ(e[0].input_ids, std::vector<int32_t>{id});
        EXPECT_EQ(e[1].input_ids, std::vector<int32_t>{id + 500});
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(b.queries(), 16u * 40u * 2u);
  return size_t(most.load());
}

TEST(QueryBatcherLanes, TwoLanesEncodeTwoBatchesAtOnceAndOneNeverOverlaps) {
  EXPECT_EQ(max_overlap_under_load(1), 1u);
  EXPECT_EQ(max_overlap_under_load(2), 2u);
  EXPECT_EQ(max_overlap_under_load(3), 3u);
}

}  // namespace
}  // namespace m3::http
