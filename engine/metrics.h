// Retrieval metrics as trec_eval defines them, on one query's ranked list.
//   nDCG@k:   Σ_{i<k} gain_i / log2(i+2), gain = relevance grade; ideal DCG from the qrels' grades.
//   Recall@k: relevant (grade > 0) retrieved in the top k / all relevant.
//   MRR@k:    1 / rank of the first relevant hit within the top k (0 if none).
// The ranking is trec_eval's: score descending, ties by docid descending; a docid repeated in a run
// counts once (its first, best-ranked occurrence). Averages skip queries with no relevant judgement
// (counted separately) and count a judged query the run lacks as 0.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "engine/qrels.h"

namespace m3 {

struct RankedDoc { std::string docid; float score = 0; };

// Sorts by trec_eval's order and removes repeated docids.
std::vector<RankedDoc> trec_order(std::vector<RankedDoc> run);

double ndcg_at(const std::vector<RankedDoc>& ranked, const std::unordered_map<std::string, int>& judgements, int k);
double recall_at(const std::vector<RankedDoc>& ranked, const std::unordered_map<std::string, int>& judgements, int k);
double mrr_at(const std::vector<RankedDoc>& ranked, const std::unordered_map<std::string, int>& judgements, int k);

struct MetricSummary {
  double ndcg10 = 0, recall100 = 0, mrr10 = 0;
  size_t queries = 0;        // judged queries with at least one relevant document
  size_t skipped = 0;        // queries in the qrels without a relevant judgement
  size_t missing = 0;        // judged queries the run has no results for (scored 0)
};

// run: qid -> hits (any order; trec_order is applied).
MetricSummary evaluate_run(const std::map<std::string, std::vector<RankedDoc>>& run, const Qrels& qrels);

// Reads a TREC run file (qid Q0 docid rank score tag).
std::map<std::string, std::vector<RankedDoc>> read_run_file(const std::string& path);

}  // namespace m3
