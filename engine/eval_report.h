// How `m3 eval` reports its rows: the table (labels, metrics, counts of unjudged and unsearched
// queries, p-values against each label's first row, a legend that says what was averaged), the JSON,
// and the per-query TSV that traces a regression to its queries.
#pragma once
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/evaluation.h"

namespace m3 {

void print_eval_table(std::FILE* out, const std::vector<EvalRow>& rows, bool qrels, bool answers, bool complete);
nlohmann::json eval_row_json(const EvalRow& row);
// topics, mode, qid, ndcg@10, recall@100, mrr@10 per averaged query (6 decimals), with a header line.
void write_per_query(const std::string& path, const std::vector<EvalRow>& rows);

}  // namespace m3
