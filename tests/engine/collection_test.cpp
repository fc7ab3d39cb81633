// Collection behaviour: ingest -> search round trips, add/replace/delete/commit visibility, the model
// check, snapshot isolation during commits, corpus errors, and resume after SIGKILL mid-index.
#include <gtest/gtest.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "common/error.h"
#include "engine/corpus_reader.h"
#include "engine/ingest.h"
#include "engine/run_file.h"
#include "engine_test_helpers.h"

namespace m3 {
namespace {
using namespace m3::testing;

TEST(Collection, IngestThenSearchFindsEachDocumentByItsOwnText) {
  auto dir = fresh_dir("roundtrip");
  auto docs = synthetic_docs(80, 3);
  const std::string corpus = dir + ".jsonl";
  write_jsonl(corpus, docs);
  auto c = Collection::create(dir, {}, tiny_encoder());
  IngestOptions io;
  io.progress = false;
  io.commit_every = 25;
  auto s = ingest_corpus(*c, corpus, io);
  EXPECT_EQ(s.documents, 80u);
  EXPECT_EQ(c->info().documents, 80u);
  auto rec = c->find_document("d3");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->text, docs[3].text);
  EXPECT_EQ(nlohmann::json::parse(rec->metadata_json)["extra"], 7);  // other fields kept as metadata
  SearchParams p;
  p.mode = SearchMode::Dense;
  p.k = 1;
  size_t self_hits = 0;
  for (const auto& d : docs) {
    auto r = c->search(d.passage(), p);  // the passage itself is its own nearest neighbour
    ASSERT_EQ(r.hits.size(), 1u);
    self_hits += r.hits[0].docid == d.docid || r.hits[0].text == d.text;
  }
  EXPECT_EQ(self_hits, docs.size());
  // reopening loads the same state and checks the model
  c.reset();
  auto again = Collection::open(dir, tiny_encoder());
  EXPECT_EQ(again->info().documents, 80u);
}

TEST(Collection, ChangesBecomeVisibleOnlyAtCommit) {
  auto c = Collection::create(fresh_dir("commit"), {}, tiny_encoder());
  c->add({{"a", "", "first text about rain"}, {"b", "", "second text about Katze"}});
  EXPECT_EQ(c->info().documents, 0u);
  EXPECT_FALSE(c->find_document("a"));
  c->commit();
  EXPECT_EQ(c->info().documents, 2u);
  c->add({{"a", "", "replaced text about 猫"}});
  c->remove("b");
  EXPECT_EQ(c->find_document("a")->text, "first text about rain");
  c->commit();
  EXPECT_EQ(c->find_document("a")->text, "replaced text about 猫");
  EXPECT_FALSE(c->find_document("b"));
  EXPECT_EQ(c->info().documents, 1u);
  SearchParams p;
  p.mode = SearchMode::All;
  auto r = c->search("rain", p);
  ASSERT_EQ(r.hits.size(), 1u);
  EXPECT_EQ(r.hits[0].docid, "a");
  EXPECT_EQ(r.hits[0].text, "replaced text about 猫");
}

TEST(Collection, RefusesAnotherModel) {
  auto dir = fresh_dir("model");
  { auto c = Collection::create(dir, {}, tiny_encoder()); c->commit(); }
  EncoderOptions o;
  auto other = std::shared_ptr<const Encoder>(Encoder::load(std::string(M3_SOURCE_DIR) + "/tests/fixtures/tiny-m3-bf16", o));
  try {
    Collection::open(dir, other);
    FAIL() << "expected a model mismatch error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fingerprint"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Collection::create(dir, {}, tiny_encoder()), Error);  // exists
  EXPECT_THROW(Collection::open("/nonexistent/col", tiny_encoder()), Error);
}

TEST(Collection, SearchesDuringCommitsSeeOldOrNewStateNeverAMix) {
  auto c = Collection::create(fresh_dir("iso"), {}, tiny_encoder());
  // generation g holds exactly docs g-0 .. g-9 (each commit replaces all ten with a new generation's)
  auto gen_docs = [](int g) {
    std::vector<Document> v;
    for (int i = 0; i < 10; ++i) v.push_back({"k" + std::to_string(i), "", "gen" + std::to_string(g) + " search engine text"});
    return v;
  };
  c->add(gen_docs(0));
  c->commit();
  std::atomic<bool> stop{false};
  std::atomic<int> mixed{0}, searches{0};
  auto q = c->encoder().encode({"search engine"}, 64)[0];
  std::thread reader([&] {
    SearchParams p;
    p.mode = SearchMode::Dense;
    p.k = 10;
    while (!stop) {
      auto r = c->search_embedding(q, p);
      std::set<std::string> gens;
      for (const auto& h : r.hits) gens.insert(h.text.substr(0, h.text.find(' ')));
      if (r.hits.size() != 10 || gens.size() != 1) ++mixed;
      ++searches;
    }
  });
  for (int g = 1; g <= 6; ++g) {
    c->add(gen_docs(g));
    c->commit();
  }
  stop = true;
  reader.join();
  EXPECT_GT(searches.load(), 0);
  EXPECT_EQ(mixed.load(), 0);
}

TEST(CorpusReader, ReportsFileAndLineOfBadInput) {
  auto dir = fresh_dir("corpus");
  const std::string p = dir + ".jsonl";
  std::ofstream(p) << R"({"docid": "a", "text": "fine"})" << "\n\n" << R"({"docid": "b", "text": )" << "\n";
  CorpusReader r(p);
  Document d;
  ASSERT_TRUE(r.next(d));
  expect_next_fails<Error>(r, p + ":3: malformed JSON");
  std::ofstream(p) << R"({"text": "no id"})" << "\n";
  EXPECT_THROW({ CorpusReader r2(p); r2.next(d); }, Error);
  std::ofstream(p) << "{\"docid\": \"x\", \"text\": \"bad \xff\"}\n";
  EXPECT_THROW({ CorpusReader r3(p); r3.next(d); }, Error);
  const std::string tsv = dir + ".tsv";
  std::ofstream(tsv) << "id1\thello world\textra\nid2 no tab\n";
  CorpusReader t(tsv);
  ASSERT_TRUE(t.next(d));
  EXPECT_EQ(d.docid, "id1");
  EXPECT_EQ(d.text, "hello world");
  EXPECT_THROW(t.next(d), Error);
  EXPECT_THROW(CorpusReader(dir + ".csv"), UsageError);
}

TEST(Ingest, SkipBadKeepsGoingAndCounts) {
  auto dir = fresh_dir("skip");
  const std::string p = dir + ".jsonl";
  std::ofstream(p) << R"({"docid": "a", "text": "fine"})" << "\nnot json\n" << R"({"docid": "b", "text": "also fine"})" << "\n";
  auto c = Collection::create(dir, {}, tiny_encoder());
  IngestOptions o;
  o.progress = false;
  EXPECT_THROW(ingest_corpus(*c, p, o), Error);
  o.skip_bad = true;
  auto c2 = Collection::create(dir + "2", {}, tiny_encoder());
  auto s = ingest_corpus(*c2, p, o);
  EXPECT_EQ(s.documents, 2u);
  EXPECT_EQ(s.skipped, 1u);
}

TEST(Ingest, ResumesAfterSigkillWithEveryDocumentExactlyOnce) {
  const std::string m3 = std::string(M3_BINARY_DIR) + "/m3";
  if (::access(m3.c_str(), X_OK) != 0) GTEST_SKIP() << "build/m3 not built";
  auto docs = synthetic_docs(2000, 9);
  std::mt19937 rng(42);
  auto run = [&](const std::string& corpus, const std::string& dir, double kill_after_s) {
    pid_t pid = fork();
    if (pid == 0) {
      int devnull = ::open("/dev/null", O_WRONLY);
      dup2(devnull, 2);
      dup2(devnull, 1);
      execl(m3.c_str(), "m3", "index", "--corpus", corpus.c_str(), "--collection", dir.c_str(), "--model", tiny_model().c_str(),
            "--max-length", "64", "--commit-every", "100", "--threads", "1", "--quiet", (char*)nullptr);
      _exit(127);
    }
    if (kill_after_s > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double>(kill_after_s));
      ::kill(pid, SIGKILL);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
  };
  // Time one uninterrupted run, then kill runs at random points inside that span.
  auto base = fresh_dir("kill");
  write_jsonl(base + ".jsonl", docs);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(run(base + ".jsonl", base, 0), 0);
  const double full = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  int interrupted_after_commit = 0;
  for (int trial = 0; trial < 8; ++trial) {
    auto dir = fresh_dir("kill");
    const std::string corpus = dir + ".jsonl";
    write_jsonl(corpus, docs);
    int status = run(corpus, dir, full * std::uniform_real_distribution<double>(0.05, 0.95)(rng));
    if (WIFSIGNALED(status) && ::access((dir + "/MANIFEST").c_str(), R_OK) == 0) {
      auto partial = Collection::open(dir, tiny_encoder());  // the last commit must be readable
      const size_t n = partial->info().documents;
      EXPECT_LE(n, docs.size());
      if (n > 0 && n < docs.size()) ++interrupted_after_commit;
    }
    status = run(corpus, dir, 0);  // resume (or start, if it was killed before creating anything)
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "trial " << trial;
    auto c = Collection::open(dir, tiny_encoder());
    EXPECT_EQ(c->info().documents, docs.size()) << "trial " << trial;
    for (size_t i = 0; i < docs.size(); i += 97) {
      auto rec = c->find_document(docs[i].docid);
      ASSERT_TRUE(rec) << docs[i].docid;
      EXPECT_EQ(rec->text, docs[i].text);
    }
  }
  EXPECT_GT(interrupted_after_commit, 0) << "no kill landed between commits; the test did not test resuming";
}

TEST(Topics, ReadsMiraclTopicsAndWritesRuns) {
  const std::string path = std::string(M3_SHARED_DATA) + "/formats/miracl-mrtydi/miracl/topics.miracl-v1.0-sw-dev.tsv";
  if (::access(path.c_str(), R_OK) != 0) GTEST_SKIP() << "shared data not present";
  auto topics = read_topics(path);
  std::ifstream in(path);
  size_t lines = 0;
  for (std::string l; std::getline(in, l);) lines += !l.empty();
  EXPECT_EQ(topics.size(), lines);
  EXPECT_GT(topics.size(), 100u);
  EXPECT_FALSE(topics[0].qid.empty());
  std::ostringstream out;
  Hit h;
  h.docid = "123#4";
  h.score = 1.5f;
  write_run(out, "q1", {h, h}, "tag");
  EXPECT_EQ(out.str(), "q1 Q0 123#4 1 1.500000 tag\nq1 Q0 123#4 2 1.500000 tag\n");
}

}  // namespace
}  // namespace m3

namespace m3 {
namespace {

// A MANIFEST whose engine data has a field of the wrong type or range (written by another program, or
// edited) is a CorruptionError naming the field — not nlohmann's type_error, not a wrapped size.
TEST(CollectionManifest, WrongTypedEngineFieldsAreNamedCorruption) {
  using m3::testing::fresh_dir;
  using m3::testing::tiny_encoder;
  const std::pair<const char*, nlohmann::json> bad[] = {
      {"version", "2"}, {"version", -1}, {"passage_max_length", "long"}, {"passage_max_length", 1}, {"model", {{"fingerprint", 7}}},
  };
  for (const auto& [key, value] : bad) {
    const std::string dir = fresh_dir("manifest-extra");
    {
      auto c = Collection::create(dir, CollectionOptions{}, tiny_encoder());
      c->add(m3::testing::synthetic_docs(3));
      c->commit_with({{key, value}});
    }
    try {
      Collection::open(dir, tiny_encoder());
      ADD_FAILURE() << key << " = " << value.dump() << " opened";
    } catch (const CorruptionError& e) {
      EXPECT_NE(std::string(e.what()).find(key == std::string("model") ? "fingerprint" : key), std::string::npos) << e.what();
    }
  }
  // Ingest progress: a negative line count does not wrap into a huge skip.
  const std::string dir = fresh_dir("manifest-ingest");
  {
    auto c = Collection::create(dir, CollectionOptions{}, tiny_encoder());
    c->add(m3::testing::synthetic_docs(3));
    c->commit_with({{"ingest", {{"corpus", "x.jsonl"}, {"hash", "00"}, {"bytes", 10}, {"lines", -5}}}});
  }
  const std::string corpus = dir + "-corpus.jsonl";
  std::ofstream(corpus) << R"({"docid":"a","text":"one"})" << "\n";
  auto c = Collection::open(dir, tiny_encoder());
  IngestOptions o;
  o.append = true;
  EXPECT_THROW(ingest_corpus(*c, corpus, o), CorruptionError);
}

}  // namespace
}  // namespace m3
