// Training the vocabulary of a from-scratch model: a SentencePiece unigram model in the XLM-R layout
// (<unk>, <s>, </s> at spm ids 0, 1, 2; no <pad>), written as sentencepiece.bpe.model so the
// tokenizer's fairseq id mapping (M3-SPEC §2) applies unchanged: model vocab = pieces + 2.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace m3::trainer {

struct VocabOptions {
  int pieces = 24000;                  // SentencePiece vocabulary (the model has pieces + 2 ids)
  double character_coverage = 0.9995;  // CJK-heavy data needs near-full coverage
  int max_sentences = 2000000;         // SentencePiece samples this many sentences at most
  int threads = 2;
  uint64_t seed = 42;
};

// Trains on `texts` (their order is shuffled by SentencePiece's sampler) and writes `model_path`.
void train_vocabulary(const std::vector<std::string>& texts, const std::string& model_path, const VocabOptions& o);

}  // namespace m3::trainer
