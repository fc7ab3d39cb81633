// The commit promise under I/O faults, through the Env seam (index/env.h): the commit scenario of
// commit_scenario.h (creates, upserts, removals, merges) is run once to count its I/O calls, then once
// per call with that call failing (EIO and ENOSPC in turn). Each run must end in an IoError (or finish,
// where only a best-effort removal failed), never a crash or another error; then everything not synced
// is dropped, as a power cut would, and the collection must reopen as exactly the last commit that
// finished or the one that was under way. A power cut after a clean run keeps every commit.
#include <gtest/gtest.h>

#include <cerrno>
#include <iostream>

#include "commit_scenario.h"
#include "fault_injection_env.h"
#include "index/file_io.h"
#include "index/index_store.h"
#include "test_util.h"

namespace m3 {
namespace {

constexpr int kCommits = 5;

// Runs the scenario until an IoError; returns the commits that finished.
int run_scenario(const std::string& dir) {
  int done = 0;
  try {
    auto s = IndexStore::create(dir, test::crash_settings());
    for (int c = 1; c <= kCommits; ++c) {
      test::apply_commit(*s, c);
      done = c;
    }
  } catch (const IoError&) {
  }
  return done;
}

TEST(FaultInjection, EveryWriteCallFailsOnceThenPowerCut) {
  test::TempDir tmp;
  uint64_t total_calls = 0;
  {
    test::FaultInjectionEnv env;
    test::ScopedEnv scoped(&env);
    ASSERT_EQ(run_scenario(tmp.sub("clean")), kCommits);
    total_calls = env.calls();
    env.drop_unsynced();  // a power cut after the last commit loses nothing
  }
  int last = 0;
  test::verify(tmp.sub("clean"), last);
  ASSERT_EQ(last, kCommits);
  ASSERT_GT(total_calls, 50u);

  int failed_runs = 0, verified = 0;
  for (uint64_t call = 1; call <= total_calls; ++call) {
    const std::string dir = tmp.sub("f" + std::to_string(call));
    int done = 0;
    bool failed = false;
    {
      test::FaultInjectionEnv env;
      test::ScopedEnv scoped(&env);
      env.fail_call(call, call % 2 ? EIO : ENOSPC);
      done = run_scenario(dir);
      failed = env.failed();
      env.drop_unsynced();
    }
    ASSERT_TRUE(failed) << "call " << call << " was never made: the scenario is not deterministic";
    failed_runs += done < kCommits;
    if (!path_exists(dir + "/MANIFEST")) {  // the failure came inside create(): nothing committed
      ASSERT_EQ(done, 0) << "call " << call;
      continue;
    }
    int found = done;
    test::verify(dir, found);
    if (HasFatalFailure()) {
      ADD_FAILURE() << "after a failure at call " << call << " of " << total_calls;
      return;
    }
    ASSERT_LE(found, done + 1) << "call " << call << ": a commit that never started is present";
    ++verified;
  }
  std::cout << "[ faults ] " << total_calls << " write calls, each failed once: " << failed_runs
            << " runs stopped by the error, " << verified << " collections reopened and verified\n";
  EXPECT_GT(failed_runs, 0);
}

}  // namespace
}  // namespace m3
