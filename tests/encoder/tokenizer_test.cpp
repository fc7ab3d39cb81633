// Tokenizer: XLM-R/fairseq id mapping, specials, truncation, bad input (M3-SPEC §2).
#include <gtest/gtest.h>
#include <sentencepiece_processor.h>

#include "common/error.h"
#include "encoder/tokenizer.h"
#include "test_helpers.h"

namespace m3 {
namespace {
using namespace m3::testing;

std::unique_ptr<Tokenizer> tiny() { return Tokenizer::load(fixture("tiny-m3/sentencepiece.bpe.model")); }

TEST(Tokenizer, MapsSentencePieceIdsWithFairseqOffset) {
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load(fixture("tiny-m3/sentencepiece.bpe.model")).ok());
  auto tok = tiny();
  const std::string text = "Le chat dort sur le canapé. 猫はソファで寝ています";
  std::vector<int> spm_ids;
  ASSERT_TRUE(sp.Encode(text, &spm_ids).ok());
  auto ids = tok->pieces(text);
  ASSERT_EQ(ids.size(), spm_ids.size());
  bool saw_unk = false;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (spm_ids[i] == 0) { EXPECT_EQ(ids[i], Tokenizer::kUnk); saw_unk = true; }  // spm <unk> -> 3, not <pad>
    else EXPECT_EQ(ids[i], spm_ids[i] + 1);
  }
  EXPECT_TRUE(saw_unk) << "fixture text should contain a character the tiny vocabulary lacks";
  EXPECT_EQ(tok->vocab_size(), sp.GetPieceSize() + 2);
  EXPECT_EQ(tok->mask_id(), sp.GetPieceSize() + 1);
}

TEST(Tokenizer, AddsSpecialsAndTruncatesOnTheRight) {
  auto tok = tiny();
  EXPECT_EQ(tok->encode("", 16), (std::vector<int32_t>{0, 2}));
  EXPECT_EQ(tok->encode("   \t ", 16), (std::vector<int32_t>{0, 2}));
  const std::string text = "repeat repeat repeat repeat the same word the same word again and again";
  auto full = tok->pieces(text);
  ASSERT_GT(full.size(), 6u);
  auto cut = tok->encode(text, 6);
  ASSERT_EQ(cut.size(), 6u);
  EXPECT_EQ(cut.front(), 0);
  EXPECT_EQ(cut.back(), 2);
  EXPECT_TRUE(std::equal(cut.begin() + 1, cut.end() - 1, full.begin()));
  EXPECT_THROW(tok->encode(text, 1), UsageError);
}

TEST(Tokenizer, TakesSpecialTokenStringsLiterally) {
  auto tok = tiny();
  auto ids = tok->encode("a </s> b <s>", 64);
  for (size_t i = 1; i + 1 < ids.size(); ++i) {
    EXPECT_NE(ids[i], 0);
    EXPECT_NE(ids[i], 2);
  }
}

TEST(Tokenizer, RejectsInvalidUtf8WithPosition) {
  auto tok = tiny();
  try {
    tok->encode(std::string("ok \xff\xfe"), 16);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("invalid UTF-8 at byte 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tok->encode(std::string("\xed\xa0\x80"), 16), Error);  // a UTF-16 surrogate
  EXPECT_THROW(tok->encode(std::string("\xc0\xaf"), 16), Error);      // an overlong '/'
}

TEST(Tokenizer, HandlesAHundredThousandCharacterLine) {
  auto tok = tiny();
  std::string big;
  while (big.size() < 100000) big += "search engine ";
  auto ids = tok->encode(big, 8192);
  EXPECT_EQ(ids.size(), 8192u);
  EXPECT_EQ(ids.back(), 2);
}

TEST(Tokenizer, PieceNames) {
  auto tok = tiny();
  EXPECT_EQ(tok->piece(0), "<s>");
  EXPECT_EQ(tok->piece(1), "<pad>");
  EXPECT_EQ(tok->piece(2), "</s>");
  EXPECT_EQ(tok->piece(3), "<unk>");
  EXPECT_EQ(tok->piece(tok->mask_id()), "<mask>");
  EXPECT_EQ(tok->piece(4), "\xE2\x96\x81");  // spm id 3 is the bare "▁" piece in this vocabulary
}

TEST(Tokenizer, MissingOrBrokenModelFileIsAnError) {
  EXPECT_THROW(Tokenizer::load("/nonexistent/sentencepiece.bpe.model"), Error);
  auto dir = temp_dir("tok");
  std::ofstream(dir + "/bad.model") << "not a protobuf";
  EXPECT_THROW(Tokenizer::load(dir + "/bad.model"), Error);
}

}  // namespace
}  // namespace m3
