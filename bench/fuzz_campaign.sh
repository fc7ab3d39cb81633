#!/usr/bin/env bash
# Runs bench/fuzz.sh over several targets one after another and prints one table row per target:
#   bench/fuzz_campaign.sh EXECUTIONS MAX_SECONDS [TARGET...]     (all targets when none is named)
# Each target stops at EXECUTIONS runs or MAX_SECONDS, whichever comes first (so a slow target is
# recorded with the count it reached and its exec/s), or at its first finding. Logs go to
# build-fuzz/logs/TARGET.log. Input files go to /dev/shm when it exists (the readers that take a
# path re-read every input from a file; tmpfs keeps that off the disk).
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:?usage: bench/fuzz_campaign.sh EXECUTIONS MAX_SECONDS [TARGET...]}
secs=${2:?usage: bench/fuzz_campaign.sh EXECUTIONS MAX_SECONDS [TARGET...]}
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=($(cd tests/fuzz && ls fuzz_*.cpp | sed -n 's/^fuzz_\(.*\)\.cpp$/\1/p' | grep -vx support))
[ -d /dev/shm ] && export TMPDIR=/dev/shm
mkdir -p build-fuzz/logs
echo "| target | executions | seconds | exec/s | result |"
for t in "${targets[@]}"; do
  log=build-fuzz/logs/$t.log
  bench/fuzz.sh "$t" "$runs" -max_total_time="$secs" >"$log" 2>&1
  rc=$?
  done_line=$(grep -h '^Done' "$log" | tail -1)  # "Done N runs in S second(s)"
  n=$(echo "$done_line" | awk '{print $2}') s=$(echo "$done_line" | awk '{print $5}')
  if [ $rc -eq 0 ]; then result="no finding"; else result="FINDING (exit $rc): $(grep -m1 -E 'SUMMARY|ERROR' "$log")"; n=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#'); fi
  rate=$([ -n "$s" ] && [ "$s" -gt 0 ] && echo $((n / s)) || echo "?")
  echo "| $t | $n | ${s:-?} | $rate | $result |"
done
