// Converters from the raw training sets of ../shared/data/train to FlagEmbedding-style examples
// {"query", "pos": [...], "neg": [...]} and raw texts (for MLM and the vocabulary). Only sets that
// may train a redistributed model are read (data README "train" column yes / yes (SA) / yes*), and
// the yes* STS-B family without its MSRpar, MSRvid and deft-* rows (ARCHITECTURE Decision 8).
// The data is read from its folder at run time; nothing is copied into the repository.
//
//   parallel  NTREX-128 (line-aligned, 122 languages with English) and PUD (20 languages, aligned by
//             sent_id): pairs across languages, hard negatives = other sentences of the same
//             document in the target language; Bibles (bible-corpus's 7 New Testaments, the Chinese
//             Union Version in both scripts, the Open English Bible; aligned by verse): pairs across
//             languages, hard negatives = neighbouring verses of the chapter; CLDR display names of
//             languages and territories (295 locales): name -> its English name, in-batch negatives.
//             Languages are drawn uniformly per aligned unit, English on one side english_side of
//             the time, so every language gets a like share of pairs.
//   sts       STS-B en / KorSTS / stsb-multi-mt / JSTS: score >= min_score -> positive pair; the
//             machine-translated STS-B rows also give translation pairs with the English row.
//   nli       JNLI, KLUE-NLI: premise -> entailment hypotheses (pos), contradictions (neg).
//   qa        ARCD, JSQuAD, DRCD, CMRC 2018, JaQuAD, PIAF (SQuAD format), iApp (Thai), FacQA
//             (Indonesian, pre-tokenised, re-joined): question -> its paragraph,
//             negatives = other paragraphs of the same article; AfriQA: question (original and
//             translated) -> its gold passage.
//   mono      UD raw sentences (MLM only).
#pragma once
#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace m3::trainer {

struct TextExample {
  std::string dataset;  // batches never mix datasets (in-batch negatives come from one source)
  std::string query;
  std::vector<std::string> pos, neg;
};

struct TextCollection {
  std::vector<TextExample> examples;
  std::vector<std::pair<std::string, std::string>> raw;  // (dataset, text): UD only; every example
                                                          // text is also raw text (see all_texts)
  // Every distinct text (raw texts, queries, positives, negatives), in first-seen order.
  std::vector<std::string> all_texts() const;
};

struct PrepOptions {
  std::string data_root;             // .../shared/data/train
  int ntrex_pairs_per_line = 48;     // cross-lingual pairs drawn per NTREX line (of 122·121 possible)
  int bible_pairs_per_verse = 3;
  int pud_pairs_per_sentence = 24;   // of 20·19 possible per sentence
  int cldr_pairs_per_locale = 60;    // per locale and kind (languages, territories)
  double english_side = 0.5;         // chance that one side of an NTREX pair is English (dev sets pair with en)
  int max_negatives = 7;
  double sts_min_score = 4.0;
  int qa_holdout_percent = 0;        // QA paragraphs kept out of training by a hash of their text (prep_holdout.h)
  uint64_t seed = 42;
};

void read_ntrex(const PrepOptions& o, TextCollection& out);
void read_bible(const PrepOptions& o, TextCollection& out);
void read_pud(const PrepOptions& o, TextCollection& out);
void read_cldr(const PrepOptions& o, TextCollection& out);
void read_sts(const PrepOptions& o, TextCollection& out);
void read_nli(const PrepOptions& o, TextCollection& out);
void read_qa(const PrepOptions& o, TextCollection& out);
void read_ud(const PrepOptions& o, TextCollection& out);

// All of the above; logs one line of counts per dataset.
TextCollection read_training_sets(const PrepOptions& o, std::ostream& log);

// Decision 8: rows of the STS-B family whose `filename` column is MSRpar, MSRvid or deft-* are not used.
bool sts_row_allowed(const std::string& filename);

}  // namespace m3::trainer
