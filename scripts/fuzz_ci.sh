#!/usr/bin/env bash
# CI's short, real fuzzing run: every libFuzzer target for a few seconds (M3_CI_FUZZ_SECONDS, default 2)
# from its synthesised seeds and regression inputs. The replay of those inputs alone runs in every
# ctest (tests/fuzz/replay.cmake); this adds new inputs under ASan + UBSan. Needs clang and
# libclang-rt-14-dev (scripts/deps.sh installs them); skipped with a message when they are missing.
# Any finding fails the run; the input is under build-fuzz/artifacts/TARGET/ (keep it as a
# regression input in tests/fuzz/regressions/TARGET/ with the fix).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${M3_CI_FUZZ_SECONDS:-2}
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$probe/t.cpp"
if ! command -v clang++ >/dev/null || ! clang++ -fsanitize=fuzzer,address,undefined "$probe/t.cpp" -o "$probe/t" 2>/dev/null; then
  echo "[fuzz-ci] skipped: clang++ with libFuzzer (libclang-rt-14-dev) not available"
  exit 0
fi
start=$(date +%s)
if [ ! -f build-fuzz/CMakeCache.txt ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DM3_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build build-fuzz -j"$(nproc)" >/dev/null
built=$(date +%s)
echo "[fuzz-ci] build-fuzz built in $((built - start)) s; fuzzing each target for $secs s"
bench/fuzz_campaign.sh 100000000 "$secs" | tee build-fuzz/logs-ci.md
echo "[fuzz-ci] fuzzed in $(($(date +%s) - built)) s, $(($(date +%s) - start)) s in all"
! grep -q FINDING build-fuzz/logs-ci.md
