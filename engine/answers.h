// MKQA-style answer recall: a hit counts when its passage contains one of the query's answer strings
// after normalisation (the paper's MKQA evaluation checks answer containment in the top-k passages).
//
// Normalisation (documented choice; no ICU on this machine):
//   - full-width ASCII (U+FF01..U+FF5E) -> ASCII, ideographic space -> space;
//   - lower case: ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic;
//   - punctuation removed: ASCII punctuation, U+2000..U+206F, U+3000..U+303F, full-width punctuation;
//   - whitespace runs collapsed to one space, trimmed.
// Readers (Decision 7): the MKQA JSONL as published ({"example_id", "queries", "answers": {locale: [...]}},
// `lang` picks the locale, UsageError listing the file's locales when it has not that one; each answer's "text" and "aliases" count) and the plain {"qid", "answers": [...]}.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "engine/metrics.h"

namespace m3 {

std::string normalize_answer_text(const std::string& utf8);

using Answers = std::map<std::string, std::vector<std::string>>;  // qid -> normalised answers
Answers read_answers(const std::string& path, const std::string& lang);

// Topics of a published MKQA file in one locale (qid = example_id).
std::vector<std::pair<std::string, std::string>> read_mkqa_queries(const std::string& path, const std::string& lang);

struct AnswerRecall {
  double recall20 = 0, recall100 = 0;
  size_t queries = 0;     // searched queries with an answer (averaged)
  size_t skipped = 0;     // searched queries without an answer
  size_t unsearched = 0;  // queries with an answer that were not searched (not averaged)
};

// passages: qid -> the texts of its ranked hits, best first; one entry per searched query, even without hits.
AnswerRecall answer_recall(const std::map<std::string, std::vector<std::string>>& passages, const Answers& answers);

}  // namespace m3
