#include "engine/evaluation.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <unordered_set>

#include "common/error.h"
#include "engine/progress.h"
#include "engine/run_file.h"
#include "engine/significance.h"

namespace m3 {

std::vector<RankedDoc> as_ranked(const std::vector<Hit>& hits) {
  std::vector<RankedDoc> out;
  out.reserve(hits.size());
  char buf[32];
  for (const auto& h : hits) {
    std::snprintf(buf, sizeof buf, "%.6f", h.score);
    out.push_back({h.docid, std::strtod(buf, nullptr)});
  }
  return out;
}

namespace {

// Zero evaluated queries is a mistake (topics and qrels of different sets, a wrong locale), never a row of 0s.
void require_evaluated(const EvalRow& row, bool qrels, bool answers) {
  const bool none = (qrels && row.metrics.queries == 0) || (answers && (!row.answers || row.answers->queries == 0));
  if (!none) return;
  throw Error(row.label + " " + row.mode + ": no query evaluated (" + std::to_string(row.topics) +
              " topics/run queries, " + std::to_string(row.metrics.unsearched) +
              " judged queries without one); do the topics (or run) and the qrels/answers belong together?");
}

}  // namespace

namespace {

// The row of a run: metrics (qrels) or answer recall, the run file when asked for.
EvalRow row_from_results(const EvalInputs& in, const std::string& mode, size_t depth, const std::vector<SearchResult>& results,
                         double search_seconds) {
  EvalRow row;
  row.label = in.label;
  row.mode = mode;
  row.topics = in.topics.size();
  row.depth = depth;
  row.search_seconds = search_seconds;
  if (!in.run_path.empty()) write_run_file(in.run_path, in.topics, results, in.tag, in.overwrite);

  const auto t1 = std::chrono::steady_clock::now();
  if (in.qrels) {
    Run run;  // every topic, even one without hits: it was searched, so it is evaluated
    for (size_t i = 0; i < in.topics.size(); ++i) {
      auto& dst = run[in.topics[i].qid];
      auto r = as_ranked(results[i].hits);
      dst.insert(dst.end(), r.begin(), r.end());
    }
    row.metrics = evaluate_run(run, *in.qrels, in.complete);
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
  require_evaluated(row, in.qrels != nullptr, in.answers != nullptr);
  return row;
}

}  // namespace

EvalRow evaluate(const Collection& c, const EvalInputs& in, const SearchParams& p) {
  std::vector<SearchResult> results;
  results.reserve(in.topics.size());
  const std::string mode = to_string(p.mode);
  Progress progress("searching " + in.label + " " + mode, in.topics.size(), 10.0, in.progress, "queries");
  const auto t0 = std::chrono::steady_clock::now();
  if (in.query_embeddings) {
    p.validate();
    for (const auto& e : *in.query_embeddings) {
      results.push_back(c.search_embedding(e, p));
      progress.update(results.size());
    }
  }
  for (size_t i = in.query_embeddings ? in.topics.size() : 0; i < in.topics.size(); i += in.batch) {
    std::vector<std::string> qs;
    for (size_t j = i; j < std::min(in.topics.size(), i + in.batch); ++j) qs.push_back(in.topics[j].query);
    for (auto& r : c.search_batch(qs, p)) results.push_back(std::move(r));
    progress.update(results.size());
  }
  progress.finish(results.size());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return row_from_results(in, mode, static_cast<size_t>(p.k), results, seconds);
}

std::vector<EvalRow> evaluate_sweep(const Collection& c, const EvalInputs& in, const SearchParams& p,
                                    const std::vector<HeadWeights>& weight_sets) {
  if (!in.query_embeddings) throw Error("internal: a weight sweep needs the queries' embeddings");
  if (!in.run_path.empty()) throw UsageError("a weight sweep writes no run file");
  std::vector<std::vector<SearchResult>> results(weight_sets.size());  // [weight set][topic]
  const std::string mode = to_string(p.mode);
  Progress progress("searching " + in.label + " " + mode + " x " + std::to_string(weight_sets.size()) + " weight sets",
                    in.topics.size(), 10.0, in.progress, "queries");
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& e : *in.query_embeddings) {
    auto per_set = c.search_embedding_sweep(e, p, weight_sets);
    for (size_t w = 0; w < weight_sets.size(); ++w) results[w].push_back(std::move(per_set[w]));
    progress.update(results.front().size());
  }
  progress.finish(in.query_embeddings->size());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() /
                         static_cast<double>(std::max<size_t>(1, weight_sets.size()));
  std::vector<EvalRow> rows;
  for (size_t w = 0; w < weight_sets.size(); ++w)
    rows.push_back(row_from_results(in, mode + "@" + weights_text(p.mode, weight_sets[w]), static_cast<size_t>(p.k),
                                    results[w], seconds));
  return rows;
}

EvalRow evaluate_run_file(const std::string& label, const std::string& path, const Qrels& qrels, bool complete) {
  const auto t0 = std::chrono::steady_clock::now();
  const RunFile f = read_run_file(path);
  EvalRow row;
  row.label = label;
  row.mode = f.tag.empty() ? "run" : f.tag;
  row.topics = f.run.size();
  row.depth = run_depth(f.run);
  row.metrics = evaluate_run(f.run, qrels, complete);
  row.metric_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  require_evaluated(row, true, false);
  return row;
}

JudgedCoverage judged_in_collection(const Collection& c, const Qrels& qrels, const std::vector<Topic>& topics) {
  std::unordered_set<std::string> docids;
  for (const auto& t : topics)
    if (auto q = qrels.find(t.qid); q != qrels.end())
      for (const auto& [d, g] : q->second) docids.insert(d);
  JudgedCoverage cov;
  cov.judged = docids.size();
  for (const auto& d : docids) cov.absent += !c.find_document(d).has_value();
  return cov;
}

void add_significance(std::vector<EvalRow>& rows, size_t permutations, uint64_t seed) {
  for (size_t i = 0; i < rows.size(); ++i) {
    size_t b = 0;
    while (rows[b].label != rows[i].label) ++b;
    if (b == i) continue;  // the first row of a label is its baseline
    // Pair by qid: the queries both rows averaged.
    std::map<std::string, const QueryMetrics*> base;
    for (const auto& q : rows[b].metrics.per_query) base[q.qid] = &q;
    std::vector<double> na, nb, ra, rb, ma, mb;
    for (const auto& q : rows[i].metrics.per_query) {
      auto it = base.find(q.qid);
      if (it == base.end()) continue;
      na.push_back(q.ndcg10); nb.push_back(it->second->ndcg10);
      ra.push_back(q.recall100); rb.push_back(it->second->recall100);
      ma.push_back(q.mrr10); mb.push_back(it->second->mrr10);
    }
    Significance s;
    s.baseline = rows[b].mode;
    s.queries = na.size();
    s.ndcg10_rand = randomization_test(na, nb, permutations, seed);
    s.ndcg10_t = paired_t_test(na, nb);
    s.recall100_rand = randomization_test(ra, rb, permutations, seed);
    s.recall100_t = paired_t_test(ra, rb);
    s.mrr10_rand = randomization_test(ma, mb, permutations, seed);
    s.mrr10_t = paired_t_test(ma, mb);
    rows[i].significance = s;
  }
}

}  // namespace m3
