#!/usr/bin/env bash
# Runs one libFuzzer target:  bench/fuzz.sh TARGET EXECUTIONS [libFuzzer flags...]
#                             bench/fuzz.sh                  (lists the targets)
# TARGET is a tests/fuzz/fuzz_<TARGET>.cpp (corpus_line, manifest, sparse_index, ...). Builds build-fuzz/
# with clang (-DM3_FUZZ=ON: only the readers, ASan + UBSan + libFuzzer) if needed, seeds the corpus
# build-fuzz/corpus/TARGET with the target's own synthesised inputs (M3_FUZZ_WRITE_SEEDS) plus
# tests/fuzz/regressions/TARGET, and stops after EXECUTIONS runs (exit 0) or at the first crash, leak,
# sanitizer report or timeout (libFuzzer writes crash-<hash> etc. under build-fuzz/artifacts/TARGET/,
# exit non-zero). A crash becomes a fix in the reader plus that file in tests/fuzz/regressions/TARGET/.
# One process, one core: the machine is shared (no -jobs/-workers).
set -euo pipefail
cd "$(dirname "$0")/.."
# The targets write each input to a file; on tmpfs that is 2.2x the executions per second of a disk
# (corpus_line: 1,666 vs 750 exec/s here).
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
targets=$(cd tests/fuzz && ls fuzz_*.cpp | sed -n 's/^fuzz_\(.*\)\.cpp$/\1/p' | grep -vx support)
if [ $# -lt 2 ]; then
  echo "usage: bench/fuzz.sh TARGET EXECUTIONS [libFuzzer flags...]; targets:" $targets >&2
  exit 2
fi
target=$1 runs=$2
shift 2
grep -qx "$target" <<<"$targets" || { echo "unknown target '$target'; targets:" $targets >&2; exit 2; }
if [ ! -f build-fuzz/CMakeCache.txt ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DM3_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build build-fuzz -j2 --target "fuzz_$target" >/dev/null
corpus=build-fuzz/corpus/$target artifacts=build-fuzz/artifacts/$target
mkdir -p "$corpus" "$artifacts" "tests/fuzz/regressions/$target"
[ -n "$(ls -A "$corpus")" ] || M3_FUZZ_WRITE_SEEDS=$corpus "build-fuzz/fuzz_$target" >/dev/null
# -rss_limit_mb: an input that makes a reader allocate what the file cannot back is a finding too.
exec "build-fuzz/fuzz_$target" -runs="$runs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$@" "$corpus" "tests/fuzz/regressions/$target"
