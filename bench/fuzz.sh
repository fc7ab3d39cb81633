#!/usr/bin/env bash
# Runs one libFuzzer target: bench/fuzz.sh TARGET EXECUTIONS   (TARGET: corpus_line | manifest)
# Builds build-fuzz/ with clang (-DM3_FUZZ=ON: only the parsers, ASan + UBSan + libFuzzer) if needed,
# seeds the corpus from tests/fixtures-like inputs, and stops after EXECUTIONS runs (exit 0) or at the
# first crash (libFuzzer writes crash-<hash> under build-fuzz/artifacts/, exit non-zero).
set -euo pipefail
target=${1:?usage: bench/fuzz.sh corpus_line|manifest EXECUTIONS}
runs=${2:?usage: bench/fuzz.sh corpus_line|manifest EXECUTIONS}
cd "$(dirname "$0")/.."
if [ ! -f build-fuzz/CMakeCache.txt ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DM3_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build build-fuzz -j2 --target "fuzz_$target"
seeds=build-fuzz/seeds/$target
mkdir -p "$seeds" build-fuzz/artifacts
if [ -z "$(ls -A "$seeds")" ]; then
  case $target in
    corpus_line)
      printf '%s' '{"docid":"a","title":"t","text":"hello","lang":"en","tags":[1,2,{"x":null}]}' >"$seeds/1"
      printf 'id1\thello world\textra\n\xef\xbb\xbfid2\ttext\n' >"$seeds/2"
      printf '{"_id":7,"text":"x\\u0000y"}\n{"docid":"b","text":"\xef\xbb\xbfz"}\n' >"$seeds/3" ;;
    manifest)
      for d in /tmp/m3eng_*/col; do [ -f "$d/MANIFEST" ] && cp "$d/MANIFEST" "$seeds/$(basename "$(dirname "$d")")"; done 2>/dev/null || true
      printf '%s' '{"format":"m3-index","version":1,"generation":0,"next_doc":0,"settings":{},"codebook":null,"segments":[],"checksum":"0"}' >"$seeds/min" ;;
  esac
fi
exec "build-fuzz/fuzz_$target" -runs="$runs" -max_len=65536 -timeout=10 -artifact_prefix=build-fuzz/artifacts/ "$seeds"
