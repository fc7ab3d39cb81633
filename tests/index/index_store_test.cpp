// IndexStore / Snapshot: searches over several segments equal brute force over the per-doc exact
// scores; replaced and deleted docs never appear; snapshots keep their commit; merges keep the live
// set; reopening gives the same answers; bad input and damaged files are m3::Errors.
#include <gtest/gtest.h>

#include <fstream>

#include "index/file_io.h"
#include "index/index_store.h"
#include "index/topk.h"
#include "test_util.h"

namespace m3 {
namespace {

constexpr int kDense = 32, kMv = 16;

struct Gen {
  std::mt19937_64 rng{42};
  test::Zipf zipf{3000, 1.0};
  DocInput doc(const std::string& id) {
    DocInput d;
    d.docid = id;
    d.title = "title " + id;
    d.text = "text of " + id;
    d.metadata_json = "{\"id\":\"" + id + "\"}";
    d.dense = test::clustered(1, kDense, 1, 0.5f, rng);
    d.sparse = test::random_sparse(5 + rng() % 30, zipf, 0.4f, rng);
    for (int i = 0, n = 5 + int(rng() % 40); i < n; ++i) d.token_ids.push_back(int32_t(zipf(rng)));
    d.n_vectors = 1 + int(rng() % 8);
    d.multivec = test::clustered(size_t(d.n_vectors), kMv, 4, 0.3f, rng);
    return d;
  }
};

IndexSettings settings(const std::string& codec = "fp16") {
  IndexSettings s;
  s.dense_dim = kDense;
  s.multivec_dim = kMv;
  s.mv_codec = codec;
  s.merge_factor = 100;  // no automatic merges unless a test asks
  return s;
}

template <class F>
std::vector<ScoredDoc> brute(const Snapshot& s, std::vector<int64_t> docs, int k, F score) {
  TopK t(static_cast<size_t>(k));
  for (int64_t d : docs) {
    float v = score(d);
    if (v > 0) t.push(d, v);
  }
  return t.take();
}

std::vector<int64_t> live_docs(const Snapshot& s) {
  std::vector<int64_t> out;
  s.for_each_doc([&](const DocRecord& r) { out.push_back(r.doc); });
  return out;
}

void check_exact(const Snapshot& s, Gen& g) {
  auto docs = live_docs(s);
  ASSERT_EQ(docs.size(), s.live_documents());
  for (int i = 0; i < 10; ++i) {
    DocInput q = g.doc("q");
    for (auto algo : {SparseAlgo::Exhaustive, SparseAlgo::MaxScore, SparseAlgo::BlockMaxWand}) {
      auto ref = brute(s, docs, 10, [&](int64_t d) { return s.sparse_score(q.sparse, d); });
      EXPECT_EQ(s.sparse_search(q.sparse, 10, algo), ref);
      auto bref = brute(s, docs, 10, [&](int64_t d) { return s.bm25_score(q.token_ids, d); });
      EXPECT_EQ(s.bm25_search(q.token_ids, 10, algo), bref);
    }
    TopK t(10);
    for (int64_t d : docs) t.push(d, s.dense_score(q.dense.data(), d));
    EXPECT_EQ(s.dense_search(q.dense.data(), 10), t.take());
  }
}

TEST(IndexStore, CommitSearchReopen) {
  test::TempDir dir;
  Gen g;
  auto store = IndexStore::create(dir.sub("c"), settings());
  EXPECT_THROW(IndexStore::create(dir.sub("c"), settings()), UsageError);
  for (int c = 0; c < 4; ++c) {
    for (int i = 0; i < 80; ++i) store->upsert(g.doc("d" + std::to_string(c) + "-" + std::to_string(i)));
    EXPECT_EQ(store->commit(), uint64_t(c + 1));
  }
  auto s = store->snapshot();
  EXPECT_EQ(s->num_segments(), 4u);
  EXPECT_EQ(s->live_documents(), 320u);
  check_exact(*s, g);
  auto id = s->find("d2-7");
  ASSERT_TRUE(id);
  auto rec = s->doc(*id);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->docid, "d2-7");
  EXPECT_EQ(rec->title, "title d2-7");
  EXPECT_EQ(rec->metadata_json, "{\"id\":\"d2-7\"}");
  // MaxSim through the facade equals the store's own scorer on that doc.
  DocInput q = g.doc("q");
  auto ms = s->multivec_scores(q.multivec.data(), q.n_vectors, {*id, *s->find("d0-0")});
  EXPECT_EQ(ms.size(), 2u);
  EXPECT_GT(ms[0], -1.f);
  auto before = s->sparse_search(q.sparse, 20);
  auto dbefore = s->dense_search(q.dense.data(), 20);
  auto id0 = *s->find("d0-0");
  s.reset();  // a snapshot keeps the collection's RocksDB open; release it before reopening
  store.reset();
  auto re = IndexStore::open(dir.sub("c"));
  auto s2 = re->snapshot();
  EXPECT_EQ(s2->sparse_search(q.sparse, 20), before);
  EXPECT_EQ(s2->dense_search(q.dense.data(), 20), dbefore);
  EXPECT_EQ(s2->multivec_scores(q.multivec.data(), q.n_vectors, {*id, id0}), ms);
  EXPECT_GT(s2->sizes().total(), 0u);
}

TEST(IndexStore, ReplaceDeleteAndSnapshotIsolation) {
  test::TempDir dir;
  Gen g;
  auto store = IndexStore::create(dir.sub("c"), settings());
  for (int i = 0; i < 50; ++i) store->upsert(g.doc("a" + std::to_string(i)));
  store->commit();
  auto old = store->snapshot();
  int64_t old_a3 = *old->find("a3");
  DocInput repl = g.doc("a3");
  repl.title = "new";
  store->upsert(repl);
  store->remove("a4");
  store->remove("never-existed");
  store->upsert(g.doc("b0"));
  store->remove("b0");  // removed before its commit: never appears
  store->commit();
  auto s = store->snapshot();
  EXPECT_EQ(s->live_documents(), 49u);
  EXPECT_FALSE(s->find("a4"));
  EXPECT_FALSE(s->find("b0"));
  ASSERT_TRUE(s->find("a3"));
  EXPECT_NE(*s->find("a3"), old_a3);
  EXPECT_EQ(s->doc(*s->find("a3"))->title, "new");
  EXPECT_FALSE(s->doc(old_a3));
  EXPECT_THROW(s->dense_score(repl.dense.data(), old_a3), NotFoundError);
  // The old snapshot still sees its commit, records included.
  EXPECT_EQ(old->live_documents(), 50u);
  EXPECT_EQ(old->doc(old_a3)->docid, "a3");
  EXPECT_TRUE(old->find("a4"));
  for (int i = 0; i < 20; ++i) {
    DocInput q = g.doc("q");
    for (auto& h : s->sparse_search(q.sparse, 50)) EXPECT_NE(h.doc, old_a3);
    for (auto& h : s->dense_search(q.dense.data(), 50)) EXPECT_NE(h.doc, old_a3);
  }
  check_exact(*s, g);
}

TEST(IndexStore, MergeKeepsLiveSetAndExactness) {
  test::TempDir dir;
  Gen g;
  IndexSettings st = settings("int8");
  st.merge_factor = 3;
  auto store = IndexStore::create(dir.sub("c"), st);
  for (int c = 0; c < 10; ++c) {
    for (int i = 0; i < 20; ++i) store->upsert(g.doc("d" + std::to_string(c) + "-" + std::to_string(i)));
    if (c % 3 == 1) store->remove("d" + std::to_string(c - 1) + "-5");
    store->commit();
  }
  auto s = store->snapshot();
  EXPECT_LT(s->num_segments(), 6u);  // automatic tiered merges
  EXPECT_EQ(s->live_documents(), 200u - 3u);
  check_exact(*s, g);
  DocInput q = g.doc("q");
  auto dense_before = s->dense_search(q.dense.data(), 30);
  auto docs_before = live_docs(*s);
  auto mv_before = s->multivec_scores(q.multivec.data(), q.n_vectors, docs_before);
  store->merge();
  auto m = store->snapshot();
  EXPECT_EQ(m->num_segments(), 1u);
  EXPECT_EQ(live_docs(*m), docs_before);
  EXPECT_EQ(m->dense_search(q.dense.data(), 30), dense_before);  // fp32 vectors move unchanged
  EXPECT_EQ(m->multivec_scores(q.multivec.data(), q.n_vectors, docs_before), mv_before);  // codes copied
  check_exact(*m, g);
  s.reset();
  m.reset();
  store.reset();
  auto re = IndexStore::open(dir.sub("c"));
  EXPECT_EQ(live_docs(*re->snapshot()), docs_before);
}

TEST(IndexStore, ResidualCodecCollection) {
  test::TempDir dir;
  Gen g;
  IndexSettings st = settings("residual");
  st.mv_bits = 2;
  auto store = IndexStore::create(dir.sub("c"), st);
  for (int i = 0; i < 100; ++i) store->upsert(g.doc("r" + std::to_string(i)));
  store->commit();
  for (int i = 0; i < 10; ++i) store->upsert(g.doc("s" + std::to_string(i)));
  store->commit();
  DocInput q = g.doc("q");
  auto docs = live_docs(*store->snapshot());
  auto a = store->snapshot()->multivec_scores(q.multivec.data(), q.n_vectors, docs);
  store.reset();
  auto re = IndexStore::open(dir.sub("c"));
  EXPECT_EQ(re->snapshot()->multivec_scores(q.multivec.data(), q.n_vectors, docs), a);
}

TEST(IndexStore, BadInputIsAnError) {
  test::TempDir dir;
  Gen g;
  IndexSettings bad = settings("zstd");
  EXPECT_THROW(IndexStore::create(dir.sub("x"), bad), UsageError);
  bad = settings("residual");
  bad.mv_bits = 3;
  EXPECT_THROW(IndexStore::create(dir.sub("x"), bad), UsageError);
  EXPECT_THROW(IndexStore::create(dir.sub("x2"), [] { auto s = settings(); s.dense_factory = "Bogus"; return s; }()), Error);
  auto store = IndexStore::create(dir.sub("c"), settings());
  DocInput d = g.doc("x");
  d.dense.push_back(0.f);
  EXPECT_THROW(store->upsert(d), UsageError);
  d = g.doc("x");
  for (auto& v : d.dense) v *= 2;
  EXPECT_THROW(store->upsert(d), Error);
  d = g.doc("x");
  d.n_vectors += 1;
  EXPECT_THROW(store->upsert(d), UsageError);
  d = g.doc("x");
  std::swap(d.sparse.ids[0], d.sparse.ids[1]);
  EXPECT_THROW(store->upsert(d), UsageError);
  d = g.doc("");
  EXPECT_THROW(store->upsert(d), UsageError);
  d = g.doc("x");
  d.metadata_json = "{not json";
  EXPECT_THROW(store->upsert(d), UsageError);
  d = g.doc("x");
  d.text = std::string("\xff\xfe");
  EXPECT_THROW(store->upsert(d), Error);
  EXPECT_THROW(IndexStore::open(dir.sub("missing")), NotFoundError);
}

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}
void spit(const std::string& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << s;
}

TEST(IndexStore, DamagedFilesAreErrors) {
  test::TempDir dir;
  Gen g;
  {
    auto store = IndexStore::create(dir.sub("c"), settings());
    for (int i = 0; i < 30; ++i) store->upsert(g.doc("a" + std::to_string(i)));
    store->commit();
  }
  const std::string seg = dir.sub("c/seg-1");
  for (const char* f : {"sparse.bin", "bm25.bin", "dense.f32", "dense.faiss", "multivec.bin", "docs.bin"}) {
    std::string orig = slurp(seg + "/" + f);
    std::string flipped = orig;
    flipped[flipped.size() / 2] ^= 0x40;
    spit(seg + "/" + f, flipped);
    EXPECT_THROW(IndexStore::open(dir.sub("c")), CorruptionError) << f << " flipped";
    spit(seg + "/" + f, orig.substr(0, orig.size() / 3));
    EXPECT_THROW(IndexStore::open(dir.sub("c")), CorruptionError) << f << " truncated";
    spit(seg + "/" + f, orig);
  }
  EXPECT_NO_THROW(IndexStore::open(dir.sub("c")));
  std::string man = slurp(dir.sub("c/MANIFEST"));
  spit(dir.sub("c/MANIFEST"), man.substr(0, man.size() / 2));
  EXPECT_THROW(IndexStore::open(dir.sub("c")), CorruptionError);
  std::string edited = man;
  edited.replace(edited.find("\"n_docs\": 30"), 12, "\"n_docs\": 31");
  spit(dir.sub("c/MANIFEST"), edited);
  EXPECT_THROW(IndexStore::open(dir.sub("c")), CorruptionError);
  // A MANIFEST of deeply nested JSON is damage, not a stack overflow.
  spit(dir.sub("c/MANIFEST"), std::string(200000, '[') + std::string(200000, ']'));
  EXPECT_THROW(IndexStore::open(dir.sub("c")), CorruptionError);
  spit(dir.sub("c/MANIFEST"), man);
  std::filesystem::remove(seg + "/bm25.bin");
  EXPECT_THROW(IndexStore::open(dir.sub("c")), Error);
}

TEST(IndexStore, FailedSystemCallsAreIoErrors) {
  test::TempDir dir;
  EXPECT_THROW(FileWriter(dir.sub("no/such/dir/file")), IoError);
  EXPECT_THROW(fsync_dir(dir.sub("missing")), IoError);
  EXPECT_NO_THROW(fsync_parent_dir(dir.sub("anything")));
  EXPECT_THROW(make_dir(dir.sub("x/y") + std::string(5000, 'z')), IoError);
}

}  // namespace
}  // namespace m3
