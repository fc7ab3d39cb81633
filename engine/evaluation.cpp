#include "engine/evaluation.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace m3 {

std::vector<RankedDoc> as_ranked(const std::vector<Hit>& hits) {
  std::vector<RankedDoc> out;
  out.reserve(hits.size());
  char buf[32];
  for (const auto& h : hits) {
    std::snprintf(buf, sizeof buf, "%.6f", h.score);
    out.push_back({h.docid, std::strtof(buf, nullptr)});
  }
  return out;
}

EvalRow evaluate(const Collection& c, const EvalInputs& in, const SearchParams& p) {
  EvalRow row;
  row.label = in.label;
  row.mode = to_string(p.mode);
  row.topics = in.topics.size();
  std::vector<SearchResult> results;
  results.reserve(in.topics.size());
  const auto t0 = std::chrono::steady_clock::now();
  if (in.query_embeddings) {
    p.validate();
    for (const auto& e : *in.query_embeddings) results.push_back(c.search_embedding(e, p));
  }
  for (size_t i = in.query_embeddings ? in.topics.size() : 0; i < in.topics.size(); i += in.batch) {
    std::vector<std::string> qs;
    for (size_t j = i; j < std::min(in.topics.size(), i + in.batch); ++j) qs.push_back(in.topics[j].query);
    for (auto& r : c.search_batch(qs, p)) results.push_back(std::move(r));
  }
  row.search_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!in.run_path.empty()) write_run_file(in.run_path, in.topics, results, in.tag);

  const auto t1 = std::chrono::steady_clock::now();
  if (in.qrels) {
    std::map<std::string, std::vector<RankedDoc>> run;
    for (size_t i = 0; i < in.topics.size(); ++i) {
      auto& dst = run[in.topics[i].qid];
      auto r = as_ranked(results[i].hits);
      dst.insert(dst.end(), r.begin(), r.end());
    }
    row.metrics = evaluate_run(run, *in.qrels);
  }
  if (in.answers) {
    std::map<std::string, std::vector<std::string>> passages;
    for (size_t i = 0; i < in.topics.size(); ++i) {
      auto& dst = passages[in.topics[i].qid];
      for (const auto& h : results[i].hits) dst.push_back(h.title.empty() ? h.text : h.title + " " + h.text);
    }
    row.answers = answer_recall(passages, *in.answers);
  }
  row.metric_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  return row;
}

}  // namespace m3
