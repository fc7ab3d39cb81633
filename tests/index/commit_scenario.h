// The commit scenario shared by the crash tests (crash_test.cpp: SIGKILL; fault_injection_test.cpp:
// failed and forgotten I/O): commit c adds c<c>-0..3, removes c<c-2>-0 and replaces c<c-1>-1, merging
// often; verify() reopens a collection and checks it is exactly the state of some whole commit.
#pragma once
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "index/file_io.h"
#include "index/index_store.h"
#include "test_util.h"

namespace m3::test {

constexpr int kDocsPerCommit = 4;

inline IndexSettings crash_settings() {
  IndexSettings s;
  s.dense_dim = 16;
  s.multivec_dim = 8;
  s.mv_codec = "int8";
  s.merge_factor = 3;  // merges happen often, so kills land inside them too
  return s;
}

inline std::string docid(int c, int j) { return "c" + std::to_string(c) + "-" + std::to_string(j); }

inline DocInput make(int c, int j, const std::string& title) {
  std::mt19937_64 rng(uint64_t(c) * 1000 + uint64_t(j) + (title == "v2" ? 7 : 0));
  Zipf z(500, 1.0);
  DocInput d;
  d.docid = docid(c, j);
  d.title = title;
  d.text = "text " + d.docid;
  d.dense = clustered(1, 16, 1, 0.5f, rng);
  d.sparse = random_sparse(10, z, 0.4f, rng);
  for (int i = 0; i < 12; ++i) d.token_ids.push_back(int32_t(z(rng)));
  d.n_vectors = 3;
  d.multivec = clustered(3, 8, 2, 0.3f, rng);
  return d;
}

// Commit c: adds c<c>-0..3, removes c<c-2>-0, replaces c<c-1>-1 with title "v2".
inline void apply_commit(IndexStore& s, int c) {
  for (int j = 0; j < kDocsPerCommit; ++j) s.upsert(make(c, j, "v1"));
  if (c > 2) s.remove(docid(c - 2, 0));
  if (c > 1) s.upsert(make(c - 1, 1, "v2"));
  s.set_extra({{"commits", c}});
  s.commit();
}

// The docids (and titles) that must be live after `c` commits.
inline std::map<std::string, std::string> expected(int c) {
  std::map<std::string, std::string> m;
  for (int x = 1; x <= c; ++x)
    for (int j = 0; j < kDocsPerCommit; ++j) {
      if (j == 0 && x <= c - 2) continue;
      m[docid(x, j)] = (j == 1 && x <= c - 1) ? "v2" : "v1";
    }
  return m;
}

inline int commits_of(const IndexStore& s) { return s.settings().extra.value("commits", 0); }

// Reopens `dir` and checks it holds exactly the state after some number of commits c >= last_commits
// (every doc readable, searchable in every head); sets last_commits = c.
inline void verify(const std::string& dir, int& last_commits) {
  if (!path_exists(dir + "/MANIFEST")) {  // killed before create() finished
    ASSERT_EQ(last_commits, 0) << "MANIFEST vanished after a commit";
    return;
  }
  auto store = IndexStore::open(dir);
  int c = commits_of(*store);
  ASSERT_GE(c, last_commits) << "a finished commit was lost";
  last_commits = c;
  auto want = expected(c);
  auto snap = store->snapshot();
  ASSERT_EQ(snap->live_documents(), want.size()) << "after " << c << " commits";
  for (const auto& [id, title] : want) {
    auto doc = snap->find(id);
    ASSERT_TRUE(doc) << id << " missing after " << c << " commits";
    auto rec = snap->doc(*doc);
    ASSERT_TRUE(rec) << id;
    ASSERT_EQ(rec->title, title) << id;
  }
  size_t n = 0;
  snap->for_each_doc([&](const DocRecord& r) {
    ++n;
    EXPECT_TRUE(want.count(r.docid)) << r.docid;
  });
  EXPECT_EQ(n, want.size());
  if (!want.empty()) {
    DocInput q = make(999, 0, "q");
    auto hits = snap->dense_search(q.dense.data(), int(want.size()));
    EXPECT_EQ(hits.size(), want.size());
    for (auto& h : snap->sparse_search(q.sparse, 1000)) EXPECT_TRUE(want.count(snap->doc(h.doc)->docid));
    std::vector<int64_t> docs;
    for (auto& h : hits) docs.push_back(h.doc);
    EXPECT_EQ(snap->multivec_scores(q.multivec.data(), q.n_vectors, docs).size(), docs.size());
  }
}

}  // namespace m3::test
