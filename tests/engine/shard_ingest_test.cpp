// m3 index --shard I/N (engine/ingest.h, IngestOptions::shard): a shard's collection holds exactly
// the corpus documents shard_of routes to it; shards together hold the corpus once; a re-run with the
// same spec resumes (nothing new), one with another spec on the same directory is refused.
// BM25's fixed average length (engine/corpus_lengths.h): what one commit of the whole corpus uses,
// and with it BM25 no longer depends on how the documents were committed.
#include <gtest/gtest.h>

#include "engine/corpus_lengths.h"
#include "engine/ingest.h"
#include "engine/shard_routing.h"
#include "engine_test_helpers.h"

namespace m3 {
namespace {
using namespace m3::testing;

TEST(ShardIngest, EachShardHoldsItsDocumentsAndResumesOnlyAsItself) {
  const auto docs = synthetic_docs(120, 5);
  const std::string corpus = fresh_dir("shardcorpus") + ".jsonl";
  write_jsonl(corpus, docs);
  const uint32_t n = 3;
  size_t total = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const std::string dir = fresh_dir("shard" + std::to_string(i));
    auto c = Collection::create(dir, {}, tiny_encoder());
    IngestOptions io;
    io.progress = false;
    io.commit_every = 7;
    io.shard = {i, n};
    const auto s = ingest_corpus(*c, corpus, io);
    size_t mine = 0;
    for (const auto& d : docs) {
      const bool here = c->find_document(d.docid).has_value();
      EXPECT_EQ(here, shard_of(d.docid, n) == i) << d.docid << " on shard " << i;
      mine += here;
    }
    EXPECT_EQ(s.documents, mine);
    EXPECT_EQ(s.other_shards, docs.size() - mine);
    EXPECT_EQ(c->info().documents, mine);
    total += mine;
    // The same spec again: resumes at the end, adds nothing.
    EXPECT_EQ(ingest_corpus(*c, corpus, io).documents, 0u);
    IngestOptions other = io;
    other.shard = {(i + 1) % n, n};
    EXPECT_THROW(ingest_corpus(*c, corpus, other), UsageError);
  }
  EXPECT_EQ(total, docs.size());
}

std::vector<std::pair<std::string, float>> bm25_hits(const Collection& c, const std::string& query) {
  SearchParams p;
  p.mode = SearchMode::Bm25;
  p.k = 1000;
  std::vector<std::pair<std::string, float>> out;
  for (const auto& h : c.search_embedding(c.encoder().encode({query}, 512)[0], p).hits) out.emplace_back(h.docid, h.score);
  std::sort(out.begin(), out.end());
  return out;
}

Collection& ingested(std::unique_ptr<Collection>& c, const std::string& corpus, size_t commit_every) {
  IngestOptions io;
  io.progress = false;
  io.commit_every = commit_every;
  io.chunk = 16;
  ingest_corpus(*c, corpus, io);
  return *c;
}

TEST(ShardIngest, TheCorpusAverageLengthIsWhatOneCommitOfTheWholeCorpusUses) {
  const auto docs = synthetic_docs(90, 11);
  const std::string corpus = fresh_dir("lencorpus") + ".jsonl";
  write_jsonl(corpus, docs);
  const CorpusLengths lengths = corpus_bm25_lengths(corpus, *tiny_encoder(), 8192);
  EXPECT_EQ(lengths.documents, docs.size());
  EXPECT_GT(lengths.average(), 1.0);
  // One commit with the running average (the average of exactly these documents) against the fixed
  // measured one: the same impacts, so the same BM25 scores to the bit.
  auto running = Collection::create(fresh_dir("running"), {}, tiny_encoder());
  CollectionOptions fixed_options;
  fixed_options.bm25_avgdl = lengths.average();
  auto fixed = Collection::create(fresh_dir("fixed"), fixed_options, tiny_encoder());
  EXPECT_EQ(fixed->info().bm25_avgdl, lengths.average());
  EXPECT_EQ(running->info().bm25_avgdl, 0.0);
  ingested(running, corpus, 1000);
  ingested(fixed, corpus, 1000);
  for (const char* q : {"search engine", "document network", "кошка дом"}) {
    const auto a = bm25_hits(*running, q), b = bm25_hits(*fixed, q);
    EXPECT_FALSE(a.empty()) << q;
    EXPECT_EQ(a, b) << q;
  }
}

TEST(ShardIngest, AFixedAverageLengthMakesBm25IndependentOfHowDocumentsWereCommitted) {
  auto docs = synthetic_docs(80, 12);
  // Lengths that drift through the corpus, so the running average differs commit by commit.
  for (size_t i = 0; i < docs.size(); ++i)
    for (size_t r = 0; r < i / 10; ++r) docs[i].text += " filler words";
  const std::string corpus = fresh_dir("driftcorpus") + ".jsonl";
  write_jsonl(corpus, docs);
  CollectionOptions fixed;
  fixed.bm25_avgdl = corpus_bm25_lengths(corpus, *tiny_encoder(), 8192).average();
  auto one = Collection::create(fresh_dir("one"), fixed, tiny_encoder());
  auto many = Collection::create(fresh_dir("many"), fixed, tiny_encoder());
  auto many_running = Collection::create(fresh_dir("manyrun"), {}, tiny_encoder());
  ingested(one, corpus, 1000);
  ingested(many, corpus, 16);
  ingested(many_running, corpus, 16);
  for (auto* c : {one.get(), many.get(), many_running.get()}) c->commit();
  bool running_differs = false;
  for (const char* q : {"search engine", "filler", "document words Regen"}) {
    const auto a = bm25_hits(*one, q);
    // Several segments, each quantised on its own scale: equal to the 8-bit quantisation.
    const auto b = bm25_hits(*many, q), r = bm25_hits(*many_running, q);
    ASSERT_EQ(a.size(), b.size()) << q;
    float top = 0;
    for (const auto& [id, s] : a) top = std::max(top, s);
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].first, b[i].first);
      EXPECT_NEAR(a[i].second, b[i].second, 0.01f * top + 1e-5f) << q << " " << a[i].first;
      if (std::abs(a[i].second - r[i].second) > 0.03f * top) running_differs = true;
    }
  }
  EXPECT_TRUE(running_differs) << "the running average should have differed (the test's corpus does not drift)";
}

}  // namespace
}  // namespace m3
