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
#include "commit_scenario.h"
#include "test_util.h"

namespace m3 {
namespace {

using test::apply_commit;
using test::commits_of;
using test::crash_settings;
using test::verify;

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
