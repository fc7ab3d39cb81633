#include "engine/metrics.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "common/error.h"

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

MetricSummary evaluate_run(const std::map<std::string, std::vector<RankedDoc>>& run, const Qrels& qrels) {
  MetricSummary s;
  for (const auto& [qid, judgements] : qrels) {
    bool any = false;
    for (const auto& [d, g] : judgements) any = any || g > 0;
    if (!any) { ++s.skipped; continue; }
    ++s.queries;
    auto it = run.find(qid);
    if (it == run.end()) { ++s.missing; continue; }
    auto ranked = trec_order(it->second);
    s.ndcg10 += ndcg_at(ranked, judgements, 10);
    s.recall100 += recall_at(ranked, judgements, 100);
    s.mrr10 += mrr_at(ranked, judgements, 10);
  }
  if (s.queries) {
    s.ndcg10 /= s.queries;
    s.recall100 /= s.queries;
    s.mrr10 /= s.queries;
  }
  return s;
}

std::map<std::string, std::vector<RankedDoc>> read_run_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open run file");
  std::map<std::string, std::vector<RankedDoc>> run;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::istringstream ss(line);
    std::string qid, q0, docid, rank, score, tag;
    if (!(ss >> qid >> q0 >> docid >> rank >> score >> tag)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      throw Error(path + ":" + std::to_string(n) + ": expected 'qid Q0 docid rank score tag'");
    }
    run[qid].push_back({docid, std::stof(score)});
  }
  return run;
}

}  // namespace m3
