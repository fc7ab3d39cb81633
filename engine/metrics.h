// Retrieval metrics as trec_eval defines them (trec_eval 9.x, default options), on one query's ranked list.
//   nDCG@k:   Σ_{i<k} gain_i / log2(i+2), gain = relevance grade (linear, trec_eval's ndcg_cut.k);
//             ideal DCG from the qrels' grades of that query.
//   Recall@k: relevant (grade > 0) retrieved in the top k / all relevant (trec_eval's recall.k).
//   MRR@k:    1 / rank of the first relevant hit within the top k (0 if none).
// The ranking is trec_eval's: score descending, ties by docid descending; a docid repeated in a run
// counts once (its first, best-ranked occurrence; trec_eval refuses such a run with "duplicate docs",
// m3 counts them in `duplicates` so the caller can warn).
// Which queries are averaged (evaluate_run): trec_eval's default, the queries of the run that have at
// least one relevant judgement. Judged queries the run lacks are counted (`unsearched`) and, only with
// `complete` (trec_eval -c), averaged in as 0. Run queries without a relevant judgement are counted
// (`unjudged`) and never averaged.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "engine/qrels.h"

namespace m3 {

// Scores are doubles, as trec_eval reads them: two scores a run prints differently never tie.
struct RankedDoc { std::string docid; double score = 0; };
using Run = std::map<std::string, std::vector<RankedDoc>>;  // qid -> hits, any order

// Sorts by trec_eval's order and removes repeated docids.
std::vector<RankedDoc> trec_order(std::vector<RankedDoc> run);

double ndcg_at(const std::vector<RankedDoc>& ranked, const std::unordered_map<std::string, int>& judgements, int k);
double recall_at(const std::vector<RankedDoc>& ranked, const std::unordered_map<std::string, int>& judgements, int k);
double mrr_at(const std::vector<RankedDoc>& ranked, const std::unordered_map<std::string, int>& judgements, int k);

struct QueryMetrics { std::string qid; double ndcg10 = 0, recall100 = 0, mrr10 = 0; };

struct MetricSummary {
  double ndcg10 = 0, recall100 = 0, mrr10 = 0;
  size_t queries = 0;      // averaged: run queries with a relevant judgement (+ unsearched ones with complete)
  size_t unjudged = 0;     // run queries without a relevant judgement (not averaged)
  size_t unsearched = 0;   // queries with a relevant judgement that the run lacks (0 each only with complete)
  size_t duplicates = 0;   // repeated (qid, docid) lines of the run, dropped
  std::vector<QueryMetrics> per_query;  // the averaged queries, by qid
};

// trec_order is applied to each query's hits. complete = trec_eval -c.
MetricSummary evaluate_run(const Run& run, const Qrels& qrels, bool complete = false);

}  // namespace m3
