// `m3 eval --preset dev`: the project's fixed yardstick on ../shared/data/dev (evaluation sets only):
//   Tatoeba   xx -> English retrieval accuracy (dense cosine, nearest among all English sentences), per language
//   STS       Spearman correlation of dense cosine with the gold scores: STS-B, STS17 (7 tracks),
//             stsb-multi-mt (10 languages), KorSTS
//   QA retrieval  question -> its paragraph among all paragraphs of the file (ARCD ar, JSQuAD ja, DRCD
//             zh-Hant, CMRC zh-Hans, iApp th, AfriQA 9 languages -> en/fr, cross-lingual): nDCG@10 and
//             Recall@100 for dense, sparse, multivec, dense+sparse, all and bm25
// One table on stdout (and JSON with --json): the figures later models are compared against.
#pragma once
#include <string>
#include <vector>

#include "encoder/fusion_weights.h"

namespace m3 {

struct DevPresetOptions {
  std::string model_dir;
  std::string data_dir;   // default: <source tree>/../shared/data
  std::string out_dir = "build/eval-dev";
  std::string json_path;
  int threads = 0;
  size_t max_items = 0;   // per set; 0 = all (tests use a small number)
  // More weight sets for the fused modes (dense+sparse, all), each scored in rows of its own after the
  // main table, which keeps the model's own weights: for comparing weights chosen elsewhere (never for
  // choosing them here — these are the evaluation sets). dense+sparse skips sets with a multivec weight.
  std::vector<HeadWeights> extra_weights;
};

void run_dev_preset(const DevPresetOptions& options);

// Spearman rank correlation (average ranks for ties).
double spearman(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace m3
