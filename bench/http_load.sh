#!/usr/bin/env bash
# Load test of `m3 serve` on loopback with wrk (Debian's package): QPS and p50/p99 latency for the
# sparse, dense+sparse and all modes at 1, 4 and 16 connections, then the gain from query batching
# measured in the same run (all at 16 connections with batching off: --max-batch 1).
#
#   bench/http_load.sh [MODEL_DIR] [SECONDS_PER_RUN]
# Uses build/demo/sample.jsonl (scripts/run.sh writes it) indexed into a temporary data directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
model=${1:-}
secs=${2:-5}
work=$(mktemp -d /tmp/m3load.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
[ -s build/demo/sample.jsonl ] || python3 scripts/make_sample_corpus.py build/demo/sample.jsonl >/dev/null
mflag=(); [ -n "$model" ] && mflag=(--model "$model")
build/m3 index --corpus build/demo/sample.jsonl --out "$work/data/sample" "${mflag[@]}" --dense HNSW32 --quiet --max-length 256
cat > "$work/queries.lua" <<'LUA'
local queries = {"file not found", "Datei nicht gefunden", "image au format PNG", "сетевое подключение",
                 "圧縮されたアーカイブ", "音频文件", "documento de texto", "network connection failed"}
local mode = os.getenv("M3_MODE")
local i = 0
request = function()
  i = i + 1
  local body = string.format('{"query": "%s", "mode": "%s", "k": 10}', queries[(i % #queries) + 1], mode)
  return wrk.format("POST", "/collections/sample/search", {["Content-Type"] = "application/json"}, body)
end
LUA
port=18391
serve() {  # $@: extra serve flags
  build/m3 serve --data "$work/data" --port $port "${mflag[@]}" "$@" 2>/dev/null &
  for _ in $(seq 50); do curl -sf localhost:$port/health >/dev/null && return; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}
run() {  # $1 mode, $2 connections -> "qps p50 p99"
  M3_MODE=$1 wrk -t1 -c"$2" -d"${secs}s" --latency -s "$work/queries.lua" "http://127.0.0.1:$port" > "$work/out.txt"
  local qps p50 p99
  qps=$(awk '/Requests\/sec/ {print $2}' "$work/out.txt")
  p50=$(awk '$1=="50%" {print $2}' "$work/out.txt")
  p99=$(awk '$1=="99%" {print $2}' "$work/out.txt")
  echo "$qps $p50 $p99"
}
serve
printf "%-13s %5s %10s %10s %10s\n" mode conns QPS p50 p99
for mode in sparse dense+sparse all; do
  for c in 1 4 16; do
    read -r qps p50 p99 < <(run "$mode" "$c")
    printf "%-13s %5s %10s %10s %10s\n" "$mode" "$c" "$qps" "$p50" "$p99"
    [ "$mode" = all ] && [ "$c" = 16 ] && batched=$qps
  done
done
kill %1; wait %1 2>/dev/null || true
serve --max-batch 1
read -r qps p50 p99 < <(run all 16)
printf "%-13s %5s %10s %10s %10s   (query batching off)\n" all 16 "$qps" "$p50" "$p99"
awk -v a="$batched" -v b="$qps" 'BEGIN { printf "query batching gain (all, 16 connections): %.2fx QPS\n", a / b }'
