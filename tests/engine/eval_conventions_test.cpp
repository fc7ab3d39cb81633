// Evaluation conventions (issue 21): trec_eval's definitions on hand-made qrels and runs (topic
// subsets, ties, duplicates, graded gains, queries without a relevant document), readers that name
// file:line, distinct labels and run files, locales, judged docids outside the collection,
// significance tests against hand-computed values, progress, and the m3 CLI end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "engine/answers.h"
#include "engine/eval_labels.h"
#include "engine/eval_report.h"
#include "engine/evaluation.h"
#include "engine/progress.h"
#include "engine/run_file.h"
#include "engine/significance.h"
#include "engine_test_helpers.h"

namespace m3 {
namespace {
using namespace m3::testing;

std::string write_file(const std::string& tag, const std::string& text) {
  const std::string p = fresh_dir(tag) + "." + tag;
  std::ofstream(p) << text;
  return p;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// --- trec_eval's definitions ---------------------------------------------------------------------

TEST(TrecEval, TopicSubsetIsAveragedAloneUnlessComplete) {
  // 4 judged queries, 1 searched: the 0.6142-vs-0.1548 bug of issue 21 in small.
  Qrels q;
  for (int i = 1; i <= 4; ++i) q["q" + std::to_string(i)]["d" + std::to_string(i)] = 1;
  m3::Run run = {{"q1", {{"d1", 3}, {"x", 2}}}};
  auto s = evaluate_run(run, q);
  EXPECT_EQ(s.queries, 1u);
  EXPECT_EQ(s.unsearched, 3u);
  EXPECT_DOUBLE_EQ(s.ndcg10, 1.0);
  auto c = evaluate_run(run, q, /*complete=*/true);
  EXPECT_EQ(c.queries, 4u);
  EXPECT_DOUBLE_EQ(c.ndcg10, 0.25);
  ASSERT_EQ(c.per_query.size(), 4u);
  EXPECT_EQ(c.per_query[1].qid, "q2");
  EXPECT_EQ(c.per_query[1].ndcg10, 0.0);
}

TEST(TrecEval, TiesRankByDocidDescending) {
  Qrels q = {{"q", {{"a", 1}}}};
  // Equal scores: trec_eval ranks "b" above "a" whatever the file's order or rank column says.
  auto s = evaluate_run({{"q", {{"a", 1.5f}, {"b", 1.5f}}}}, q);
  EXPECT_NEAR(s.ndcg10, 1 / std::log2(3.0), 1e-12);
  EXPECT_NEAR(s.mrr10, 0.5, 1e-12);
  // Scores that differ in the 7th significant digit (BM25 runs print 23.456789) are no tie: a float would merge them.
  auto close = evaluate_run({{"q", {{"a", 23.456789}, {"b", 23.456788}}}}, q);
  EXPECT_DOUBLE_EQ(close.ndcg10, 1.0);
}

TEST(TrecEval, DuplicateDocidCountsOnce) {
  Qrels q = {{"q", {{"a", 1}, {"b", 1}}}};
  auto s = evaluate_run({{"q", {{"a", 3}, {"a", 2}, {"x", 1}}}}, q);
  EXPECT_NEAR(s.recall100, 0.5, 1e-12);  // not 1.0
  EXPECT_EQ(s.duplicates, 1u);
  const double idcg = 1 + 1 / std::log2(3.0);
  EXPECT_NEAR(s.ndcg10, 1 / idcg, 1e-12);  // a at 1, x at 2 (the repeat removed)
}

TEST(TrecEval, GradedGainsAreLinear) {
  Qrels q = {{"q", {{"a", 2}, {"b", 1}, {"c", 0}}}};
  auto s = evaluate_run({{"q", {{"b", 3}, {"c", 2}, {"a", 1}}}}, q);
  // DCG = 1/log2(2) + 0 + 2/log2(4) = 2; IDCG = 2 + 1/log2(3)
  EXPECT_NEAR(s.ndcg10, 2 / (2 + 1 / std::log2(3.0)), 1e-12);
  EXPECT_NEAR(s.ndcg10, 0.7601875334318685, 1e-12);
}

TEST(TrecEval, QueryWithoutRelevantDocumentIsNotAveraged) {
  Qrels q = {{"q1", {{"a", 1}}}, {"q2", {{"b", 0}}}};
  auto s = evaluate_run({{"q1", {{"a", 1}}}, {"q2", {{"b", 1}}}}, q, true);
  EXPECT_EQ(s.queries, 1u);
  EXPECT_EQ(s.unjudged, 1u);
  EXPECT_DOUBLE_EQ(s.ndcg10, 1.0);
}

// --- readers and writers -------------------------------------------------------------------------

TEST(RunFile, ReadsAnySystemsRunAndNamesBadLines) {
  auto p = write_file("run", "q1 Q0 d1 1 2.5 bm25\nq1 Q0 d2 2 1.5 bm25\n\nq2 Q0 d1 1 0.1 bm25\n");
  auto f = read_run_file(p);
  EXPECT_EQ(f.tag, "bm25");
  EXPECT_EQ(f.run.size(), 2u);
  EXPECT_EQ(run_depth(f.run), 2u);
  auto bad = write_file("run", "q1 Q0 d1 1 2.5 bm25\nq1 Q0 d2 2 high bm25\n");
  EXPECT_NE(error_of([&] { read_run_file(bad); }).find(bad + ":2: score 'high'"), std::string::npos);
  auto short_line = write_file("run", "q1 Q0 d1 1 2.5\n");
  EXPECT_NE(error_of([&] { read_run_file(short_line); }).find(":1: expected 'qid Q0 docid rank score tag'"), std::string::npos);
  auto long_line = write_file("run", "q1 Q0 " + std::string(5000, 'x') + " 1 2.5 t\n");
  EXPECT_NE(error_of([&] { read_run_file(long_line); }).find(":1: line longer"), std::string::npos);
  auto nan = write_file("run", "q1 Q0 d1 1 nan t\n");
  EXPECT_NE(error_of([&] { read_run_file(nan); }).find(":1: score"), std::string::npos);
}

TEST(RunFile, NeverOverwritesSilentlyAndTagsSayModeAndDepth) {
  EXPECT_EQ(run_tag("dense+sparse", 1000), "m3-dense+sparse-k1000");
  const std::string p = fresh_dir("runw") + ".run";
  Hit h;
  h.docid = "d1";
  h.score = 1;
  SearchResult r;
  r.hits = {h};
  write_run_file(p, {{"q1", "x"}}, {r}, "t1");
  EXPECT_NE(error_of([&] { write_run_file(p, {{"q1", "x"}}, {r}, "t2"); }).find("exists"), std::string::npos);
  EXPECT_EQ(read_run_file(p).tag, "t1");
  write_run_file(p, {{"q1", "x"}}, {r}, "t2", /*overwrite=*/true);
  EXPECT_EQ(read_run_file(p).tag, "t2");
}

TEST(Topics, RepeatedQidAndMissingTabAreNamed) {
  auto p = write_file("topics", "q1\tone\nq2\ttwo\nq1\tagain\n");
  EXPECT_NE(error_of([&] { read_topics(p); }).find(p + ":3: qid 'q1' repeated (first at line 1)"), std::string::npos);
  auto notab = write_file("topics", "q1 one\n");
  EXPECT_NE(error_of([&] { read_topics(notab); }).find(":1: expected qid<TAB>query"), std::string::npos);
  auto qrels = write_file("qrels", "q1 Q0 " + std::string(5000, 'x') + " 1\n");
  EXPECT_NE(error_of([&] { read_qrels(qrels); }).find(":1: line longer"), std::string::npos);
}

TEST(Labels, SameFileNamesStayDistinct) {
  EXPECT_EQ(short_label("x/topics.miracl-v1.0-sw-dev.tsv"), "sw");
  EXPECT_EQ(distinct_labels({"a/topics.tsv", "b/topics.tsv", "c/x.tsv"}),
            (std::vector<std::string>{"a/topics.tsv", "b/topics.tsv", "x.tsv"}));
  EXPECT_EQ(distinct_labels({"r/a/t.tsv", "s/a/t.tsv"}), (std::vector<std::string>{"r/a/t.tsv", "s/a/t.tsv"}));
  EXPECT_EQ(distinct_labels({"t.tsv", "t.tsv"}), (std::vector<std::string>{"t.tsv", "t.tsv#2"}));
  EXPECT_EQ(file_safe("a/topics.tsv"), "a_topics.tsv");
  EXPECT_EQ(file_safe("../x"), "_.._x");
}

TEST(Answers, UnknownLocaleListsTheValidOnes) {
  auto p = write_file("mkqa",
                      R"({"example_id": 1, "queries": {"en": "who", "zh_cn": "谁"}, "answers": {"en": [{"text": "a"}], "zh_cn": [{"text": "a"}]}})"
                      "\n");
  EXPECT_EQ(read_mkqa_queries(p, "zh_cn").size(), 1u);
  EXPECT_NE(error_of([&] { read_mkqa_queries(p, "zh"); }).find("valid: en, zh_cn"), std::string::npos);
  EXPECT_NE(error_of([&] { read_answers(p, "zh"); }).find("valid: en, zh_cn"), std::string::npos);
}

TEST(Answers, RecallAveragesTheSearchedQueriesOnly) {
  Answers ans = {{"q1", {"paris"}}, {"q2", {"rome"}}, {"q3", {"oslo"}}};
  auto r = answer_recall({{"q1", {"Paris"}}}, ans);
  EXPECT_EQ(r.queries, 1u);
  EXPECT_EQ(r.unsearched, 2u);
  EXPECT_DOUBLE_EQ(r.recall20, 1.0);
}

// --- significance --------------------------------------------------------------------------------

TEST(Significance, PairedTTestMatchesHandComputedValue) {
  // d = b - a = (1, 0, 1, 1, 2): t = 1 / (sqrt(0.5) / sqrt(5)) = 3.1623, df 4, two-sided p = I_{2/7}(2, 1/2).
  const std::vector<double> a = {1, 2, 3, 4, 5}, b = {2, 2, 4, 5, 7};
  EXPECT_NEAR(paired_t_test(a, b), 0.03410942316740945, 1e-9);
  EXPECT_NEAR(paired_t_test(b, a), 0.03410942316740945, 1e-9);
  EXPECT_EQ(paired_t_test(a, a), 1.0);
  EXPECT_NEAR(incomplete_beta(1, 1, 0.3), 0.3, 1e-12);
}

TEST(Significance, RandomizationTestIsExactInTheLimitAndSeeded) {
  // 5 equal positive differences: only the 2 of 32 sign patterns with all signs alike reach |sum| = 5.
  const std::vector<double> a = {1, 1, 1, 1, 1}, b = {0, 0, 0, 0, 0};
  const double p = randomization_test(a, b, 20000, 7);
  EXPECT_NEAR(p, 2.0 / 32, 0.006);
  EXPECT_EQ(p, randomization_test(a, b, 20000, 7));
  EXPECT_EQ(randomization_test(a, a, 1000, 7), 1.0);
}

TEST(Significance, RowsAreComparedToTheFirstRowOfTheirLabel) {
  std::vector<EvalRow> rows(3);
  for (int r = 0; r < 3; ++r) {
    rows[r].label = "sw";
    rows[r].mode = "m" + std::to_string(r);
    for (int i = 0; i < 30; ++i) rows[r].metrics.per_query.push_back({"q" + std::to_string(i), r == 2 ? 0.9 : 0.1 + 0.01 * (i % 3)});
  }
  add_significance(rows, 2000, 1);
  EXPECT_FALSE(rows[0].significance);
  ASSERT_TRUE(rows[2].significance);
  EXPECT_EQ(rows[2].significance->baseline, "m0");
  EXPECT_EQ(rows[1].significance->ndcg10_rand, 1.0);
  EXPECT_LT(rows[2].significance->ndcg10_rand, 0.001);
  EXPECT_LT(rows[2].significance->ndcg10_t, 1e-6);
}

// --- reports ------------------------------------------------------------------------------------

TEST(Report, TableShowsDistinctLabelsCountsAndPValuesAndPerQueryTraces) {
  std::vector<EvalRow> rows(2);
  rows[0].label = "a/topics.tsv";
  rows[1].label = "b/topics.tsv";
  for (auto& r : rows) {
    r.mode = "dense+sparse";
    r.metrics.per_query = {{"q1", 0.5, 1, 1}, {"q2", 0.25, 0, 0.5}};
    r.metrics.queries = 2;
    r.metrics.unsearched = 7;
  }
  rows.push_back(rows[0]);
  rows[2].mode = "bm25";
  add_significance(rows, 100, 1);
  std::FILE* tmp = std::tmpfile();
  print_eval_table(tmp, rows, true, false, false);
  std::rewind(tmp);
  std::string table;
  for (int ch; (ch = std::fgetc(tmp)) != EOF;) table += static_cast<char>(ch);
  std::fclose(tmp);
  EXPECT_NE(table.find("a/topics.tsv dense+sparse"), std::string::npos) << table;
  EXPECT_NE(table.find("b/topics.tsv dense+sparse"), std::string::npos) << table;
  EXPECT_NE(table.find("no-topic"), std::string::npos) << table;
  EXPECT_NE(table.find("1.0000   1.0000"), std::string::npos) << table;  // bm25 vs its baseline: identical
  EXPECT_EQ(table.find("evaluation overhead"), std::string::npos) << table;  // no search, no overhead line
  const std::string pq = fresh_dir("pq") + ".tsv";
  write_per_query(pq, rows);
  std::ifstream in(pq);
  std::string header, first;
  std::getline(in, header);
  std::getline(in, first);
  EXPECT_EQ(header, "topics\tmode\tqid\tndcg@10\trecall@100\tmrr@10");
  EXPECT_EQ(first, "a/topics.tsv\tdense+sparse\tq1\t0.500000\t1.000000\t1.000000");
  EXPECT_EQ(eval_row_json(rows[2])["significance"]["baseline"], "dense+sparse");
}

// --- progress ------------------------------------------------------------------------------------

TEST(Progress, CountsQueriesWhenAskedTo) {
  ::testing::internal::CaptureStderr();
  Progress p("searching sw dense", 10, 0.0, true, "queries");
  p.update(5, true);
  const std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("5/10 queries"), std::string::npos) << out;
  EXPECT_NE(out.find("queries/s"), std::string::npos) << out;
}

// --- against a collection ------------------------------------------------------------------------

std::shared_ptr<Collection> small_collection(const std::string& dir, const std::vector<Document>& docs) {
  std::shared_ptr<Collection> c = Collection::create(dir, {}, tiny_encoder());
  c->add(docs);
  c->commit();
  return c;
}

TEST(Evaluation, TopicSubsetOfQrelsAndUnjudgedTopics) {
  auto docs = synthetic_docs(40, 3);
  auto c = small_collection(fresh_dir("subset"), docs);
  Qrels qrels;
  for (int i = 0; i < 20; ++i) qrels["q" + std::to_string(i)][docs[static_cast<size_t>(i)].docid] = 1;
  EvalInputs in;
  for (int i = 0; i < 5; ++i) in.topics.push_back({"q" + std::to_string(i), docs[static_cast<size_t>(i)].text});
  in.topics.push_back({"other", "rain"});
  in.qrels = &qrels;
  SearchParams p;
  p.mode = SearchMode::Bm25;
  p.k = 100;
  auto row = evaluate(*c, in, p);
  EXPECT_EQ(row.metrics.queries, 5u);
  EXPECT_EQ(row.metrics.unsearched, 15u);
  EXPECT_EQ(row.metrics.unjudged, 1u);
  EXPECT_GT(row.metrics.ndcg10, 0.5);  // not diluted by the 15 judged queries nobody searched
  in.complete = true;
  auto complete = evaluate(*c, in, p);
  EXPECT_EQ(complete.metrics.queries, 20u);
  EXPECT_NEAR(complete.metrics.ndcg10, row.metrics.ndcg10 * 5 / 20, 1e-12);
}

TEST(Evaluation, NoJudgedTopicIsAnErrorNotARowOfZeros) {
  auto c = small_collection(fresh_dir("nojudged"), synthetic_docs(10, 2));
  Qrels qrels = {{"zz", {{"d1", 1}}}};
  EvalInputs in;
  in.topics = {{"q1", "rain"}};
  in.qrels = &qrels;
  SearchParams p;
  p.mode = SearchMode::Bm25;
  EXPECT_NE(error_of([&] { evaluate(*c, in, p); }).find("no query evaluated"), std::string::npos);
  auto run = write_file("run", "q1 Q0 d1 1 1.0 t\n");
  EXPECT_THROW(evaluate_run_file("runs", run, qrels, false), Error);
}

TEST(Evaluation, JudgedDocidsOutsideTheCollectionAreCounted) {
  auto docs = synthetic_docs(10, 2);
  auto c = small_collection(fresh_dir("absent"), docs);
  Qrels qrels = {{"q1", {{"d1", 1}, {"elsewhere-1", 1}, {"elsewhere-2", 0}}}, {"q2", {{"elsewhere-3", 1}}}};
  auto cov = judged_in_collection(*c, qrels, {{"q1", "x"}});
  EXPECT_EQ(cov.judged, 3u);
  EXPECT_EQ(cov.absent, 2u);
}

TEST(Evaluation, ExistingRunScoresLikeTheSearchThatWroteIt) {
  auto docs = synthetic_docs(30, 4);
  auto c = small_collection(fresh_dir("rerun"), docs);
  Qrels qrels;
  EvalInputs in;
  for (int i = 0; i < 8; ++i) {
    in.topics.push_back({"q" + std::to_string(i), docs[static_cast<size_t>(i)].text});
    qrels["q" + std::to_string(i)][docs[static_cast<size_t>(i)].docid] = 1;
  }
  in.qrels = &qrels;
  in.run_path = fresh_dir("rerun_run") + ".run";
  in.tag = run_tag("dense+sparse", 20);
  SearchParams p;
  p.mode = SearchMode::DenseSparse;
  p.k = 20;
  auto row = evaluate(*c, in, p);
  auto again = evaluate_run_file("runs", in.run_path, qrels, false);
  EXPECT_EQ(again.mode, "m3-dense+sparse-k20");
  EXPECT_EQ(again.metrics.ndcg10, row.metrics.ndcg10);
  EXPECT_EQ(again.metrics.recall100, row.metrics.recall100);
  EXPECT_EQ(again.depth, 20u);
}

}  // namespace
}  // namespace m3
