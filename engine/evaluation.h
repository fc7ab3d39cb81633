// One evaluation row: search every topic with one mode (or read an existing TREC run), write the run,
// and score it with the trec_eval metrics (and MKQA answer recall when answers are given). Metrics are
// computed from the scores exactly as the run file prints them (6 decimals), so file and table agree.
//   evaluate              a collection, topics and one mode -> a row (Error when no topic is judged)
//   evaluate_run_file     an existing run (m3's or any system's) -> a row, no collection needed
//   judged_in_collection  how many judged docids the collection holds (qrels of another corpus give 0s)
//   add_significance      p-values of each row against the first row of its label (its baseline)
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "engine/answers.h"
#include "engine/collection.h"
#include "engine/metrics.h"
#include "engine/topics.h"

namespace m3 {

// p-values against the baseline row, per metric: paired randomization test and paired t-test.
struct Significance {
  std::string baseline;  // the baseline row's mode
  size_t queries = 0;    // queries both rows averaged
  double ndcg10_rand = 1, ndcg10_t = 1, recall100_rand = 1, recall100_t = 1, mrr10_rand = 1, mrr10_t = 1;
};

struct EvalRow {
  std::string label, mode;
  size_t topics = 0;      // topics searched (or queries in the run)
  size_t depth = 0;       // hits asked per topic (or the deepest query of a run)
  MetricSummary metrics;                 // when qrels were given
  std::optional<AnswerRecall> answers;   // when answers were given
  std::optional<Significance> significance;
  double search_seconds = 0, metric_seconds = 0;
};

struct EvalInputs {
  std::string label;                 // e.g. the topics file's language
  std::vector<Topic> topics;
  const Qrels* qrels = nullptr;
  const Answers* answers = nullptr;
  bool complete = false;             // trec_eval -c: judged queries without a topic score 0
  std::string run_path;              // empty: no run file
  bool overwrite = false;            // replace an existing run file
  std::string tag = "m3";
  size_t batch = 32;                 // queries encoded together
  bool progress = false;             // queries done, queries/s, ETA on stderr
  // Optional: the topics' query embeddings, computed once and shared by several modes' runs.
  const std::vector<Embedding>* query_embeddings = nullptr;
};

EvalRow evaluate(const Collection& collection, const EvalInputs& in, const SearchParams& params);
// evaluate() under each weight set of a weighted fused mode, one row per set (mode "<mode>@<weights>"),
// each query's candidates gathered once (needs in.query_embeddings; no run files).
std::vector<EvalRow> evaluate_sweep(const Collection& collection, const EvalInputs& in, const SearchParams& params,
                                    const std::vector<HeadWeights>& weight_sets);
EvalRow evaluate_run_file(const std::string& label, const std::string& path, const Qrels& qrels, bool complete);

struct JudgedCoverage { size_t judged = 0, absent = 0; };  // distinct judged docids of the topics' queries
JudgedCoverage judged_in_collection(const Collection& collection, const Qrels& qrels, const std::vector<Topic>& topics);

void add_significance(std::vector<EvalRow>& rows, size_t permutations, uint64_t seed);

// Hits as the run file prints them (score rounded to 6 decimals).
std::vector<RankedDoc> as_ranked(const std::vector<Hit>& hits);

}  // namespace m3
