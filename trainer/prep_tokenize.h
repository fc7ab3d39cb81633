// Text -> token ids for training: examples and raw texts become a TokenCorpus (each distinct text
// tokenised and stored once), and FlagEmbedding JSONL files are read and written.
#pragma once
#include <string>
#include <vector>

#include "encoder/tokenizer.h"
#include "trainer/prep_sources.h"
#include "trainer/token_corpus.h"

namespace m3::trainer {

// Examples -> corpus. Texts are truncated to max_len tokens (specials included); a text that is not
// valid UTF-8 drops its example (or just itself, when it is a negative).
TokenCorpus tokenize_examples(const std::vector<TextExample>& examples, const Tokenizer& tokenizer, int max_len);
// Everything in one corpus: the raw texts and the examples' texts (each stored once) plus the
// examples. The MLM stage reads all its texts, the other stages its examples: one file serves all.
TokenCorpus tokenize_collection(const TextCollection& data, const Tokenizer& tokenizer, int max_len);

// One file per dataset, <dir>/<dataset>.jsonl, lines {"query", "pos": [...], "neg": [...]}.
void write_jsonl_by_dataset(const std::vector<TextExample>& examples, const std::string& dir);
// Reads a FlagEmbedding JSONL file; the dataset name is the file's stem. Throws naming the line.
std::vector<TextExample> read_jsonl(const std::string& path);

}  // namespace m3::trainer
