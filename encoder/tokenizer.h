// XLM-R tokenizer: SentencePiece unigram model with the fairseq id mapping (M3-SPEC §2).
//   model id = spm id + 1 for ordinary pieces; spm <unk> (0) -> 3; <s>=0, <pad>=1, </s>=2, <mask>=len+1.
// Text is taken literally: the strings "<s>", "</s>", "<mask>" inside user text are spelled out as
// ordinary pieces, never turned into control tokens (Hugging Face would map them; a search engine
// must not let document text inject control tokens). SentencePiece itself is hidden behind a pimpl so
// no protobuf or SentencePiece type leaks into other translation units.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace m3 {

class Tokenizer {
 public:
  static constexpr int32_t kBos = 0, kPad = 1, kEos = 2, kUnk = 3;

  // Loads sentencepiece.bpe.model; checks it is a unigram model with <unk>,<s>,</s> at spm ids 0,1,2.
  static std::unique_ptr<Tokenizer> load(const std::string& path);
  ~Tokenizer();

  // [<s>] + first (max_length - 2) pieces + [</s>]; empty text gives [0, 2]. Throws on invalid UTF-8.
  std::vector<int32_t> encode(std::string_view text, int max_length) const;
  // Model ids of the pieces only, no specials, no truncation.
  std::vector<int32_t> pieces(std::string_view text) const;
  // The piece text of a model id ("▁Hello"), or "<s>", "<pad>", "</s>", "<unk>", "<mask>".
  std::string piece(int32_t model_id) const;
  int vocab_size() const;  // len(spm) + 2 (the <pad> and <mask> slots)
  int32_t mask_id() const { return vocab_size() - 1; }

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace m3
