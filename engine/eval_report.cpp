#include "engine/eval_report.h"

#include <algorithm>
#include <fstream>

#include "common/error.h"

namespace m3 {

namespace {
std::string p_value(const std::optional<Significance>& s, double Significance::*p) {
  if (!s) return "base";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.4f", (*s).*p);
  return buf;
}
}  // namespace

void print_eval_table(std::FILE* out, const std::vector<EvalRow>& rows, bool qrels, bool answers, bool complete) {
  bool compared = false;
  size_t label_width = 10, mode_width = 22;
  for (const auto& r : rows) {
    compared = compared || r.significance.has_value();
    label_width = std::max(label_width, r.label.size());
    mode_width = std::max(mode_width, r.mode.size());
  }
  const int lw = static_cast<int>(label_width), mw = static_cast<int>(mode_width);
  std::fprintf(out, "%-*s %-*s %7s", lw, "topics", mw, "mode", "queries");
  if (qrels) std::fprintf(out, " %8s %8s %8s %9s %8s", "nDCG@10", "R@100", "MRR@10", "unjudged", "no-topic");
  if (qrels && compared) std::fprintf(out, " %8s %8s", "p-rand", "p-t");
  if (answers) std::fprintf(out, " %8s %8s", "R@20", "R@100");
  std::fprintf(out, " %9s %9s\n", "search s", "metric s");
  for (const auto& r : rows) {
    std::fprintf(out, "%-*s %-*s %7zu", lw, r.label.c_str(), mw, r.mode.c_str(), r.answers && !qrels ? r.answers->queries : r.metrics.queries);
    if (qrels)
      std::fprintf(out, " %8.4f %8.4f %8.4f %9zu %8zu", r.metrics.ndcg10, r.metrics.recall100, r.metrics.mrr10, r.metrics.unjudged,
                  r.metrics.unsearched);
    if (qrels && compared)
      std::fprintf(out, " %8s %8s", p_value(r.significance, &Significance::ndcg10_rand).c_str(),
                  p_value(r.significance, &Significance::ndcg10_t).c_str());
    if (answers) std::fprintf(out, " %8.4f %8.4f", r.answers->recall20, r.answers->recall100);
    std::fprintf(out, " %9.3f %9.4f\n", r.search_seconds, r.metric_seconds);
  }
  if (qrels) {
    std::fprintf(out, "queries: topics (run queries) with a relevant judgement, as trec_eval averages; unjudged: topics without one "
                "(not averaged); no-topic: judged queries not searched (%s)\n",
                complete ? "averaged as 0: --complete" : "not averaged; --complete averages them as 0");
    if (compared) std::fprintf(out, "p-rand, p-t: nDCG@10 against the first row of the same topics (paired randomization test, paired t-test)\n");
  }
  double search = 0, metric = 0;
  for (const auto& r : rows) { search += r.search_seconds; metric += r.metric_seconds; }
  if (search > 0)
    std::fprintf(out, "evaluation overhead: %.4f s of metrics beside %.3f s of search (%.2f%%)\n", metric, search, 100 * metric / search);
}

nlohmann::json eval_row_json(const EvalRow& r) {
  nlohmann::json o = {{"topics", r.label}, {"mode", r.mode}, {"queries", r.metrics.queries}, {"depth", r.depth},
                      {"ndcg@10", r.metrics.ndcg10}, {"recall@100", r.metrics.recall100}, {"mrr@10", r.metrics.mrr10},
                      {"unjudged", r.metrics.unjudged}, {"unsearched", r.metrics.unsearched},
                      {"search_seconds", r.search_seconds}, {"metric_seconds", r.metric_seconds}};
  if (r.answers) {
    o["recall@20"] = r.answers->recall20;
    o["answer_recall@100"] = r.answers->recall100;
    o["answer_queries"] = r.answers->queries;
    o["answer_unsearched"] = r.answers->unsearched;
  }
  if (r.significance) {
    const auto& s = *r.significance;
    o["significance"] = {{"baseline", s.baseline}, {"queries", s.queries},
                         {"randomization", {{"ndcg@10", s.ndcg10_rand}, {"recall@100", s.recall100_rand}, {"mrr@10", s.mrr10_rand}}},
                         {"t_test", {{"ndcg@10", s.ndcg10_t}, {"recall@100", s.recall100_t}, {"mrr@10", s.mrr10_t}}}};
  }
  return o;
}

void write_per_query(const std::string& path, const std::vector<EvalRow>& rows) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw Error(path + ": cannot write per-query file");
  out << "topics\tmode\tqid\tndcg@10\trecall@100\tmrr@10\n";
  char buf[96];
  for (const auto& r : rows)
    for (const auto& q : r.metrics.per_query) {
      std::snprintf(buf, sizeof buf, "\t%.6f\t%.6f\t%.6f\n", q.ndcg10, q.recall100, q.mrr10);
      out << r.label << "\t" << r.mode << "\t" << q.qid << buf;
    }
  if (!out.flush()) throw Error(path + ": write failed");
}

}  // namespace m3
