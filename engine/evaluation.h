// One evaluation run: search every topic with one mode, write the TREC run, and score it with the
// trec_eval metrics (and MKQA answer recall when answers are given). Metrics are computed from the
// scores exactly as the run file prints them (6 decimals), so the file and the table always agree.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "engine/answers.h"
#include "engine/collection.h"
#include "engine/metrics.h"
#include "engine/topics.h"

namespace m3 {

struct EvalRow {
  std::string label, mode;
  size_t topics = 0;
  MetricSummary metrics;                 // when qrels were given
  std::optional<AnswerRecall> answers;   // when answers were given
  double search_seconds = 0, metric_seconds = 0;
};

struct EvalInputs {
  std::string label;                 // e.g. the topics file's language
  std::vector<Topic> topics;
  const Qrels* qrels = nullptr;
  const Answers* answers = nullptr;
  std::string run_path;              // empty: no run file
  std::string tag = "m3";
  size_t batch = 32;                 // queries encoded together
  // Optional: the topics' query embeddings, computed once and shared by several modes' runs.
  const std::vector<Embedding>* query_embeddings = nullptr;
};

EvalRow evaluate(const Collection& collection, const EvalInputs& in, const SearchParams& params);

// Hits as the run file prints them (score rounded to 6 decimals).
std::vector<RankedDoc> as_ranked(const std::vector<Hit>& hits);

}  // namespace m3
