// The m3 program's evaluation flags end to end (skipped when build/m3 is not built): the depth and
// tag of `m3 search --topics --run`, run files that are never overwritten, same-name topics files
// that stay distinct, and the exit status of an unknown locale and of malformed runs.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "engine/run_file.h"
#include "engine_test_helpers.h"

namespace m3 {
namespace {
using namespace m3::testing;

const std::string kM3 = std::string(M3_BINARY_DIR) + "/m3";

int run(const std::string& args, std::string* out = nullptr) {
  const std::string log = fresh_dir("cli") + ".log";
  const int st = std::system((kM3 + " " + args + " >" + log + " 2>&1").c_str());
  if (out) {
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    *out = ss.str();
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

class EvalCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::ifstream(kM3)) GTEST_SKIP() << "build/m3 not built";
    dir_ = fresh_dir("evalcli");
    dir_ = dir_.substr(0, dir_.rfind('/'));
    auto docs = synthetic_docs(150, 9);
    auto c = Collection::create(dir_ + "/col", {}, tiny_encoder());
    c->add(docs);
    c->commit();
    c.reset();
    ::mkdir((dir_ + "/a").c_str(), 0755);
    ::mkdir((dir_ + "/b").c_str(), 0755);
    std::ofstream qrels(dir_ + "/qrels.txt");
    for (int i = 0; i < 20; ++i) qrels << "q" << i << " Q0 " << docs[static_cast<size_t>(i)].docid << " 1\n";
    std::ofstream a(dir_ + "/a/topics.tsv"), b(dir_ + "/b/topics.tsv");
    for (int i = 0; i < 5; ++i) a << "q" << i << "\t" << docs[static_cast<size_t>(i)].text << "\n";
    for (int i = 5; i < 10; ++i) b << "q" << i << "\t" << docs[static_cast<size_t>(i)].text << "\n";
  }
  std::string col() const { return "--collection " + dir_ + "/col --model " + tiny_model(); }
  std::string dir_;
};

TEST_F(EvalCli, SearchRunIsDeepAndTaggedAndNeverOverwritten) {
  const std::string r = dir_ + "/s.run";
  std::string out;
  ASSERT_EQ(run("search " + col() + " --mode bm25 --topics " + dir_ + "/a/topics.tsv --run " + r, &out), 0) << out;
  auto f = read_run_file(r);
  EXPECT_EQ(f.tag, "m3-bm25-k1000");
  EXPECT_GT(run_depth(f.run), 10u);  // the old default cut runs at 10
  EXPECT_NE(out.find("5/5 queries"), std::string::npos) << out;
  EXPECT_EQ(run("search " + col() + " --mode bm25 --topics " + dir_ + "/a/topics.tsv --run " + r, &out), 1) << out;
  EXPECT_NE(out.find("--overwrite"), std::string::npos) << out;
  EXPECT_EQ(run("search " + col() + " --mode dense+sparse --k 10 --overwrite --topics " + dir_ + "/a/topics.tsv --run " + r), 0);
  EXPECT_EQ(read_run_file(r).tag, "m3-dense+sparse-k10");
}

TEST_F(EvalCli, SameNameTopicsGiveDistinctRowsAndRunFiles) {
  std::string out;
  ASSERT_EQ(run("eval " + col() + " --mode bm25 dense --topics " + dir_ + "/a/topics.tsv " + dir_ + "/b/topics.tsv --qrels " +
                    dir_ + "/qrels.txt --run-dir " + dir_ + "/runs --k 10",
                &out),
            0)
      << out;
  EXPECT_NE(out.find("a/topics.tsv bm25"), std::string::npos) << out;
  EXPECT_NE(out.find("b/topics.tsv bm25"), std::string::npos) << out;
  EXPECT_NE(out.find("R@100 counts only those"), std::string::npos) << out;  // --k 10
  for (const char* f : {"a_topics.tsv.bm25.run", "b_topics.tsv.bm25.run", "a_topics.tsv.dense.run", "b_topics.tsv.dense.run"})
    EXPECT_TRUE(std::ifstream(dir_ + "/runs/" + f)) << f;
  EXPECT_EQ(run("eval --runs " + dir_ + "/runs/a_topics.tsv.bm25.run " + dir_ + "/runs/a_topics.tsv.dense.run --qrels " + dir_ +
                    "/qrels.txt",
                &out),
            0)
      << out;
  EXPECT_NE(out.find("p-rand"), std::string::npos) << out;
  EXPECT_NE(out.find("      5 "), std::string::npos) << out;  // 5 queries, not the 20 of the qrels
}

TEST_F(EvalCli, MistakesAreErrorsNotTables) {
  std::string out;
  std::ofstream(dir_ + "/bad.run") << "q1 Q0 d1 1 2.0 t\nq1 Q0 d2 x\n";
  EXPECT_EQ(run("eval --runs " + dir_ + "/bad.run --qrels " + dir_ + "/qrels.txt", &out), 1);
  EXPECT_NE(out.find("bad.run:2:"), std::string::npos) << out;
  std::ofstream(dir_ + "/other.txt") << "q1 Q0 elsewhere 1\n";
  EXPECT_EQ(run("eval " + col() + " --mode bm25 --topics " + dir_ + "/a/topics.tsv --qrels " + dir_ + "/other.txt", &out), 1);
  EXPECT_NE(out.find("none of the 1 judged docids"), std::string::npos) << out;
}

}  // namespace
}  // namespace m3
