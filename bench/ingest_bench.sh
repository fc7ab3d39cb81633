#!/usr/bin/env bash
# Bulk-indexing speed: docs/s for a 100k-passage corpus and the share of wall time spent outside the
# encoder's forward passes (target < 10%), with the embedded default model.
#
#   bench/ingest_bench.sh [N_PASSAGES] [EXTRA m3 index FLAGS...]
# The corpus is built at run time from ../shared/data/train/parallel/ntrex128 (two consecutive
# sentences of one language per passage; nothing is copied into the repository).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
n=${1:-100000}; shift || true
work=$(mktemp -d /tmp/m3ingest.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 - "$n" "$work/corpus.jsonl" <<'PY'
import glob, gzip, json, sys
n, out = int(sys.argv[1]), sys.argv[2]
files = sorted(glob.glob("../shared/data/train/parallel/ntrex128/newstest2019-*.txt.gz"))
if not files:
    sys.exit("../shared/data/train/parallel/ntrex128 not found")
docs = 0
with open(out, "w", encoding="utf-8") as f:
    while docs < n:
        for path in files:
            lang = path.split(".")[-3]
            lines = gzip.open(path, "rt", encoding="utf-8").read().split("\n")
            for i in range(0, len(lines) - 1, 2):
                f.write(json.dumps({"docid": f"{lang}-{i}-{docs}", "title": "", "text": lines[i] + " " + lines[i + 1]},
                                   ensure_ascii=False) + "\n")
                docs += 1
                if docs >= n:
                    break
            if docs >= n:
                break
print(f"corpus: {docs} passages")
PY
build/m3 index --corpus "$work/corpus.jsonl" --collection "$work/col" --quiet "$@"
