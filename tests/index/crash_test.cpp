// The commit promise under SIGKILL: a writer process commits (and merges) in a loop; the test kills
// it at random instants, many times, then reopens the collection and checks that it is exactly the
// state of the last commit that the MANIFEST names — no more, no less, every doc readable.
//
// The writer is this same test binary re-executed with M3_CRASH_DIR set (IndexCrash.Writer), so no
// extra program is needed and the child never inherits a forked multithreaded state.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "index/file_io.h"
#include "index/index_store.h"
#include "test_util.h"

namespace m3 {
namespace {

constexpr int kDocsPerCommit = 4;

IndexSettings crash_settings() {
  IndexSettings s;
  s.dense_dim = 16;
  s.multivec_dim = 8;
  s.mv_codec = "int8";
  s.merge_factor = 3;  // merges happen often, so kills land inside them too
  return s;
}

std::string docid(int c, int j) { return "c" + std::to_string(c) + "-" + std::to_string(j); }

DocInput make(int c, int j, const std::string& title) {
  std::mt19937_64 rng(uint64_t(c) * 1000 + uint64_t(j) + (title == "v2" ? 7 : 0));
  test::Zipf z(500, 1.0);
  DocInput d;
  d.docid = docid(c, j);
  d.title = title;
  d.text = "text " + d.docid;
  d.dense = test::clustered(1, 16, 1, 0.5f, rng);
  d.sparse = test::random_sparse(10, z, 0.4f, rng);
  for (int i = 0; i < 12; ++i) d.token_ids.push_back(int32_t(z(rng)));
  d.n_vectors = 3;
  d.multivec = test::clustered(3, 8, 2, 0.3f, rng);
  return d;
}

// Commit c: adds c<c>-0..3, removes c<c-2>-0, replaces c<c-1>-1 with title "v2".
void apply_commit(IndexStore& s, int c) {
  for (int j = 0; j < kDocsPerCommit; ++j) s.upsert(make(c, j, "v1"));
  if (c > 2) s.remove(docid(c - 2, 0));
  if (c > 1) s.upsert(make(c - 1, 1, "v2"));
  s.set_extra({{"commits", c}});
  s.commit();
}

// The docids (and titles) that must be live after `c` commits.
std::map<std::string, std::string> expected(int c) {
  std::map<std::string, std::string> m;
  for (int x = 1; x <= c; ++x)
    for (int j = 0; j < kDocsPerCommit; ++j) {
      if (j == 0 && x <= c - 2) continue;
      m[docid(x, j)] = (j == 1 && x <= c - 1) ? "v2" : "v1";
    }
  return m;
}

int commits_of(const IndexStore& s) { return s.settings().extra.value("commits", 0); }

TEST(IndexCrash, Writer) {
  const char* dir = std::getenv("M3_CRASH_DIR");
  if (!dir) GTEST_SKIP() << "helper process of IndexCrash.SigkillDuringCommits";
  // A writer killed inside create() leaves a directory without MANIFEST: it never committed anything.
  if (!path_exists(std::string(dir) + "/MANIFEST")) remove_tree(dir);
  std::unique_ptr<IndexStore> s = path_exists(std::string(dir) + "/MANIFEST") ? IndexStore::open(dir) : IndexStore::create(dir, crash_settings());
  // Tell the test where we are: 'R' once open, 'C' after each commit.
  const int fd = std::atoi(std::getenv("M3_CRASH_FD"));
  auto tell = [fd](char c) { (void)!write(fd, &c, 1); };
  tell('R');
  for (int c = commits_of(*s) + 1;; ++c) {
    apply_commit(*s, c);
    tell('C');
  }
}

void verify(const std::string& dir, int& last_commits) {
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

TEST(IndexCrash, SigkillDuringCommits) {
  test::TempDir tmp;
  const std::string dir = tmp.sub("c");
  std::mt19937_64 rng(12345);
  int last = 0, progressed = 0;
  const int kKills = 60;
  for (int i = 0; i < kKills; ++i) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      int null_fd = open("/dev/null", O_WRONLY);
      dup2(null_fd, 1);
      dup2(null_fd, 2);
      setenv("M3_CRASH_DIR", dir.c_str(), 1);
      setenv("M3_CRASH_FD", std::to_string(fds[1]).c_str(), 1);
      execl("/proc/self/exe", "test_index", "--gtest_filter=IndexCrash.Writer", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    // Wait until the writer has opened the collection (start-up time varies with what is linked in),
    // then kill at a random instant; every 5th run only after one more commit, so progress is certain.
    char c = 0;
    bool alive = read(fds[0], &c, 1) == 1 && c == 'R';
    if (alive && i % 5 == 0) alive = read(fds[0], &c, 1) == 1;
    if (alive) std::this_thread::sleep_for(std::chrono::microseconds(rng() % 300000));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited on its own (status " << status << ")";
    int before = last;
    verify(dir, last);
    if (HasFatalFailure()) return;
    progressed += last > before;
  }
  std::cout << "[ crash ] " << kKills << " kills, " << last << " commits survived, " << progressed
            << " runs made progress\n";
  EXPECT_GE(progressed, kKills / 5);  // guaranteed by the runs that wait for a commit
}

}  // namespace
}  // namespace m3
