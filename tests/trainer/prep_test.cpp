// Host-side data preparation: file parsing, the Decision-8 filter, the converters on the real
// training sets (when ../shared/data is present), and the whole path text -> vocabulary -> token ids
// -> training -> a model directory that Encoder::load serves.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "encoder/encoder.h"
#include "trainer/prep_files.h"
#include "trainer/prep_holdout.h"
#include "trainer/prep_sources.h"
#include "trainer/prep_tokenize.h"
#include "trainer/prep_vocab.h"
#include "trainer/rng.h"
#include "trainer/trainer.h"

namespace m3::trainer {
namespace {

namespace fs = std::filesystem;

const std::string kTrainData = std::string(M3_SHARED_DATA) + "/train";

TEST(PrepFiles, CsvKeepsQuotedCommasQuotesAndNewlines) {
  auto rows = parse_csv("a,\"b, c\",3.5\n\"say \"\"hi\"\"\",\"two\nlines\",1\r\nlast,,\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "b, c", "3.5"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"say \"hi\"", "two\nlines", "1"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"last", "", ""}));
}

TEST(PrepSources, Decision8DropsMsrAndDeftRows) {
  EXPECT_FALSE(sts_row_allowed("MSRpar"));
  EXPECT_FALSE(sts_row_allowed("MSRvid"));
  EXPECT_FALSE(sts_row_allowed("deft-forum"));
  EXPECT_FALSE(sts_row_allowed("deft-news"));
  EXPECT_TRUE(sts_row_allowed("headlines"));
  EXPECT_TRUE(sts_row_allowed("images"));
}

TEST(PrepSources, StsUsesOnlyAllowedRowsOfEveryLanguage) {
  if (!fs::exists(kTrainData + "/sts/stsbenchmark/sts-train.csv")) GTEST_SKIP() << "no shared data";
  PrepOptions o;
  o.data_root = kTrainData;
  TextCollection c;
  read_sts(o, c);
  // Sentences that occur only in excluded rows of the English file must not appear.
  std::set<std::string> allowed, excluded;
  size_t allowed_rows = 0;
  for (const auto& line : split_lines(read_text_file(kTrainData + "/sts/stsbenchmark/sts-train.csv"))) {
    auto f = split_tabs(line);
    if (f.size() < 7) continue;
    auto& set = sts_row_allowed(f[1]) ? allowed : excluded;
    set.insert(f[5]);
    set.insert(f[6]);
    allowed_rows += sts_row_allowed(f[1]);
  }
  std::map<std::string, size_t> per_dataset;
  for (const auto& e : c.examples) {
    ++per_dataset[e.dataset];
    if (e.dataset != "sts-en") continue;
    for (const auto* t : {&e.query, &e.pos[0]})
      EXPECT_TRUE(allowed.count(*t) || !excluded.count(*t)) << "text of an excluded row: " << *t;
  }
  EXPECT_GT(per_dataset["sts-en"], 100u);
  // Every allowed row of the 10 translated files gives one translation pair (a few are identical).
  EXPECT_LE(per_dataset["sts-translation"], allowed_rows * 10);
  EXPECT_GT(per_dataset["sts-translation"], allowed_rows * 9);
  EXPECT_LT(allowed_rows, 5749u - 2700u) << "2,750 MSR/deft rows must be gone";
}

TEST(PrepSources, QaPairsQuestionsWithTheirParagraphAndSameArticleNegatives) {
  if (!fs::exists(kTrainData + "/qa/arcd")) GTEST_SKIP() << "no shared data";
  PrepOptions o;
  o.data_root = kTrainData;
  TextCollection c;
  read_qa(o, c);
  size_t arcd = 0, with_negatives = 0;
  for (const auto& e : c.examples) {
    ASSERT_EQ(e.pos.size(), 1u);
    for (const auto& n : e.neg) EXPECT_NE(n, e.pos[0]);
    if (e.dataset == "qa-arcd") {
      ++arcd;
      with_negatives += !e.neg.empty();
    }
  }
  EXPECT_EQ(arcd, 693u);  // every ARCD train question (README: 693 questions)
  EXPECT_GT(with_negatives, arcd / 2);
}

TEST(PrepHoldout, Fnv1aMatchesItsPublishedTestVectors) {
  // The Python side (scripts/fit_fusion_weights.py) checks the same two vectors.
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_FALSE(qa_paragraph_held_out("a", 0));
  EXPECT_TRUE(qa_paragraph_held_out("a", 100));
}

TEST(PrepSources, QaHoldoutKeepsHeldOutParagraphsOutOfEveryExample) {
  if (!fs::exists(kTrainData + "/qa/arcd")) GTEST_SKIP() << "no shared data";
  PrepOptions all, held;
  all.data_root = held.data_root = kTrainData;
  held.qa_holdout_percent = 20;
  TextCollection c_all, c_held;
  read_qa(all, c_all);
  read_qa(held, c_held);
  size_t dropped_positives = 0;
  for (const auto& e : c_all.examples) dropped_positives += qa_paragraph_held_out(e.pos[0], 20);
  ASSERT_GT(dropped_positives, 0u);
  EXPECT_EQ(c_held.examples.size(), c_all.examples.size() - dropped_positives);
  for (const auto& e : c_held.examples) {
    EXPECT_FALSE(qa_paragraph_held_out(e.pos[0], 20)) << e.dataset << ": " << e.query;
    for (const auto& n : e.neg) EXPECT_FALSE(qa_paragraph_held_out(n, 20)) << e.dataset << ": a held-out negative";
  }
  // Roughly a fifth of the paragraphs, not all or none (the hash spreads them).
  EXPECT_GT(dropped_positives, c_all.examples.size() / 10);
  EXPECT_LT(dropped_positives, c_all.examples.size() * 3 / 10);
}

TEST(PrepSources, NtrexPairsCrossLanguagesOfOneLine) {
  if (!fs::exists(kTrainData + "/parallel/ntrex128")) GTEST_SKIP() << "no shared data";
  PrepOptions o;
  o.data_root = kTrainData;
  o.ntrex_pairs_per_line = 2;
  TextCollection c;
  read_ntrex(o, c);
  EXPECT_GT(c.examples.size(), 1997u * 2 * 9 / 10);
  const auto english = split_lines(read_text_file(kTrainData + "/parallel/ntrex128/newstest2019-src.eng.txt.gz"));
  std::set<std::string> en(english.begin(), english.end());
  size_t with_english = 0;
  for (const auto& e : c.examples) with_english += en.count(e.query) || en.count(e.pos[0]);
  EXPECT_GT(with_english, c.examples.size() / 3) << "about half the pairs have an English side";
}

TEST(PrepSources, PudPairsTheSameSentenceIdAcrossLanguages) {
  if (!fs::exists(kTrainData + "/parallel/ud-pud")) GTEST_SKIP() << "no shared data";
  PrepOptions o;
  o.data_root = kTrainData;
  o.pud_pairs_per_sentence = 4;
  TextCollection c;
  read_pud(o, c);
  EXPECT_GT(c.examples.size(), 1000u * 4 * 9 / 10);
  // sent_id -> text per language, read independently of the reader: every pair is one id in two languages.
  std::map<std::string, std::set<std::string>> ids_of_text;  // text -> sent_ids (a few short texts repeat)
  std::set<std::string> english;
  for (const auto& f : list_files(kTrainData + "/parallel/ud-pud", "", ".conllu.gz")) {
    std::string id;
    const bool is_english = f.find("/en_pud") != std::string::npos;
    for (const auto& line : split_lines(read_text_file(f))) {
      if (line.rfind("# sent_id = ", 0) == 0) id = trim(line.substr(12));
      if (line.rfind("# text = ", 0) == 0) {
        ids_of_text[trim(line.substr(9))].insert(id);
        if (is_english) english.insert(trim(line.substr(9)));
      }
    }
  }
  size_t with_english = 0;
  for (const auto& e : c.examples) {
    ASSERT_EQ(e.dataset, "pud");
    const auto& a = ids_of_text[e.query];
    const auto& b = ids_of_text[e.pos[0]];
    bool shared = false;
    for (const auto& id : a) shared = shared || b.count(id);
    EXPECT_TRUE(shared) << e.query << " / " << e.pos[0];
    EXPECT_NE(e.query, e.pos[0]);
    with_english += english.count(e.query) || english.count(e.pos[0]);
  }
  EXPECT_GT(with_english, c.examples.size() / 3) << "about half the pairs have an English side";
  EXPECT_LT(with_english, c.examples.size() * 3 / 4);
}

TEST(PrepSources, BiblesAlignChineseEnglishAndBibleCorpusByVerse) {
  if (!fs::exists(kTrainData + "/parallel/open-bibles")) GTEST_SKIP() << "no shared data";
  PrepOptions o;
  o.data_root = kTrainData;
  TextCollection c;
  read_bible(o, c);
  // Known verses, read straight from the files: John 11:35 in the OEB (OSIS), the CUV (USFX), and the
  // Swahili bible-corpus New Testament (CES, "b.JOH.11.35").
  auto between = [](const std::string& text, const std::string& open, const std::string& close) {
    const size_t a = text.find(open);
    if (a == std::string::npos) return std::string();
    const size_t b = text.find(close, a + open.size());
    return trim(text.substr(a + open.size(), b - a - open.size()));
  };
  const std::string oeb = read_text_file(kTrainData + "/parallel/open-bibles/eng-us-oeb.osis.xml.gz");
  std::string en = between(oeb, "osisID=\"John.11.35\" n=\"35\" />", "<verse eID=\"John.11.35\"");
  ASSERT_FALSE(en.empty());
  std::set<std::string> texts;
  size_t english_chinese = 0, chinese_chinese = 0;
  std::set<std::string> chinese;
  for (const auto& e : c.examples) {
    ASSERT_EQ(e.dataset, "bible");
    texts.insert(e.query);
    texts.insert(e.pos[0]);
    for (const auto& n : e.neg) EXPECT_NE(n, e.pos[0]);
  }
  EXPECT_TRUE(texts.count(en)) << "the OEB's John 11:35 is paired: " << en;
  for (const auto& t : texts) EXPECT_EQ(t.find('<'), std::string::npos) << "markup left in a verse: " << t;
  // Chinese verses (CJK) are never paired with Chinese: the two scripts of the CUV are one language.
  auto is_cjk = [](const std::string& t) { return t.size() >= 3 && static_cast<unsigned char>(t[0]) >= 0xE3; };
  for (const auto& e : c.examples) {
    if (is_cjk(e.query) && is_cjk(e.pos[0])) ++chinese_chinese;
    if ((is_cjk(e.query) && !is_cjk(e.pos[0])) || (!is_cjk(e.query) && is_cjk(e.pos[0]))) ++english_chinese;
  }
  EXPECT_EQ(chinese_chinese, 0u);
  EXPECT_GT(english_chinese, 1000u) << "the CUV pairs with English and the New Testaments";
}

TEST(PrepSources, CldrNamesPairEveryLocaleWithEnglish) {
  if (!fs::exists(kTrainData + "/parallel/cldr-localenames")) GTEST_SKIP() << "no shared data";
  PrepOptions o;
  o.data_root = kTrainData;
  o.cldr_pairs_per_locale = 10;
  TextCollection c;
  read_cldr(o, c);
  EXPECT_GT(c.examples.size(), 250u * 10);  // ~295 locales x 2 kinds x 10, minus locales with few names
  std::set<std::string> english;
  for (const char* kind : {"languages", "territories"}) {
    const auto j = nlohmann::json::parse(read_text_file(kTrainData + "/parallel/cldr-localenames/en." + kind + ".json.gz"));
    for (const auto& [code, name] : j["main"]["en"]["localeDisplayNames"][kind].items()) english.insert(name.get<std::string>());
  }
  for (const auto& e : c.examples) {
    EXPECT_TRUE(english.count(e.query) || english.count(e.pos[0])) << e.query << " / " << e.pos[0];
    EXPECT_NE(e.query, e.pos[0]);
  }
}

TEST(PrepSources, NewQaSetsJaquadPiafAndFacqaAreRead) {
  if (!fs::exists(kTrainData + "/qa/facqa")) GTEST_SKIP() << "no shared data";
  PrepOptions o;
  o.data_root = kTrainData;
  TextCollection c;
  read_qa(o, c);
  std::map<std::string, size_t> n;
  for (const auto& e : c.examples) {
    ++n[e.dataset];
    if (e.dataset == "qa-facqa") {
      EXPECT_EQ(e.query.find("['"), std::string::npos) << "a list literal left as text: " << e.query;
      EXPECT_EQ(e.pos[0].find(" ,"), std::string::npos) << "punctuation not re-attached: " << e.pos[0];
    }
  }
  // Data README counts: JaQuAD 31,748 + 3,939 questions, PIAF 3,835, FacQA 2,495 + 311 (a few are
  // empty or unanswerable in the files).
  EXPECT_GT(n["qa-jaquad"], (31748u + 3939u) * 9 / 10);
  EXPECT_LE(n["qa-jaquad"], 31748u + 3939u);
  EXPECT_GT(n["qa-piaf"], 3835u * 9 / 10);
  EXPECT_LE(n["qa-piaf"], 3835u);
  EXPECT_GT(n["qa-facqa"], (2495u + 311u) * 9 / 10);
  EXPECT_LE(n["qa-facqa"], 2495u + 311u);
}

// Sentences of a tiny artificial language, enough for SentencePiece to train on.
std::vector<std::string> toy_sentences(int n) {
  const char* words[] = {"river", "stone", "light", "garden", "music", "window", "forest", "ocean", "paper", "silver",
                         "morning", "winter", "bridge", "market", "teacher", "letter"};
  Rng rng(3);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string s;
    for (int k = 0; k < 6; ++k) s += std::string(k ? " " : "") + words[rng.below(16)];
    out.push_back(s);
  }
  return out;
}

TEST(PrepPipeline, VocabularyTokensTrainingAndEncoderLoadFitTogether) {
  const fs::path dir = fs::temp_directory_path() / ("m3_prep_pipeline_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  TextCollection data;
  auto sentences = toy_sentences(400);
  for (size_t i = 0; i + 1 < sentences.size(); i += 2)
    data.examples.push_back({"toy", sentences[i], {sentences[i] + " " + sentences[i + 1]}, {sentences[(i + 7) % sentences.size()]}});
  VocabOptions vo;
  vo.pieces = 60;
  vo.threads = 1;
  const auto spm = (dir / "sentencepiece.bpe.model").string();
  train_vocabulary(data.all_texts(), spm, vo);
  auto tokenizer = Tokenizer::load(spm);  // checks the XLM-R layout (unigram, <unk> <s> </s> at 0 1 2)
  auto corpus = tokenize_collection(data, *tokenizer, 32);
  EXPECT_EQ(corpus.vocab_size, tokenizer->vocab_size());
  EXPECT_EQ(corpus.num_examples(), 200u);
  const auto tok = (dir / "train.tok").string();
  write_token_corpus(tok, corpus);

  TrainOptions o;
  o.stage = Stage::Unified;
  o.data = {tok};
  o.config.hidden_size = 32;
  o.config.num_hidden_layers = 1;
  o.config.num_attention_heads = 2;
  o.config.intermediate_size = 64;
  o.config.max_position_embeddings = 34;
  o.config.vocab_size = 0;
  o.tokenizer = spm;
  o.out_dir = (dir / "model").string();
  o.group_size = 2;
  o.max_steps = 3;
  o.threads = 1;
  o.save_dtype = "bf16";  // the shipped default model's storage (Decision 5)
  std::ostringstream log;
  train(o, log);

  auto encoder = Encoder::load(o.out_dir);
  auto out = encoder->encode({"river stone light", "ocean"});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].dense.size(), 32u);
  EXPECT_EQ(out[0].input_ids, tokenizer->encode("river stone light", 32));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace m3::trainer
