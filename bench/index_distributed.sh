#!/usr/bin/env bash
# Bulk indexing as a distributed job (scripts/index_distributed.py, Dask LocalCluster): documents/s
# with 1, 2 and 4 worker processes, one shard per worker, the machine's cores split between them
# (m3 index --threads = max(1, cores / workers)), on build/demo/sample.jsonl (scripts/make_sample_corpus.py).
#   bench/index_distributed.sh [M3] [CORPUS] [MODEL_DIR]          WORKERS="1 2 4" to change the counts
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
m3=${1:-$root/build/m3}
corpus=${2:-$root/build/demo/sample.jsonl}
model=${3:-}
workers=${WORKERS:-"1 2 4"}
[ -s "$corpus" ] || { mkdir -p "$(dirname "$corpus")"; python3 "$root/scripts/make_sample_corpus.py" "$corpus" >/dev/null; }
work=$(mktemp -d /tmp/m3dist.XXXXXX)
trap 'rm -rf "$work"' EXIT
cores=$(nproc)
extra=(--max-length 256); [ -n "$model" ] && extra+=(--model "$model")
echo "cpu: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $cores cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "corpus: $corpus ($(wc -l < "$corpus") documents)"
printf "%-8s %-8s %-14s %10s %10s\n" workers shards threads/task seconds docs/s
for w in $workers; do
  t=$(( cores / w )); (( t < 1 )) && t=1
  out=$(/usr/bin/python3 "$root/scripts/index_distributed.py" --m3 "$m3" --corpus "$corpus" --out "$work/w$w" \
        --shards "$w" --workers "$w" --threads-per-task "$t" -- "${extra[@]}" 2>/dev/null | tail -1)
  secs=$(echo "$out" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
  dps=$(echo "$out" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["docs_per_s"])')
  printf "%-8s %-8s %-14s %10s %10s\n" "$w" "$w" "$t" "$secs" "$dps"
  rm -rf "$work/w$w"
done
