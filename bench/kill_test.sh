#!/usr/bin/env bash
# SIGKILL at random instants, many times, against real m3 processes; after every kill the collection
# must open and hold exactly a whole state (no document lost, none half-written, none twice):
#   index   `m3 index --commit-every 20` over a 200-document corpus, killed, re-run (every 10th run is
#           left to finish); when a run finishes, every corpus document is there exactly once
#   add     `m3 add` of 10 new documents (every 10th left to finish) or `m3 delete` of 5: after a kill
#           the count moved by the whole operation or not at all; an operation that exited 0 is there
#   serve   `m3 serve` taking POST documents (10 per request) + commit from a client; killed, restarted:
#           every commit the client saw acknowledged is there, and nothing half of one
#
#   bench/kill_test.sh [RUNS_PER_PHASE]        (default 100; about 2.5 SIGKILLs per 3 runs, see README)
# Prints a line per phase: kills, finished runs/operations, violations (must be 0). Exit 1 on any.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
kills=${1:-100}
work=$(mktemp -d /tmp/m3kill.XXXXXX)
cp build/m3 "$work/m3"  # a private copy: a rebuild during the run does not swap the binary under it
m3=$work/m3
export M3_MODEL=${M3_MODEL:-$root/models/m3-default}
trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
violations=0
fail() { echo "VIOLATION: $*" >&2; violations=$((violations + 1)); }
docs_of() {  # the collection's live documents, or ERR (and m3's message on stderr) if it does not open
  local out
  if out=$($m3 info --collection "$1" --json 2>"$work/info.err"); then
    python3 -c 'import json,sys; print(json.loads(sys.argv[1])["documents"])' "$out"
  else
    echo "m3 info: $(cat "$work/info.err")" >&2
    echo ERR
  fi
}
rand_ms() { echo $(( (RANDOM % $1) + ${2:-0} )); }
total_kills=0
kill_after() {  # $1 pid, $2 ms: SIGKILL after that long unless it ended; 0 if it ended on its own
  sleep "$(awk -v m="$2" 'BEGIN { printf "%.3f", m / 1000 }')"
  if kill -0 "$1" 2>/dev/null; then kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; total_kills=$((total_kills + 1)); return 1; fi
  wait "$1"; return 0
}
mkdir -p build/demo; [ -s build/demo/sample.jsonl ] || python3 scripts/make_sample_corpus.py build/demo/sample.jsonl >/dev/null
head -200 build/demo/sample.jsonl > "$work/corpus.jsonl"
n_corpus=$(wc -l < "$work/corpus.jsonl")

# --- index ---
finished=0
for ((i = 0; i < kills; i++)); do
  $m3 index --corpus "$work/corpus.jsonl" --collection "$work/idx" --commit-every 20 --dense Flat --quiet >/dev/null 2>&1 &
  pid=$!
  if ((i % 10 == 9)); then wait $pid; ended=$?; else kill_after $pid "$(rand_ms 2500 200)"; ended=$?; fi
  if ((ended == 0)); then  # every 10th run is left to finish: the resumed index must then be whole
    finished=$((finished + 1))
    d=$(docs_of "$work/idx")
    [ "$d" = "$n_corpus" ] || fail "index: finished with $d documents of $n_corpus"
    rm -rf "$work/idx"
    continue
  fi
  if [ -d "$work/idx" ]; then
    d=$(docs_of "$work/idx")
    { [ "$d" != ERR ] && [ "$d" -le "$n_corpus" ]; } || fail "index: after kill $i: documents '$d'"
  fi
done
echo "index: $kills runs, $finished finished, SIGKILLs so far $total_kills, violations so far $violations"

# --- add / delete ---
$m3 index --corpus "$work/corpus.jsonl" --collection "$work/ad" --commit-every 1000 --dense Flat --quiet >/dev/null 2>&1
count=$(docs_of "$work/ad")
ok_ops=0
for ((i = 0; i < kills; i++)); do
  if ((i % 3 == 2)); then  # delete 5 documents that an earlier add created (they exist unless that add was undone)
    ids=()
    for j in 0 1 2 3 4; do ids+=("k$((i - 2))-$j"); done
    $m3 delete --collection "$work/ad" "${ids[@]}" >/dev/null 2>&1 &
  else
    python3 -c "import json,sys; [print(json.dumps({'docid': f'k$i-{j}', 'text': f'kill test document $i {j} of the add phase'})) for j in range(10)]" > "$work/add.jsonl"
    $m3 add --collection "$work/ad" --corpus "$work/add.jsonl" >/dev/null 2>&1 &
  fi
  pid=$!
  if ((i % 10 == 9 && i % 3 != 2)); then wait $pid; rc=$?; ((rc == 0)) || fail "add: op $i, left to finish, exited $rc"; else kill_after $pid "$(rand_ms 1500 200)"; rc=$?; fi
  now=$(docs_of "$work/ad")
  [ "$now" = ERR ] && { fail "add: collection does not open after op $i"; continue; }
  delta=$((now - count))
  if ((i % 3 == 2)); then allowed="0 -5"; else allowed="0 10"; fi
  [[ " $allowed " == *" $delta "* ]] || fail "add: op $i moved the count by $delta (allowed: $allowed)"
  ((rc == 0)) && { ok_ops=$((ok_ops + 1)); [ "$delta" != 0 ] || ((i % 3 == 2)) || fail "add: op $i exited 0 but added nothing"; }
  count=$now
done
echo "add/delete: $kills operations, $ok_ops finished, SIGKILLs so far $total_kills, violations so far $violations"

# --- serve ---
mkdir -p "$work/data"
$m3 index --corpus "$work/corpus.jsonl" --collection "$work/data/s" --commit-every 1000 --dense Flat --quiet >/dev/null 2>&1
port=18431
acked=$(docs_of "$work/data/s")
for ((i = 0; i < kills; i++)); do
  $m3 serve --data "$work/data" --port $port --no-access-log >/dev/null 2>&1 &
  spid=$!
  for _ in $(seq 100); do curl -sf localhost:$port/health >/dev/null && break; sleep 0.05; done
  (  # the client: batches of 10 documents, each followed by a commit; prints the batch number once acknowledged
    b=0
    while true; do
      body=$(python3 -c "import json; print(json.dumps({'documents': [{'docid': f's$i-$b-{j}', 'text': f'served document $i $b {j}'} for j in range(10)]}))")
      curl -sf -X POST localhost:$port/collections/s/documents -H 'Content-Type: application/json' -d "$body" >/dev/null || exit 0
      curl -sf -X POST localhost:$port/collections/s/commit >/dev/null || exit 0
      echo "$b"; b=$((b + 1))
    done
  ) > "$work/acks" &
  cpid=$!
  kill_after $spid "$(rand_ms 1500 500)" >/dev/null || true
  wait $cpid 2>/dev/null
  n_acked=$(wc -l < "$work/acks")
  now=$(docs_of "$work/data/s")
  [ "$now" = ERR ] && { fail "serve: collection does not open after kill $i"; continue; }
  delta=$((now - acked))
  { ((delta == 10 * n_acked)) || ((delta == 10 * n_acked + 10)); } ||
    fail "serve: kill $i: $n_acked commits acknowledged, count moved by $delta"
  acked=$now
done
echo "serve: $kills server runs, SIGKILLs so far $total_kills, violations so far $violations"
echo "total: $total_kills SIGKILLs, $violations violations"
((violations == 0))
