// Evaluation: trec_eval metrics against hand-computed values (graded relevance, ties, missing queries,
// duplicates in a run, fewer than k results), readers of the published MIRACL/MKQA files, answer
// normalisation, and the agreement of written run files with the printed metrics.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "common/error.h"
#include "engine/answers.h"
#include "engine/dev_preset.h"
#include "engine/evaluation.h"
#include "engine/metrics.h"
#include "engine/qrels.h"
#include "engine/run_file.h"
#include "engine_test_helpers.h"

namespace m3 {
namespace {
using namespace m3::testing;

const std::unordered_map<std::string, int> kJudged = {{"a", 2}, {"b", 1}, {"c", 0}, {"d", 1}};

TEST(Metrics, NdcgWithGradedRelevance) {
  // ranking: c(0) a(2) x(unjudged) b(1)
  std::vector<RankedDoc> r = {{"c", 4}, {"a", 3}, {"x", 2}, {"b", 1}};
  const double dcg = 2 / std::log2(3.0) + 1 / std::log2(5.0);
  const double idcg = 2 / std::log2(2.0) + 1 / std::log2(3.0) + 1 / std::log2(4.0);
  EXPECT_NEAR(ndcg_at(r, kJudged, 10), dcg / idcg, 1e-12);
  EXPECT_NEAR(ndcg_at(r, kJudged, 2), (2 / std::log2(3.0)) / (2 + 1 / std::log2(3.0)), 1e-12);
  EXPECT_NEAR(recall_at(r, kJudged, 100), 2.0 / 3.0, 1e-12);  // fewer than k results
  EXPECT_NEAR(recall_at(r, kJudged, 2), 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(mrr_at(r, kJudged, 10), 0.5, 1e-12);
  EXPECT_EQ(mrr_at({{"c", 1}}, kJudged, 10), 0.0);
}

TEST(Metrics, TrecOrderBreaksTiesByDocidDescendingAndDropsDuplicates) {
  auto r = trec_order({{"a", 1}, {"d", 1}, {"b", 2}, {"d", 0.5f}, {"c", 1}});
  std::vector<std::string> ids;
  for (auto& x : r) ids.push_back(x.docid);
  EXPECT_EQ(ids, (std::vector<std::string>{"b", "d", "c", "a"}));
}

TEST(Metrics, SummaryAveragesJudgedRunQueriesAndCountsTheOthers) {
  Qrels q = {{"q1", kJudged}, {"q2", {{"z", 1}}}, {"q3", {{"y", 0}}}};
  m3::Run run = {{"q1", {{"a", 1}}}, {"q9", {{"a", 1}}}, {"q3", {{"y", 1}}}};
  auto s = evaluate_run(run, q);  // trec_eval's default: q1 only
  EXPECT_EQ(s.queries, 1u);
  EXPECT_EQ(s.unjudged, 2u);    // q9 (not in the qrels), q3 (no relevant judgement)
  EXPECT_EQ(s.unsearched, 1u);  // q2
  EXPECT_NEAR(s.mrr10, 1.0, 1e-12);
  auto c = evaluate_run(run, q, true);  // trec_eval -c: q2 averaged as 0
  EXPECT_EQ(c.queries, 2u);
  EXPECT_NEAR(c.mrr10, 0.5, 1e-12);
  EXPECT_NEAR(c.recall100, (1.0 / 3.0) / 2, 1e-12);
}

TEST(Readers, MiraclQrelsAsPublished) {
  const std::string path = std::string(M3_SHARED_DATA) + "/formats/miracl-mrtydi/miracl/qrels.miracl-v1.0-sw-dev.tsv";
  std::ifstream in(path);
  if (!in) GTEST_SKIP();
  size_t lines = 0, rel = 0;
  for (std::string l; std::getline(in, l);) { ++lines; rel += l.back() == '1'; }
  auto q = read_qrels(path);
  size_t judged = 0, positive = 0;
  for (auto& [qid, m] : q)
    for (auto& [d, g] : m) { ++judged; positive += g > 0; }
  EXPECT_EQ(judged, lines);
  EXPECT_EQ(positive, rel);
  const std::string gz = std::string(M3_SHARED_DATA) + "/formats/miracl-mrtydi/mrtydi/qrels.mrtydi-v1.1-sw.dev.txt";
  if (std::ifstream(gz)) EXPECT_FALSE(read_qrels(gz).empty());
}

TEST(Readers, BadQrelsLineIsNamed) {
  const std::string p = fresh_dir("qrels") + ".tsv";
  std::ofstream(p) << "q1 Q0 d1 1\nq1 Q0 d2\n";
  try {
    read_qrels(p);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(":2:"), std::string::npos) << e.what();
  }
}

TEST(Answers, NormalisationAndMkqaReader) {
  EXPECT_EQ(normalize_answer_text("  The  “Beatles”! "), "the beatles");
  EXPECT_EQ(normalize_answer_text("ＡＢＣ１２３"), "abc123");
  EXPECT_EQ(normalize_answer_text("Москва, РОССИЯ."), "москва россия");
  EXPECT_EQ(normalize_answer_text("東京。"), "東京");
  const std::string path = std::string(M3_SHARED_DATA) + "/formats/mkqa/test_mkqa.jsonl.gz";
  if (!std::ifstream(path)) GTEST_SKIP();
  auto a = read_answers(path, "en");
  auto q = read_mkqa_queries(path, "de");
  EXPECT_FALSE(a.empty());
  EXPECT_FALSE(q.empty());
  EXPECT_THROW(read_answers(path, ""), UsageError);
  // recall: a passage containing the normalised answer counts at its rank
  Answers ans = {{"q1", {"paris"}}, {"q2", {"rome"}}, {"q3", {}}};
  std::map<std::string, std::vector<std::string>> passages = {{"q1", {"Nothing", "PARIS, France"}}, {"q2", {"Milan"}}, {"q3", {}}};
  auto r = answer_recall(passages, ans);
  EXPECT_EQ(r.queries, 2u);
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_NEAR(r.recall20, 0.5, 1e-12);
}

TEST(Evaluation, RunFileAndPrintedMetricsAgreeExactly) {
  auto c = Collection::create(fresh_dir("evalrun"), {}, tiny_encoder());
  auto docs = synthetic_docs(50, 5);
  c->add(docs);
  c->commit();
  std::vector<Topic> topics;
  Qrels qrels;
  for (int i = 0; i < 10; ++i) {
    topics.push_back({"q" + std::to_string(i), docs[static_cast<size_t>(i)].text});
    qrels["q" + std::to_string(i)][docs[static_cast<size_t>(i)].docid] = 1 + i % 2;
    qrels["q" + std::to_string(i)][docs[static_cast<size_t>(i + 20)].docid] = 1;
  }
  for (auto mode : {SearchMode::All, SearchMode::Bm25}) {
    EvalInputs in;
    in.topics = topics;
    in.qrels = &qrels;
    in.run_path = fresh_dir("run") + ".run";
    SearchParams p;
    p.mode = mode;
    p.k = 30;
    auto row = evaluate(*c, in, p);
    auto from_file = evaluate_run(read_run_file(in.run_path).run, qrels);
    EXPECT_EQ(row.metrics.ndcg10, from_file.ndcg10);
    EXPECT_EQ(row.metrics.recall100, from_file.recall100);
    EXPECT_EQ(row.metrics.mrr10, from_file.mrr10);
    EXPECT_GT(row.metrics.ndcg10, 0.0);
  }
}

TEST(DevPreset, SpearmanHandComputed) {
  EXPECT_NEAR(spearman({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0, 1e-12);
  EXPECT_NEAR(spearman({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0, 1e-12);
  // ties get average ranks: a = ranks (1.5,1.5,3,4), b = (1,2,3,4)
  const double ma = 2.5, cov = (1.5 - ma) * (1 - ma) + (1.5 - ma) * (2 - ma) + (3 - ma) * (3 - ma) + (4 - ma) * (4 - ma);
  const double va = 2 * (1.5 - ma) * (1.5 - ma) + 0.25 + 2.25, vb = 2.25 + 0.25 + 0.25 + 2.25;
  EXPECT_NEAR(spearman({1, 1, 2, 3}, {1, 2, 3, 4}), cov / std::sqrt(va * vb), 1e-12);
}

TEST(DevPreset, RunsEndToEndOnASmallSlice) {
  if (!std::ifstream(std::string(M3_SHARED_DATA) + "/dev/sts/stsbenchmark/sts-test.csv")) GTEST_SKIP();
  DevPresetOptions o;
  o.model_dir = tiny_model();
  o.data_dir = M3_SHARED_DATA;
  o.out_dir = fresh_dir("preset");
  o.json_path = o.out_dir + "/report.json";
  o.max_items = 20;
  o.threads = 1;
  run_dev_preset(o);
  std::ifstream in(o.json_path);
  auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["tatoeba"].size(), 40u);
  EXPECT_TRUE(j["retrieval_avg"].contains("dense+sparse"));
}

}  // namespace
}  // namespace m3
