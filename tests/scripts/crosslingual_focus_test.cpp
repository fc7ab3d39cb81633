// scripts/make_crosslingual_focus.py: the AfriQA focus sets of the cross-lingual CPU continuation.
// Run on a synthetic ../shared layout, so the decontamination (test questions never reach training)
// is checked row by row.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;

const std::string kScript = std::string(M3_SOURCE_DIR) + "/scripts/make_crosslingual_focus.py";

// Writes `text` to `path` + ".gz" (gzip, as the data files are).
void write_gz(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
  ASSERT_EQ(std::system(("gzip -f '" + path.string() + "'").c_str()), 0);
}

std::vector<std::string> lines_of(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

int run_script(const fs::path& shared, const fs::path& out) {
  const auto cmd = "python3 '" + kScript + "' --shared '" + shared.string() + "' --out '" + out.string() + "' >'" +
                   (out.string() + ".log") + "' 2>&1";
  return std::system(cmd.c_str());
}

class CrosslingualFocus : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("m3-xl-focus-" + std::to_string(::getpid()));
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(CrosslingualFocus, DropsRowsWhoseQuestionOrTranslationIsInTheTestSet) {
  const auto shared = root_ / "shared";
  write_gz(shared / "data/dev/retrieval/afriqa/gold_span_passages.afriqa.twi.en.test.json",
           R"({"question_lang": "Test question?", "question_translated": "Seen translation?", "context": "P0"})" "\n");
  write_gz(shared / "data/train/qa/afriqa/gold_span_passages.afriqa.twi.en.train.json",
           R"({"question_lang": "Test question?", "question_translated": "Other?", "context": "P1"})" "\n"
           R"({"question_lang": "Fresh?", "question_translated": "Seen translation?", "context": "P2"})" "\n"
           R"({"question_lang": "Kept question?", "question_translated": "Kept translation?", "context": "P3"})" "\n"
           R"({"question_lang": "No translation?", "question_translated": null, "context": "P4"})" "\n\n");
  const auto out = root_ / "out";
  ASSERT_EQ(run_script(shared, out), 0);

  const auto qp = lines_of(out / "xl-afriqa-qp.jsonl");
  ASSERT_EQ(qp.size(), 3u);  // both sides of the kept row, and the untranslated one
  EXPECT_NE(qp[0].find("\"Kept question?\""), std::string::npos);
  EXPECT_NE(qp[0].find("\"pos\": [\"P3\"]"), std::string::npos);
  EXPECT_NE(qp[1].find("\"Kept translation?\""), std::string::npos);
  EXPECT_NE(qp[2].find("\"No translation?\""), std::string::npos);
  const auto qq = lines_of(out / "xl-afriqa-qq.jsonl");
  ASSERT_EQ(qq.size(), 1u);
  EXPECT_NE(qq[0].find("\"query\": \"Kept question?\", \"pos\": [\"Kept translation?\"]"), std::string::npos);
  for (const auto& file : {out / "xl-afriqa-qp.jsonl", out / "xl-afriqa-qq.jsonl"})
    for (const auto& line : lines_of(file)) {
      EXPECT_EQ(line.find("Test question?"), std::string::npos) << line;
      EXPECT_EQ(line.find("Seen translation?"), std::string::npos) << line;
    }
}

TEST_F(CrosslingualFocus, RefusesToRunWithoutTheTestQuestions) {
  // Without the test files nothing could be decontaminated: the script must stop, not write.
  const auto shared = root_ / "shared";
  write_gz(shared / "data/train/qa/afriqa/gold_span_passages.afriqa.twi.en.train.json",
           R"({"question_lang": "Q?", "question_translated": "T?", "context": "P"})" "\n");
  const auto out = root_ / "out";
  fs::create_directories(root_);
  EXPECT_NE(run_script(shared, out), 0);
  EXPECT_FALSE(fs::exists(out / "xl-afriqa-qp.jsonl"));
  std::stringstream log;
  log << std::ifstream(out.string() + ".log").rdbuf();
  EXPECT_NE(log.str().find("no AfriQA test questions"), std::string::npos) << log.str();
}

}  // namespace
