#include "engine/metrics.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace m3 {

std::vector<RankedDoc> trec_order(std::vector<RankedDoc> run) {
  std::stable_sort(run.begin(), run.end(), [](const RankedDoc& a, const RankedDoc& b) {
    return a.score > b.score || (a.score == b.score && a.docid > b.docid);
  });
  std::unordered_set<std::string> seen;
  std::vector<RankedDoc> out;
  for (auto& d : run)
    if (seen.insert(d.docid).second) out.push_back(std::move(d));
  return out;
}

namespace {
int grade(const std::unordered_map<std::string, int>& j, const std::string& docid) {
  auto it = j.find(docid);
  return it == j.end() ? 0 : std::max(0, it->second);
}
}  // namespace

double ndcg_at(const std::vector<RankedDoc>& ranked, const std::unordered_map<std::string, int>& j, int k) {
  double dcg = 0;
  for (size_t i = 0; i < ranked.size() && static_cast<int>(i) < k; ++i) dcg += grade(j, ranked[i].docid) / std::log2(i + 2.0);
  std::vector<int> ideal;
  for (const auto& [d, g] : j)
    if (g > 0) ideal.push_back(g);
  std::sort(ideal.rbegin(), ideal.rend());
  double idcg = 0;
  for (size_t i = 0; i < ideal.size() && static_cast<int>(i) < k; ++i) idcg += ideal[i] / std::log2(i + 2.0);
  return idcg > 0 ? dcg / idcg : 0;
}

double recall_at(const std::vector<RankedDoc>& ranked, const std::unordered_map<std::string, int>& j, int k) {
  size_t relevant = 0, found = 0;
  for (const auto& [d, g] : j) relevant += g > 0;
  for (size_t i = 0; i < ranked.size() && static_cast<int>(i) < k; ++i) found += grade(j, ranked[i].docid) > 0;
  return relevant ? static_cast<double>(found) / relevant : 0;
}

double mrr_at(const std::vector<RankedDoc>& ranked, const std::unordered_map<std::string, int>& j, int k) {
  for (size_t i = 0; i < ranked.size() && static_cast<int>(i) < k; ++i)
    if (grade(j, ranked[i].docid) > 0) return 1.0 / (i + 1);
  return 0;
}

MetricSummary evaluate_run(const Run& run, const Qrels& qrels, bool complete) {
  MetricSummary s;
  auto has_relevant = [](const std::unordered_map<std::string, int>& j) {
    for (const auto& [d, g] : j)
      if (g > 0) return true;
    return false;
  };
  for (const auto& [qid, hits] : run) {
    auto q = qrels.find(qid);
    if (q == qrels.end() || !has_relevant(q->second)) ++s.unjudged;
  }
  for (const auto& [qid, judgements] : qrels) {
    if (!has_relevant(judgements)) continue;
    auto it = run.find(qid);
    if (it == run.end()) {
      ++s.unsearched;
      if (complete) s.per_query.push_back({qid});
      continue;
    }
    const auto ranked = trec_order(it->second);
    s.duplicates += it->second.size() - ranked.size();
    s.per_query.push_back({qid, ndcg_at(ranked, judgements, 10), recall_at(ranked, judgements, 100), mrr_at(ranked, judgements, 10)});
  }
  for (const auto& q : s.per_query) {
    s.ndcg10 += q.ndcg10;
    s.recall100 += q.recall100;
    s.mrr10 += q.mrr10;
  }
  s.queries = s.per_query.size();
  if (s.queries) {
    s.ndcg10 /= s.queries;
    s.recall100 /= s.queries;
    s.mrr10 /= s.queries;
  }
  return s;
}

}  // namespace m3
