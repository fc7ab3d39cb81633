// m3 index --shard I/N (engine/ingest.h, IngestOptions::shard): a shard's collection holds exactly
// the corpus documents shard_of routes to it; shards together hold the corpus once; a re-run with the
// same spec resumes (nothing new), one with another spec on the same directory is refused.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace m3
