#!/usr/bin/env bash
# The main job on a fresh Debian machine (as root), idempotent:
#   install what is missing -> build -> write a multilingual sample corpus from this machine's message
#   catalogs -> index it with the embedded default model -> answer queries in several languages,
#   showing each hit's per-head scores (dense, sparse, multivec).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/deps.sh
scripts/build.sh --target m3
demo=build/demo
mkdir -p "$demo"
[ -s "$demo/sample.jsonl" ] || python3 scripts/make_sample_corpus.py "$demo/sample.jsonl"
# The collection belongs to one model (m3 refuses to mix them): start it afresh when the embedded
# model changed since the last run, e.g. after a git pull.
stamp=$(cat models/m3-default/model.safetensors models/m3-default/*.pt | sha256sum | cut -c1-16)
if [ "$(cat "$demo/model.stamp" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$demo/collection"
  echo "$stamp" >"$demo/model.stamp"
fi
# Resumable: a second run finds the collection complete and only searches.
build/m3 index --corpus "$demo/sample.jsonl" --collection "$demo/collection" --dense HNSW32 --mv-codec fp16
build/m3 info --collection "$demo/collection" | head -12
echo
build/m3 search --collection "$demo/collection" --mode all --k 3 \
  "file not found" \
  "Datei nicht gefunden" \
  "image au format PNG" \
  "сетевое подключение" \
  "圧縮されたアーカイブ" \
  "音频文件" \
  "documento de texto"
echo "Other modes: build/m3 search --collection $demo/collection --mode dense|sparse|multivec|dense+sparse|bm25 QUERY"
