// m3 train-prep: turns training data into token ids for `m3 train` (which then needs no tokenizer,
// so the ids can travel to a GPU machine). Reads the built-in training sets of ../shared/data/train
// (only those that may train a shipped model; Decision 8) or FlagEmbedding JSONL files, optionally
// trains the vocabulary first, and writes:
//   OUT/train.tok                 every distinct text (the MLM stage's data) and the examples (query,
//                                 positives, hard negatives) of the pairs and unified stages
//   OUT/sentencepiece.bpe.model   the vocabulary (trained with --train-vocab, or a copy of --tokenizer)
//   OUT/jsonl/<dataset>.jsonl     with --jsonl: the examples as text, FlagEmbedding's format
#include <filesystem>
#include <iostream>

#include "common/error.h"
#include "encoder/tokenizer.h"
#include "tools/command.h"
#include "trainer/prep_sources.h"
#include "trainer/prep_tokenize.h"
#include "trainer/prep_vocab.h"
#include "trainer/trainer.h"

namespace m3::tools {
namespace {

namespace fs = std::filesystem;

struct PrepFlags {
  trainer::PrepOptions sources;
  trainer::VocabOptions vocab;
  std::string out, tokenizer;
  std::vector<std::string> inputs;
  int train_vocab = 0;
  int max_len = 512;
  bool jsonl = false;
};

void report(const std::string& path, const trainer::TokenCorpus& c) {
  std::cerr << "  " << path << ": " << c.num_examples() << " examples, " << c.num_texts() << " texts, " << c.num_ids()
            << " tokens, " << fs::file_size(path) / 1024 << " KiB\n";
}

// `m3 train --data x.jsonl` tokenises through this (see trainer.h).
const bool kJsonlHook = [] {
  trainer::jsonl_tokenizer() = [](const std::string& jsonl, const std::string& tokenizer, int max_len, const std::string& work) {
    auto tok = Tokenizer::load(tokenizer);
    fs::create_directories(work);
    const auto out = work + "/" + fs::path(jsonl).stem().string() + ".tok";
    trainer::write_token_corpus(out, trainer::tokenize_examples(trainer::read_jsonl(jsonl), *tok, max_len));
    return out;
  };
  return true;
}();

M3_COMMAND("train-prep", "Prepare training data for m3 train: read the training sets or JSONL, train a vocabulary, write token ids",
           [](CLI::App& sub) {
             auto f = std::make_shared<PrepFlags>();
             sub.add_option("--out", f->out, "output folder")->required();
             sub.add_option("--data-root", f->sources.data_root, "the training sets' folder (.../shared/data/train)");
             sub.add_option("--input", f->inputs, "FlagEmbedding JSONL files to use instead of --data-root");
             sub.add_option("--tokenizer", f->tokenizer, "an existing sentencepiece.bpe.model");
             sub.add_option("--train-vocab", f->train_vocab, "train a unigram vocabulary of this many pieces instead");
             sub.add_option("--character-coverage", f->vocab.character_coverage, "SentencePiece character coverage");
             sub.add_option("--vocab-sentences", f->vocab.max_sentences, "sentences SentencePiece samples at most");
             sub.add_option("--threads", f->vocab.threads, "threads for vocabulary training");
             sub.add_option("--max-length", f->max_len, "tokens per text at most, specials included");
             sub.add_option("--ntrex-pairs-per-line", f->sources.ntrex_pairs_per_line, "cross-lingual pairs per NTREX sentence")
                 ->check(CLI::Range(0, 1000));
             sub.add_option("--bible-pairs-per-verse", f->sources.bible_pairs_per_verse, "cross-lingual pairs per Bible verse")
                 ->check(CLI::Range(0, 100));
             sub.add_option("--pud-pairs-per-sentence", f->sources.pud_pairs_per_sentence, "cross-lingual pairs per PUD sentence")
                 ->check(CLI::Range(0, 400));
             sub.add_option("--cldr-pairs-per-locale", f->sources.cldr_pairs_per_locale,
                            "name -> English name pairs per CLDR locale and kind (languages, territories)")
                 ->check(CLI::Range(0, 1000));
             sub.add_option("--english-side", f->sources.english_side, "share of cross-lingual pairs with an English side")
                 ->check(CLI::Range(0.0, 1.0));
             sub.add_option("--sts-min-score", f->sources.sts_min_score, "STS pairs at or above this score are positives");
             sub.add_option("--max-negatives", f->sources.max_negatives, "hard negatives kept per example");
             sub.add_option("--qa-holdout-percent", f->sources.qa_holdout_percent,
                            "keep this share of QA paragraphs out of training (scripts/fit_fusion_weights.py --holdout-percent)")
                 ->check(CLI::Range(0, 100));
             sub.add_option("--seed", f->sources.seed, "seed of pair sampling and vocabulary sampling");
             sub.add_flag("--jsonl", f->jsonl, "also write the examples as FlagEmbedding JSONL (OUT/jsonl/)");
             sub.callback([f] {
               if (f->sources.data_root.empty() == f->inputs.empty())
                 throw UsageError("give either --data-root or --input");
               if (f->tokenizer.empty() == (f->train_vocab == 0))
                 throw UsageError("give either --tokenizer or --train-vocab");
               fs::create_directories(f->out);
               trainer::TextCollection data;
               if (!f->inputs.empty()) {
                 for (const auto& in : f->inputs)
                   for (auto& e : trainer::read_jsonl(in)) data.examples.push_back(std::move(e));
               } else {
                 std::cerr << "reading " << f->sources.data_root << "\n";
                 data = trainer::read_training_sets(f->sources, std::cerr);
               }
               const auto texts = data.all_texts();
               const std::string spm = f->out + "/sentencepiece.bpe.model";
               if (f->train_vocab > 0) {
                 std::cerr << "training a " << f->train_vocab << "-piece vocabulary on " << texts.size() << " texts\n";
                 f->vocab.pieces = f->train_vocab;
                 f->vocab.seed = f->sources.seed;
                 trainer::train_vocabulary(texts, spm, f->vocab);
               } else if (fs::weakly_canonical(f->tokenizer) != fs::weakly_canonical(spm)) {
                 fs::copy_file(f->tokenizer, spm, fs::copy_options::overwrite_existing);
               }
               auto tokenizer = Tokenizer::load(spm);
               if (f->jsonl) trainer::write_jsonl_by_dataset(data.examples, f->out + "/jsonl");
               std::cerr << "tokenising (vocabulary " << tokenizer->vocab_size() << ")\n";
               const auto path = f->out + "/train.tok";
               auto corpus = trainer::tokenize_collection(data, *tokenizer, f->max_len);
               trainer::write_token_corpus(path, corpus);
               report(path, corpus);
             });
           });

}  // namespace
}  // namespace m3::tools
