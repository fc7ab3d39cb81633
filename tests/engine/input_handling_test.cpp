// Issue 16, input handling: hostile or damaged input gives a clean, typed error naming file:line;
// nothing is silently dropped or skipped; bad settings are refused before any data is written.
// Library-level tests first, then CLI-level ones that run build/m3 (skipped when it is not built).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "engine/corpus_lengths.h"
#include "engine/corpus_reader.h"
#include "engine/ingest.h"
#include "engine/search_params.h"
#include "engine_test_helpers.h"
#include "index/dense_index.h"

namespace m3 {
namespace {
using namespace m3::testing;

std::string deep_json_line(size_t depth) {
  return R"({"docid":"a","text":"x","m":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
}

std::string doc_line(const std::string& id, const std::string& text) {
  return nlohmann::json{{"docid", id}, {"text", text}}.dump();
}

IngestOptions quiet() {
  IngestOptions o;
  o.progress = false;
  return o;
}

// ---- 1. deep nesting
TEST(InputHandling, DeeplyNestedJsonIsABadLineNotACrash) {
  try {
    CorpusReader::parse_json_document(deep_json_line(100000), "c.jsonl:7");
    FAIL() << "accepted";
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("c.jsonl:7: JSON nested deeper than 64"), std::string::npos) << e.what();
  }
  // Moderate nesting is still fine metadata.
  auto d = CorpusReader::parse_json_document(deep_json_line(20), "x");
  EXPECT_EQ(d.docid, "a");

  auto dir = fresh_dir("deep");
  const std::string p = dir + ".jsonl";
  std::ofstream(p) << doc_line("ok", "fine") << "\n" << deep_json_line(100000) << "\n" << doc_line("ok2", "fine too") << "\n";
  auto c = Collection::create(dir, {}, tiny_encoder());
  try {
    ingest_corpus(*c, p, quiet());
    FAIL();
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find(p + ":2:"), std::string::npos) << e.what();
  }
  auto o = quiet();
  o.skip_bad = true;
  o.append = true;
  auto s = ingest_corpus(*c, p, o);
  EXPECT_EQ(s.skipped, 1u);
  EXPECT_EQ(c->info().documents, 2u);
}

// ---- 2. resume tied to content, add adds everything
TEST(InputHandling, ResumeNeverSkipsContentItHasNotIndexed) {
  auto dir = fresh_dir("resume");
  const std::string p = dir + ".jsonl";
  write_jsonl(p, synthetic_docs(30, 1));
  auto c = Collection::create(dir, {}, tiny_encoder());
  EXPECT_EQ(ingest_corpus(*c, p, quiet()).documents, 30u);
  // Same content again: nothing new.
  auto again = ingest_corpus(*c, p, quiet());
  EXPECT_EQ(again.documents, 0u);
  EXPECT_EQ(again.resumed_from, 30u);
  // Same path, other content: never resumed past lines it has not seen.
  std::vector<Document> other;
  for (int i = 0; i < 40; ++i) other.push_back({"new" + std::to_string(i), "", "brand new text " + std::to_string(i)});
  write_jsonl(p, other);
  EXPECT_THROW(ingest_corpus(*c, p, quiet()), UsageError);  // another corpus: needs append
  // m3 add: adds what it is given, whatever the resume record says.
  auto add = quiet();
  add.track_progress = false;
  EXPECT_EQ(ingest_corpus(*c, p, add).documents, 40u);
  EXPECT_EQ(c->info().documents, 70u);
  EXPECT_EQ(ingest_corpus(*c, p, add).documents, 40u);  // again: replaces, still adds all 40
  EXPECT_EQ(c->info().documents, 70u);
}

TEST(InputHandling, ResumeAfterPartialRunContinuesOnlyOnTheSameContent) {
  auto dir = fresh_dir("resume2");
  const std::string p = dir + ".jsonl";
  auto docs = synthetic_docs(20, 2);
  {  // a run that stopped after 10 lines: the first 10 lines then a bad one
    std::ofstream out(p);
    for (int i = 0; i < 10; ++i) out << doc_line(docs[i].docid, docs[i].text) << "\n";
    out << "not json\n";
  }
  auto c = Collection::create(dir, {}, tiny_encoder());
  EXPECT_THROW(ingest_corpus(*c, p, quiet()), InvalidInputError);
  ASSERT_EQ(c->info().documents, 10u);  // the good lines before the bad one were committed
  // Fixed file with the same first 10 lines: resumes after line 10.
  write_jsonl(p, docs);
  // write_jsonl adds "extra" and "title": the first 10 lines differ, so this is other content.
  EXPECT_THROW(ingest_corpus(*c, p, quiet()), UsageError);
  {
    std::ofstream out(p);
    for (const auto& d : docs) out << doc_line(d.docid, d.text) << "\n";
  }
  auto s = ingest_corpus(*c, p, quiet());
  EXPECT_EQ(s.resumed_from, 10u);
  EXPECT_EQ(s.documents, 10u);
  EXPECT_EQ(c->info().documents, 20u);
}

// ---- 3. FAISS factory strings FAISS would crash on
TEST(InputHandling, OutOfRangeFactoryStringsAreRefusedUpFront) {
  for (const char* bad : {"IVF0,Flat", "HNSW0", "HNSW1", "PQ0", "IVF16,PQ0", "IVF16,PQ8x0", "IVF16,PQ8x40", "PQ7",
                          "PCA0,Flat", "IVF99999999999,Flat", "IVF16,PQ48", "Flat;rm", ""}) {
    EXPECT_THROW(DenseIndex::check_factory(32, bad), UsageError) << bad;
  }
  for (const char* good : {"Flat", "HNSW32", "IVF4,Flat", "IVF16,PQ8", "PQ16", "IVF8,SQ8", "PCA16,Flat"})
    EXPECT_NO_THROW(DenseIndex::check_factory(32, good)) << good;
  auto dir = fresh_dir("ivf0");
  CollectionOptions o;
  o.dense = "IVF0,Flat";
  EXPECT_THROW(Collection::create(dir, o, tiny_encoder()), UsageError);
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_FALSE(std::filesystem::exists(dir + ".creating"));
}

TEST(InputHandling, TrainingWithTooFewVectorsFallsBackCleanly) {
  const int dim = 16, n = 300;
  std::vector<float> x(size_t(n) * dim);
  std::vector<int64_t> ids(n);
  for (int i = 0; i < n; ++i) {
    ids[i] = i;
    double s = 0;
    for (int k = 0; k < dim; ++k) s += (x[size_t(i) * dim + k] = float(((i * 31 + k * 7) % 17) - 8) + 0.5f) * x[size_t(i) * dim + k];
    for (int k = 0; k < dim; ++k) x[size_t(i) * dim + k] /= float(std::sqrt(s));
  }
  for (const char* f : {"IVF1,Flat", "IVF64,Flat", "IVF4,PQ4", "PQ8x10"}) {
    auto d = DenseIndex::build(dim, f, x.data(), n, ids.data());
    EXPECT_EQ(d->size(), n) << f;
    auto hits = d->search(x.data(), 3, {});
    ASSERT_FALSE(hits.empty()) << f;
  }
}

// ---- 4. corrupt or truncated gzip with skip_bad: a clean error, never a spin
std::string write_gz(const std::string& path, const std::string& content) {
  gzFile g = gzopen(path.c_str(), "wb");
  gzwrite(g, content.data(), unsigned(content.size()));
  gzclose(g);
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(InputHandling, TruncatedOrCorruptGzipIsNotASkippableLine) {
  auto dir = fresh_dir("gz");
  std::string content;
  for (int i = 0; i < 3000; ++i) content += doc_line("g" + std::to_string(i), "text number " + std::to_string(i * 7919)) + "\n";
  const std::string gz = write_gz(dir + "_full.jsonl.gz", content);
  const std::string truncated = dir + "_trunc.jsonl.gz", corrupt = dir + "_bad.jsonl.gz";
  std::ofstream(truncated, std::ios::binary) << gz.substr(0, gz.size() / 2);
  std::string flipped = gz;
  for (size_t i = gz.size() / 3; i < gz.size() / 3 + 64; ++i) flipped[i] = char(flipped[i] ^ 0x5a);
  std::ofstream(corrupt, std::ios::binary) << flipped;
  const std::string files[] = {truncated, corrupt};
  for (int which = 0; which < 2; ++which) {
    const std::string& p = files[which];
    CorpusReader r(p);
    Document d;
    int bad_lines = 0;
    bool stream_failed = false;
    for (int i = 0; i < 10000 && !stream_failed; ++i) {
      try {
        if (!r.next(d)) break;
      } catch (const InvalidInputError&) {
        ++bad_lines;  // a line damaged by the corruption: skippable
      } catch (const CorruptionError& e) {
        stream_failed = true;
        EXPECT_NE(std::string(e.what()).find(p + ":"), std::string::npos) << e.what();
        EXPECT_THROW(r.next(d), CorruptionError);  // and again: reading cannot go on
      }
    }
    EXPECT_TRUE(stream_failed) << p;
    EXPECT_LT(bad_lines, 100) << p;
    auto c = Collection::create(dir + (which == 0 ? "_t" : "_c"), {}, tiny_encoder());
    auto o = quiet();
    o.skip_bad = true;
    EXPECT_THROW(ingest_corpus(*c, p, o), CorruptionError) << p;
  }
}

// The read buffer's size changes nothing a caller sees: with a buffer far smaller than a line (every
// line crosses several buffer edges) the documents, line numbers and content hash are the default's.
TEST(InputHandling, ATinyReadBufferReadsExactlyWhatTheDefaultOneDoes) {
  auto dir = fresh_dir("tinybuf");
  std::string content = "\xef\xbb\xbf";
  for (int i = 0; i < 200; ++i) content += doc_line("t" + std::to_string(i), std::string(size_t(i * 3), 'x') + "\u00e9") + (i % 7 ? "\n" : "\r\n\n");
  std::ofstream(dir + ".jsonl", std::ios::binary) << content;
  write_gz(dir + ".jsonl.gz", content);
  for (const std::string p : {dir + ".jsonl", dir + ".jsonl.gz"}) {
    CorpusReader reference(p), tiny(p, 64);
    Document a, b;
    size_t n = 0;
    for (;;) {
      const bool more = reference.next(a);
      ASSERT_EQ(tiny.next(b), more) << p << " after " << n;
      if (!more) break;
      ++n;
      EXPECT_EQ(b.docid, a.docid);
      EXPECT_EQ(b.text, a.text);
      EXPECT_EQ(tiny.line(), reference.line());
    }
    EXPECT_EQ(n, 200u) << p;
    EXPECT_EQ(tiny.position().hash, reference.position().hash) << p;
    EXPECT_EQ(tiny.position().bytes, reference.position().bytes) << p;
  }
}

// ---- 5. raw NUL bytes; good lines before a bad one in the same chunk
TEST(InputHandling, NulByteLineIsOneBadLineAndTheNextLineIsKept) {
  auto dir = fresh_dir("nul");
  const std::string p = dir + ".jsonl";
  {
    std::ofstream out(p, std::ios::binary);
    out << doc_line("a", "first") << "\n";
    static const char with_nul[] = "{\"docid\":\"n\",\"text\":\"x\0y\"}";
    out << std::string(with_nul, sizeof with_nul - 1) << "\n";
    out << doc_line("b", "after the nul") << "\n" << doc_line("c", "last") << "\n";
  }
  CorpusReader r(p);
  Document d;
  ASSERT_TRUE(r.next(d));
  expect_next_fails<InvalidInputError>(r, p + ":2: raw NUL byte");
  ASSERT_TRUE(r.next(d));
  EXPECT_EQ(d.docid, "b");
  auto c = Collection::create(dir, {}, tiny_encoder());
  auto o = quiet();
  o.skip_bad = true;
  auto s = ingest_corpus(*c, p, o);
  EXPECT_EQ(s.documents, 3u);
  EXPECT_EQ(s.skipped, 1u);
  EXPECT_TRUE(c->find_document("b"));
}

TEST(InputHandling, GoodLinesBeforeABadLineInTheSameChunkAreCommitted) {
  auto dir = fresh_dir("chunk");
  const std::string p = dir + ".jsonl";
  {
    std::ofstream out(p);
    for (int i = 0; i < 7; ++i) out << doc_line("k" + std::to_string(i), "kept " + std::to_string(i)) << "\n";
    out << "{broken\n" << doc_line("after", "after") << "\n";
  }
  auto c = Collection::create(dir, {}, tiny_encoder());
  EXPECT_THROW(ingest_corpus(*c, p, quiet()), InvalidInputError);
  EXPECT_EQ(c->info().documents, 7u);
  EXPECT_EQ(c->extra()["ingest"]["lines"].get<size_t>(), 7u);  // a resume starts at the bad line
}

// ---- 6. commit_every below the chunk size
TEST(InputHandling, CommitEveryBelowTheChunkSizeIsHonoured) {
  auto dir = fresh_dir("every");
  const std::string p = dir + ".jsonl";
  write_jsonl(p, synthetic_docs(10, 4));
  auto c = Collection::create(dir, {}, tiny_encoder());
  const uint64_t g0 = c->info().generation;
  auto o = quiet();
  o.commit_every = 3;
  ingest_corpus(*c, p, o);
  EXPECT_EQ(c->info().generation - g0, 4u);  // after 3, 6, 9 documents, and the final one
  EXPECT_EQ(c->info().documents, 10u);
}

// ---- 8. bad docids name file:line; weights
TEST(InputHandling, BadDocidIsInvalidInputNamingTheLine) {
  auto dir = fresh_dir("docid");
  const std::string p = dir + ".jsonl";
  std::ofstream(p) << doc_line("ok", "fine") << "\n" << doc_line(std::string(2000, 'x'), "too long an id") << "\n";
  CorpusReader r(p);
  Document d;
  ASSERT_TRUE(r.next(d));
  expect_next_fails<InvalidInputError>(r, p + ":2: bad docid");
  const std::string tsv = dir + ".tsv";
  std::ofstream(tsv) << "\tempty id\n";
  CorpusReader t(tsv);
  EXPECT_THROW(t.next(d), InvalidInputError);
}

TEST(InputHandling, WeightsMustRankSomething) {
  EXPECT_THROW(parse_weights(""), UsageError);
  EXPECT_THROW(parse_weights("-1,-1,-1"), UsageError);
  EXPECT_THROW(parse_weights("0,0"), UsageError);
  EXPECT_THROW(parse_weights("0,0,0"), UsageError);
  EXPECT_NO_THROW(parse_weights("1,0"));
  EXPECT_NO_THROW(parse_weights("0.2,1,2.5"));
}

// ---- 9. another corpus into an existing collection
TEST(InputHandling, AnotherCorpusIsNotSilentlyAppended) {
  auto dir = fresh_dir("other");
  write_jsonl(dir + "_a.jsonl", synthetic_docs(12, 5));
  std::vector<Document> b;
  for (int i = 0; i < 5; ++i) b.push_back({"b" + std::to_string(i), "", "other corpus " + std::to_string(i)});
  write_jsonl(dir + "_b.jsonl", b);
  auto c = Collection::create(dir, {}, tiny_encoder());
  ingest_corpus(*c, dir + "_a.jsonl", quiet());
  EXPECT_THROW(ingest_corpus(*c, dir + "_b.jsonl", quiet()), UsageError);
  EXPECT_EQ(c->info().documents, 12u);
  auto o = quiet();
  o.append = true;
  EXPECT_EQ(ingest_corpus(*c, dir + "_b.jsonl", o).documents, 5u);
  EXPECT_EQ(c->info().documents, 17u);
}

// ---- 11. byte-order marks; the effective passage length
TEST(InputHandling, ByteOrderMarksAreDropped) {
  const std::string bom = "\xEF\xBB\xBF";
  auto d = CorpusReader::parse_json_document(
      nlohmann::json{{"docid", "x"}, {"title", bom + "Titel"}, {"text", bom + "Straße"}}.dump(), "w");
  EXPECT_EQ(d.title, "Titel");
  EXPECT_EQ(d.text, "Straße");
  auto dir = fresh_dir("bom");
  std::ofstream(dir + ".jsonl") << bom << doc_line("first", "a") << "\n" << bom << doc_line("second", bom + "b") << "\n";
  CorpusReader r(dir + ".jsonl");
  ASSERT_TRUE(r.next(d));
  EXPECT_EQ(d.docid, "first");
  ASSERT_TRUE(r.next(d));
  EXPECT_EQ(d.text, "b");
  std::ofstream(dir + ".tsv") << bom << "t1\t" << bom << "text\n";
  CorpusReader t(dir + ".tsv");
  ASSERT_TRUE(t.next(d));
  EXPECT_EQ(d.docid, "t1");
  EXPECT_EQ(d.text, "text");
}

TEST(InputHandling, InfoShowsTheEffectivePassageLength) {
  auto c = Collection::create(fresh_dir("maxlen"), {}, tiny_encoder());
  EXPECT_EQ(c->info().passage_max_length, tiny_encoder()->config().max_tokens());  // 64 (66 positions), not 8192
}

// ---- CLI level: exit codes, messages, rollback, all-or-nothing delete
struct Run {
  int status = -1;  // exit code, or 128 + signal
  std::string err, out;
};

Run m3(const std::vector<std::string>& args) {
  static int n = 0;
  const std::string base = "/tmp/m3eng_cli_" + std::to_string(::getpid()) + "_" + std::to_string(n++);
  std::string cmd = std::string(M3_BINARY_DIR) + "/m3";
  for (const auto& a : args) {
    std::string q;
    for (char ch : a) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    cmd += " '" + q + "'";
  }
  cmd += " >" + base + ".out 2>" + base + ".err";
  Run r;
  int st = std::system(cmd.c_str());
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  std::ifstream e(base + ".err"), o(base + ".out");
  std::stringstream se, so;
  se << e.rdbuf();
  so << o.rdbuf();
  r.err = se.str();
  r.out = so.str();
  return r;
}

bool have_m3() { return ::access((std::string(M3_BINARY_DIR) + "/m3").c_str(), X_OK) == 0; }

// m3 index names its collection --out here and --collection on main (the HTTP/CLI rewrite): ask it.
const std::string& out_flag() {
  static const std::string flag = m3({"index", "--help"}).out.find("--collection") != std::string::npos ? "--collection" : "--out";
  return flag;
}

size_t count_of(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

TEST(InputHandlingCli, IndexAndAddSurviveDeepNestingAndRollBackAnUncommittedCollection) {
  if (!have_m3()) GTEST_SKIP() << "build/m3 not built";
  auto dir = fresh_dir("cli_deep");
  const std::string p = dir + ".jsonl";
  std::ofstream(p) << deep_json_line(100000) << "\n" << doc_line("a", "fine") << "\n";
  auto r = m3({"index", "--corpus", p, out_flag(), dir, "--model", tiny_model(), "--quiet"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find(p + ":1:"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir)) << "a collection nothing was committed to is left behind";
  std::ofstream(p) << doc_line("a", "fine") << "\n";
  ASSERT_EQ(m3({"index", "--corpus", p, out_flag(), dir, "--model", tiny_model(), "--quiet"}).status, 0);
  std::ofstream(p) << deep_json_line(100000) << "\n";
  r = m3({"add", "--collection", dir, "--corpus", p});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find(p + ":1:"), std::string::npos) << r.err;
}

TEST(InputHandlingCli, IndexRefusesAnotherCorpusWithoutAppend) {
  if (!have_m3()) GTEST_SKIP() << "build/m3 not built";
  auto dir = fresh_dir("cli_other");
  write_jsonl(dir + "_a.jsonl", synthetic_docs(6, 8));
  std::vector<Document> b = {{"b1", "", "other one"}, {"b2", "", "other two"}};
  write_jsonl(dir + "_b.jsonl", b);
  ASSERT_EQ(m3({"index", "--corpus", dir + "_a.jsonl", out_flag(), dir, "--model", tiny_model(), "--quiet"}).status, 0);
  auto r = m3({"index", "--corpus", dir + "_b.jsonl", out_flag(), dir, "--model", tiny_model(), "--quiet"});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("--append"), std::string::npos) << r.err;
  r = m3({"index", "--corpus", dir + "_b.jsonl", out_flag(), dir, "--model", tiny_model(), "--quiet", "--append"});
  EXPECT_EQ(r.status, 0) << r.err;
  auto c = Collection::open(dir, tiny_encoder());
  EXPECT_EQ(c->info().documents, 8u);
}

TEST(InputHandlingCli, DeleteIsAllOrNothingAndSaysSoOnce) {
  if (!have_m3()) GTEST_SKIP() << "build/m3 not built";
  auto dir = fresh_dir("cli_delete");
  write_jsonl(dir + ".jsonl", synthetic_docs(5, 3));
  ASSERT_EQ(m3({"index", "--corpus", dir + ".jsonl", out_flag(), dir, "--model", tiny_model(), "--quiet"}).status, 0);
  auto r = m3({"delete", "--collection", dir, "d1", "nonexistent-9"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(count_of(r.err, "nonexistent-9"), 1u) << r.err;
  EXPECT_EQ(Collection::open(dir, tiny_encoder())->info().documents, 5u) << "a failed delete deleted something";
  r = m3({"delete", "--collection", dir, "d1", "d2"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Collection::open(dir, tiny_encoder())->info().documents, 3u);
}

TEST(InputHandlingCli, UsageMistakesExitTwo) {
  if (!have_m3()) GTEST_SKIP() << "build/m3 not built";
  auto dir = fresh_dir("cli_usage");
  write_jsonl(dir + ".jsonl", synthetic_docs(3, 3));
  ASSERT_EQ(m3({"index", "--corpus", dir + ".jsonl", out_flag(), dir, "--model", tiny_model(), "--quiet"}).status, 0);
  EXPECT_EQ(m3({"add", "--collection", dir, "--docid", "x"}).status, 2);
  EXPECT_EQ(m3({"add", "--collection", dir, "--docid", "x", "--text", "t", "--metadata", "[1]"}).status, 2);
  for (const char* w : {"-1,-1,-1", "", "0,0,0"})
    EXPECT_EQ(m3({"search", "--collection", dir, "--weights", w, "search"}).status, 2) << w;
  EXPECT_EQ(m3({"index", "--corpus", dir + ".jsonl", out_flag(), dir + "_ivf0", "--model", tiny_model(), "--dense", "IVF0,Flat"}).status, 2);
  EXPECT_FALSE(std::filesystem::exists(dir + "_ivf0"));
  for (const char* v : {"", "0", "-3", "nan", "inf", "1e99", "12x", "median"}) {
    const auto bad = m3({"index", "--corpus", dir + ".jsonl", out_flag(), dir + "_avgdl", "--model", tiny_model(), "--bm25-avgdl", v});
    EXPECT_EQ(bad.status, 2) << "--bm25-avgdl '" << v << "': " << bad.err;
    EXPECT_FALSE(std::filesystem::exists(dir + "_avgdl")) << v;
  }
  auto r = m3({"info", "--collection", dir, "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["passage_max_length"].get<int>(), 64);
  // m3 index measured BM25's average length over the corpus (its default, --bm25-avgdl corpus).
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(r.out)["bm25_avgdl"].get<double>(),
                   corpus_bm25_lengths(dir + ".jsonl", *tiny_encoder(), 8192).average());
  ASSERT_EQ(m3({"index", "--corpus", dir + ".jsonl", out_flag(), dir + "_run", "--model", tiny_model(), "--quiet", "--bm25-avgdl", "running"}).status, 0);
  EXPECT_EQ(nlohmann::json::parse(m3({"info", "--collection", dir + "_run", "--json"}).out)["bm25_avgdl"], "running");
  ASSERT_EQ(m3({"index", "--corpus", dir + ".jsonl", out_flag(), dir + "_12", "--model", tiny_model(), "--quiet", "--bm25-avgdl", "12.5"}).status, 0);
  EXPECT_EQ(nlohmann::json::parse(m3({"info", "--collection", dir + "_12", "--json"}).out)["bm25_avgdl"].get<double>(), 12.5);
  // A docid a corpus line cannot have: exit 1 (bad input), naming file:line.
  std::ofstream(dir + "_bad.tsv") << "ok\tfine\n" << std::string(2000, 'y') << "\ttoo long\n";
  r = m3({"add", "--collection", dir, "--corpus", dir + "_bad.tsv"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find(dir + "_bad.tsv:2:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace m3
