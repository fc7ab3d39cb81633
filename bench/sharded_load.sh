#!/usr/bin/env bash
# Sharded serving on loopback (README "Sharding"): QPS and p50/p99 latency with wrk through a
# coordinator (m3 serve --shard-map) over 1, 2 and 4 shard servers, each shard one `m3 serve`
# process, the cores' encoder threads split between them (one encoder lane each); plus the unsharded server
# for reference.
# Modes: dense (one round to the shards) and all (shard statistics, round 1b for BM25 when the model's
# weights give it a say, as the default model's do, then the search).
#   bench/sharded_load.sh [M3] [CORPUS] [MODEL_DIR] [SECONDS]      SHARDS="1 2 4" CONNS=4 MODES="dense all"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
m3=${1:-$root/build/m3}
corpus=${2:-$root/build/demo/sample.jsonl}
model=${3:-}
secs=${4:-10}
shards_list=${SHARDS:-"1 2 4"}
conns=${CONNS:-4}
modes=${MODES:-"dense all"}
[ -s "$corpus" ] || { mkdir -p "$(dirname "$corpus")"; python3 "$root/scripts/make_sample_corpus.py" "$corpus" >/dev/null; }
work=$(mktemp -d /tmp/m3shload.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
cores=$(nproc)
mflag=(); [ -n "$model" ] && mflag=(--model "$model")
port=18500
serve() {  # $1 port, then serve flags; waits until healthy
  local p=$1; shift
  "$m3" serve --port "$p" --no-access-log "$@" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 300); do curl -sf "localhost:$p/health" >/dev/null && return; sleep 0.1; done
  echo "server on $p did not start" >&2; exit 1
}
run() {  # $1 url, $2 mode -> "qps p50 p99"
  curl -sf -X POST "$1/collections/sample/search" -d "{\"query\": \"warm up\", \"mode\": \"$2\"}" >/dev/null
  M3_MODE=$2 wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$root/bench/search_queries.lua" "$1" > "$work/out.txt"
  awk '/requests in/ {n = $1; t = $4; sub(/s,?$/, "", t)} /Non-2xx/ {bad = $5}
       $1=="50%" {p50 = $2} $1=="99%" {p99 = $2} END {printf "%.1f %s %s\n", (n - bad) / t, p50, p99}' "$work/out.txt"
}
echo "cpu: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $cores cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "corpus: $corpus ($(wc -l < "$corpus") documents), wrk -c$conns -d${secs}s"
printf "%-12s %-6s %-6s %10s %10s %10s\n" setup shards mode QPS p50 p99
mkdir -p "$work/whole"
"$m3" index --corpus "$corpus" --collection "$work/whole/sample" "${mflag[@]}" --quiet --max-length 256 2>/dev/null
serve $port --data "$work/whole" "${mflag[@]}" --encoder-threads "$cores" --encoder-lanes 1
for mode in $modes; do read -r q p50 p99 < <(run "http://127.0.0.1:$port" "$mode"); printf "%-12s %-6s %-6s %10s %10s %10s\n" unsharded - "$mode" "$q" "$p50" "$p99"; done
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
for n in $shards_list; do
  t=$(( cores / n )); (( t < 1 )) && t=1
  map="{\"sample\": ["
  for i in $(seq 0 $((n - 1))); do
    mkdir -p "$work/s$n-$i"
    "$m3" index --corpus "$corpus" --collection "$work/s$n-$i/sample" --shard "$i/$n" "${mflag[@]}" --quiet --max-length 256 2>/dev/null
    serve $((port + 1 + i)) --data "$work/s$n-$i" "${mflag[@]}" --encoder-threads "$t" --encoder-lanes 1
    sep=","; [ "$i" -eq 0 ] && sep=""
    map+="$sep[\"http://127.0.0.1:$((port + 1 + i))\"]"
  done
  echo "$map]}" > "$work/map$n.json"
  mkdir -p "$work/empty"
  serve $port --data "$work/empty" --shard-map "$work/map$n.json" --require-all-shards
  for mode in $modes; do read -r q p50 p99 < <(run "http://127.0.0.1:$port" "$mode"); printf "%-12s %-6s %-6s %10s %10s %10s\n" coordinator "$n" "$mode" "$q" "$p50" "$p99"; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
  rm -rf "$work"/s$n-*
done
