#!/usr/bin/env bash
# Load test of `m3 serve` on loopback with wrk (Debian's package): QPS and p50/p99 latency for the
# sparse, dense+sparse and all modes at 1, 4, 16 and 64 connections, for
#   new      this build's asynchronous server (query batching on)
#   nobatch  the same server with --max-batch 1 (the batching gain is new / nobatch at 16 connections)
#   pthreadblas  this server with OpenBLAS's pthread build (what Debian's alternatives pick unless
#            scripts/deps.sh pins the openmp one), all mode at 16 connections, batching on and off
#   allcores this server with --encoder-threads = every core (the default before it became half of
#            them), all mode at 16 connections, batching on and off
#   untuned  --no-batch-tuning (always batch up to --max-batch), all mode at 16 connections
#   onelane  --encoder-lanes 1 (one batch encoded at a time), every mode at 16 connections, batching on and off
#   old      the thread-per-connection server of commit 5245258, when OLD_M3 names its binary
#            (build it with bench/build_old_server.sh), measured in the same run
#
#   bench/http_load.sh [MODEL_DIR] [SECONDS_PER_RUN]          OLD_M3=build-old/m3 to compare
# Uses build/demo/sample.jsonl (scripts/run.sh writes it) indexed into a temporary data directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
model=${1:-}
secs=${2:-5}
old_m3=${OLD_M3:-}
conns=${CONNS:-"1 4 16 64"}
work=$(mktemp -d /tmp/m3load.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p build/demo; [ -s build/demo/sample.jsonl ] || python3 scripts/make_sample_corpus.py build/demo/sample.jsonl >/dev/null
mflag=(); [ -n "$model" ] && mflag=(--model "$model")
build/m3 index --corpus build/demo/sample.jsonl --collection "$work/data/sample" "${mflag[@]}" --dense HNSW32 --quiet --max-length 256
port=18391
serve() {  # $1 binary, then extra serve flags
  local bin=$1; shift
  ${BLAS_DIR:+env LD_LIBRARY_PATH=$BLAS_DIR} "$bin" serve --data "$work/data" --port $port "${mflag[@]}" "$@" 2>/dev/null &
  for _ in $(seq 100); do
    if curl -sf localhost:$port/health >/dev/null; then  # one search first: the collection opens before the load
      curl -sf -X POST localhost:$port/collections/sample/search -d '{"query": "warm up"}' >/dev/null
      return
    fi
    sleep 0.1
  done
  echo "server did not start" >&2; exit 1
}
# Successful responses per second: wrk counts error replies as requests too (the old server answers
# its first concurrent searches with errors while it opens the collection), so they are taken out.
ok_qps() {
  awk '/requests in/ {n = $1; t = $4; sub(/s,?$/, "", t)} /Non-2xx/ {bad = $5} END {printf "%.2f", (n - bad) / t}' "$1"
}
run() {  # $1 mode, $2 connections -> "qps p50 p99"
  M3_MODE=$1 wrk -t1 -c"$2" -d"${secs}s" --latency -s "$root/bench/search_queries.lua" "http://127.0.0.1:$port" > "$work/out.txt"
  local qps p50 p99
  qps=$(ok_qps "$work/out.txt")
  p50=$(awk '$1=="50%" {print $2}' "$work/out.txt")
  p99=$(awk '$1=="99%" {print $2}' "$work/out.txt")
  echo "${qps:-0} ${p50:--} ${p99:--}"
}
declare -A qps_of
measure() {  # $1 label
  for mode in sparse dense+sparse all; do
    for c in $conns; do
      read -r qps p50 p99 < <(run "$mode" "$c")
      printf "%-8s %-13s %5s %10s %10s %10s\n" "$1" "$mode" "$c" "$qps" "$p50" "$p99"
      qps_of["$1 $mode $c"]=$qps
    done
  done
}
echo "cpu: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores"
printf "%-8s %-13s %5s %10s %10s %10s\n" server mode conns QPS p50 p99
serve build/m3 --no-access-log
measure new
echo "tuner after the new run: $(curl -s localhost:$port/metrics | grep '^m3_query_batch_limit')"
kill %1; wait %1 2>/dev/null || true
serve build/m3 --no-access-log --max-batch 1
measure nobatch
kill %1; wait %1 2>/dev/null || true
pthread=/usr/lib/x86_64-linux-gnu/openblas-pthread
if [ -d "$pthread" ]; then
  for flags in "" "--max-batch 1"; do
    BLAS_DIR=$pthread serve build/m3 --no-access-log $flags
    read -r qps p50 p99 < <(run all 16)
    printf "%-8s %-13s %5s %10s %10s %10s  (OpenBLAS pthread build%s)\n" pthreadblas all 16 "$qps" "$p50" "$p99" "${flags:+, $flags}"
    kill %1; wait %1 2>/dev/null || true
  done
fi
for flags in "" "--max-batch 1"; do
  serve build/m3 --no-access-log --encoder-threads "$(nproc)" $flags
  read -r qps p50 p99 < <(run all 16)
  printf "%-8s %-13s %5s %10s %10s %10s  (--encoder-threads %s%s)\n" allcores all 16 "$qps" "$p50" "$p99" "$(nproc)" "${flags:+, $flags}"
  kill %1; wait %1 2>/dev/null || true
done
# One encoder lane (the default before lanes): batching and not, every mode at 16 connections.
for flags in "" "--max-batch 1"; do
  serve build/m3 --no-access-log --encoder-lanes 1 $flags
  for mode in sparse dense+sparse all; do
    read -r qps p50 p99 < <(run "$mode" 16)
    printf "%-8s %-13s %5s %10s %10s %10s  (--encoder-lanes 1%s)\n" onelane "$mode" 16 "$qps" "$p50" "$p99" "${flags:+, $flags}"
    qps_of["onelane${flags:+-nobatch} $mode 16"]=$qps
  done
  kill %1; wait %1 2>/dev/null || true
done
serve build/m3 --no-access-log --no-batch-tuning
read -r qps p50 p99 < <(run all 16)
printf "%-8s %-13s %5s %10s %10s %10s  (--no-batch-tuning)\n" untuned all 16 "$qps" "$p50" "$p99"
kill %1; wait %1 2>/dev/null || true
if [ -n "$old_m3" ]; then
  serve "$old_m3"
  measure old
  kill %1; wait %1 2>/dev/null || true
fi
for mode in sparse dense+sparse all; do
  for c in $conns; do
    line=$(printf "%-13s %3s conns: batching gain %.2fx" "$mode" "$c" "$(awk -v a="${qps_of[new $mode $c]}" -v b="${qps_of[nobatch $mode $c]}" 'BEGIN { print (b > 0 ? a / b : 0) }')")
    [ -n "$old_m3" ] && line+=$(printf ", new/old %.2fx" "$(awk -v a="${qps_of[new $mode $c]}" -v b="${qps_of[old $mode $c]}" 'BEGIN { print (b > 0 ? a / b : 0) }')")
    echo "$line"
  done
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
  echo "$(printf "%-13s" "$mode")  16 conns, one encoder lane: batching gain $(ratio "${qps_of[onelane $mode 16]}" "${qps_of[onelane-nobatch $mode 16]}")x; default lanes vs one lane without batching $(ratio "${qps_of[new $mode 16]}" "${qps_of[onelane-nobatch $mode 16]}")x"
done
