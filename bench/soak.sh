#!/usr/bin/env bash
# Soak test of `m3 serve`: SECONDS of mixed load on one server process — wrk searching in every mode
# (sparse, dense+sparse, all, in turn, a minute each, 16 connections) while a writer upserts 10 documents
# (500 docids in a cycle, so the collection stays the same size and replaced rows pile up as tombstones
# for merges to drop) and commits every 2 s, and a scraper reads /metrics every 10 s — sampling the server's RSS, VmSize,
# threads and open file descriptors every 10 s. Prints one line per minute (QPS, p99, errors, RSS)
# and a summary: RSS growth after the first minute, error replies, p99 first vs last minute.
#
#   bench/soak.sh [SECONDS]         (default 1800 = 30 minutes)   M3_SOAK_OUT=file.tsv keeps the samples
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
secs=${1:-1800}
work=$(mktemp -d /tmp/m3soak.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p build/demo; [ -s build/demo/sample.jsonl ] || python3 scripts/make_sample_corpus.py build/demo/sample.jsonl >/dev/null
build/m3 index --corpus build/demo/sample.jsonl --collection "$work/data/sample" --dense HNSW32 --quiet --max-length 256
port=18395
build/m3 serve --data "$work/data" --port $port --no-access-log 2>"$work/serve.log" &
spid=$!
for _ in $(seq 100); do curl -sf localhost:$port/health >/dev/null && break; sleep 0.1; done
curl -sf -X POST localhost:$port/collections/sample/search -d '{"query": "warm up"}' >/dev/null
( b=0; while true; do  # the writer
    body=$(python3 -c "import json; print(json.dumps({'documents': [{'docid': f'soak-$((b % 50))-{j}', 'text': f'soak document $b {j}', 'metadata': {'batch': $b}} for j in range(10)]}))")
    curl -s -o /dev/null -w '%{http_code}\n' -X POST localhost:$port/collections/sample/documents -d "$body" >> "$work/writes"
    curl -s -o /dev/null -w '%{http_code}\n' -X POST localhost:$port/collections/sample/commit >> "$work/writes"
    b=$((b + 1)); sleep 2
  done ) &
( while true; do  # the sampler (and scraper)
    curl -s -o /dev/null localhost:$port/metrics
    awk -v t="$(date +%s)" '/^VmRSS/ {r = $2} /^VmSize/ {v = $2} /^Threads/ {th = $2} /^RssAnon/ {a = $2} /^RssFile/ {f = $2}
      END {printf "%s\t%d\t%d\t%d\t%d\t%d", t, r / 1024, v / 1024, th, a / 1024, f / 1024}' /proc/$spid/status
    printf "\t%d\n" "$(ls /proc/$spid/fd | wc -l)"  # columns: time RSS VmSize threads RssAnon RssFile fds
    sleep 10
  done ) > "$work/samples" &
modes=(sparse dense+sparse all)
printf "%-6s %-13s %9s %10s %7s %9s\n" minute mode QPS p99 errors RSS_MB
start=$(date +%s)
minute=0
first_p99="" last_p99="" errors=0
while (( $(date +%s) - start < secs )); do
  mode=${modes[$((minute % 3))]}
  left=$(( secs - ($(date +%s) - start) )); d=$(( left < 60 ? left : 60 ))
  (( d < 5 )) && break
  M3_MODE=$mode wrk -t1 -c16 -d"${d}s" --latency -s "$root/bench/search_queries.lua" "http://127.0.0.1:$port" > "$work/wrk"
  qps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk")
  p99=$(awk '$1=="99%" {print $2}' "$work/wrk")
  bad=$(awk '/Non-2xx/ {n += $5} /Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$work/wrk")
  errors=$((errors + bad))
  rss=$(awk '/^VmRSS/ {print int($2 / 1024)}' /proc/$spid/status)
  printf "%-6s %-13s %9s %10s %7s %9s\n" "$minute" "$mode" "$qps" "$p99" "$bad" "$rss"
  [ -z "$first_p99" ] && first_p99="$mode $p99"
  last_p99="$mode $p99"
  minute=$((minute + 1))
done
kill -0 $spid 2>/dev/null || { echo "the server died"; exit 1; }
[ -n "${M3_SOAK_OUT:-}" ] && cp "$work/samples" "$M3_SOAK_OUT"
bad_writes=$(grep -vc '^2' "$work/writes" || true)
awk -v w="$(wc -l < "$work/writes")" -v bw="$bad_writes" -v e="$errors" -v f="$first_p99" -v l="$last_p99" '
  NR == 7 {r1 = $2; v1 = $3}   # one minute in
  NR == 31 {r5 = $2; a5 = $5}  # five minutes in: caches warm, every worker thread started
  {r = $2; v = $3; th = $4; a = $5; fb = $6; fd = $7; if ($2 > rmax) rmax = $2}
  END {
    printf "RSS %d MB after 1 min, %d MB after 5 min -> %d MB at the end (%+.1f %% since 5 min; max %d); anonymous %d -> %d MB, file-backed %d MB; VmSize %d -> %d MB, threads %d, fds %d\n",
           r1, r5, r, (r5 ? (r - r5) * 100.0 / r5 : 0), rmax, a5, a, fb, v1, v, th, fd
    printf "search error replies %d; write requests %d, not 2xx: %d; p99 first minute (%s) vs last (%s)\n", e, w, bw, f, l
  }' "$work/samples"
