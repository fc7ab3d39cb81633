#!/usr/bin/env bash
# Connection churn and idle connections against `m3 serve` (and, with OLD_M3, the thread-per-connection
# server of commit 5245258 in the same run):
#   1. 10,000 connections opened, one request each, closed: VmSize/VmRSS of the server after the
#      first 1,000 and after all 10,000 (growth after the first 1,000 is what leaks per connection);
#   2. wrk (all mode, 16 connections) alone, then again while 500 idle connections are held open:
#      QPS and p99 with and without the idle ones.
#   bench/http_connections.sh [MODEL_DIR] [SECONDS_PER_RUN]        OLD_M3=build-old/m3 to compare
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
model=${1:-}
secs=${2:-5}
old_m3=${OLD_M3:-}
work=$(mktemp -d /tmp/m3conn.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p build/demo
[ -s build/demo/sample.jsonl ] || python3 scripts/make_sample_corpus.py build/demo/sample.jsonl >/dev/null
mflag=(); [ -n "$model" ] && mflag=(--model "$model")
head -500 build/demo/sample.jsonl > "$work/small.jsonl"
build/m3 index --corpus "$work/small.jsonl" --collection "$work/data/sample" "${mflag[@]}" --quiet
cat > "$work/query.lua" <<'LUA'
request = function()
  return wrk.format("POST", "/collections/sample/search", {["Content-Type"] = "application/json"},
                    '{"query": "file not found", "mode": "all", "k": 10}')
end
LUA
cat > "$work/churn.py" <<'PY'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
req = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(req)
    while s.recv(4096):
        pass
    s.close()
PY
cat > "$work/idle.py" <<'PY'
import socket, sys, time
port, n, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
print("holding", len(socks), flush=True)
time.sleep(hold)
PY
port=18392
vm() { awk '/^VmSize|^VmRSS/ {printf "%s %.1f MB  ", $1, $2/1024}' /proc/"$1"/status; }
threads() { ls /proc/"$1"/task | wc -l; }
wrk_run() {
  wrk -t1 -c16 -d"${secs}s" --latency -s "$work/query.lua" "http://127.0.0.1:$port" > "$work/out.txt"
  # successful responses per second (wrk counts error replies as requests too), and the errors
  printf "QPS %s  p99 %s  errors %s" \
    "$(awk '/requests in/ {n = $1; t = $4; sub(/s,?$/, "", t)} /Non-2xx/ {bad = $5} END {printf "%.2f", (n - bad) / t}' "$work/out.txt")" \
    "$(awk '$1=="99%" {print $2}' "$work/out.txt")" "$(awk '/Non-2xx/ {bad = $5} /Socket errors/ {print} END {print bad + 0}' "$work/out.txt" | tr '\n' ' ')"
}
bench() {  # $1 label, $2 binary, extra flags
  local label=$1 bin=$2; shift 2
  "$bin" serve --data "$work/data" --port $port "${mflag[@]}" "$@" 2>/dev/null &
  local pid=$!
  for _ in $(seq 100); do curl -sf localhost:$port/health >/dev/null && break; sleep 0.1; done
  curl -sf -X POST localhost:$port/collections/sample/search -d '{"query": "warm up"}' >/dev/null  # opens the collection
  echo "[$label] start:          $(vm $pid) threads $(threads $pid)"
  python3 "$work/churn.py" $port 1000
  echo "[$label] after 1,000:    $(vm $pid) threads $(threads $pid)"
  python3 "$work/churn.py" $port 9000
  echo "[$label] after 10,000:   $(vm $pid) threads $(threads $pid)"
  echo "[$label] wrk alone:      $(wrk_run)"
  python3 "$work/idle.py" $port 500 $((secs + 10)) > "$work/idle.txt" &
  local idle=$!
  for _ in $(seq 100); do grep -q holding "$work/idle.txt" 2>/dev/null && break; sleep 0.1; done
  echo "[$label] 500 idle held:  $(vm $pid) threads $(threads $pid)"
  echo "[$label] wrk + 500 idle: $(wrk_run)"
  kill $idle 2>/dev/null || true; wait $idle 2>/dev/null || true
  kill $pid; wait $pid 2>/dev/null || true
}
echo "cpu: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores"
bench new build/m3 --no-access-log --idle-timeout-ms 600000
[ -n "$old_m3" ] && bench old "$old_m3"
exit 0
