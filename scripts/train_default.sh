#!/usr/bin/env bash
# The default model's recipe, host side. Run here from anywhere in the repository:
#
#   scripts/train_default.sh            # (i) prepare .device/gpu/ for scripts/device_train.sh
#   RUN=cpu BUDGET_S=1500 scripts/train_default.sh   # also train here on the CPU (the fallback model)
#
# (i) builds m3 (host build), trains the SentencePiece vocabulary on the training sets that may train
# a shipped model (../shared/data/train, Decision 8), tokenises them, and writes what the GPU machine
# needs into .device/gpu/ (ignored by git, carried by the device tool):
#     .device/gpu/data/train.tok.xz            token ids of every text and example (xz: the carry limit is 64 MiB)
#     .device/gpu/data/sentencepiece.bpe.model the vocabulary
#     .device/gpu/third_party/include/         nlohmann/json and CLI11 headers (the GPU image lacks them)
# Host-only intermediates stay in .device/prep/. Steps that are done are not redone.
# (ii) with RUN=cpu, runs scripts/device_train.sh on this CPU with the host build and the given budget.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"

DATA_ROOT=${DATA_ROOT:-$PWD/../shared/data/train}
BUILD=${BUILD:-build}
VOCAB=${VOCAB:-24000}
THREADS=${THREADS:-2}
QA_HOLDOUT=${QA_HOLDOUT:-10}   # % of QA paragraphs kept out of training, for fit_fusion_weights.py --holdout-percent
PREP=.device/prep
GPU_DIR=.device/gpu

echo "== building $BUILD/m3"
cmake --build "$BUILD" --target m3 -j"$THREADS" >/dev/null

mkdir -p "$PREP" "$GPU_DIR/data" "$GPU_DIR/third_party/include"
if [ ! -f "$PREP/sentencepiece.bpe.model" ]; then
  echo "== training a $VOCAB-piece vocabulary and tokenising (several minutes on 2 cores)"
  "$BUILD/m3" train-prep --data-root "$DATA_ROOT" --out "$PREP" --train-vocab "$VOCAB" --threads "$THREADS" --jsonl \
    --qa-holdout-percent "$QA_HOLDOUT"
elif [ ! -f "$PREP/train.tok" ]; then
  echo "== tokenising with the existing vocabulary"
  "$BUILD/m3" train-prep --data-root "$DATA_ROOT" --out "$PREP" --tokenizer "$PREP/sentencepiece.bpe.model" --jsonl \
    --qa-holdout-percent "$QA_HOLDOUT"
fi

if [ ! -f "$GPU_DIR/data/train.tok.xz" ] || [ "$PREP/train.tok" -nt "$GPU_DIR/data/train.tok.xz" ]; then
  echo "== compressing the token ids"
  xz -T"$THREADS" -6 -c "$PREP/train.tok" >"$GPU_DIR/data/train.tok.xz.tmp"
  mv "$GPU_DIR/data/train.tok.xz.tmp" "$GPU_DIR/data/train.tok.xz"
fi
cp "$PREP/sentencepiece.bpe.model" "$GPU_DIR/data/"
for h in nlohmann CLI; do
  [ -d "$GPU_DIR/third_party/include/$h" ] || cp -r "/usr/include/$h" "$GPU_DIR/third_party/include/"
done
echo "== $GPU_DIR: $(du -sh "$GPU_DIR" | cut -f1) to carry"
du -ah "$GPU_DIR/data"

if [ "${RUN:-}" = cpu ]; then
  DEVICE=cpu M3="$PWD/$BUILD/m3" OUT="${OUT:-$PWD/.device/cpu-run}" WORK="${WORK:-$PWD/.device/cpu-work}" \
    GPU_DIR="$GPU_DIR" BUDGET_S="${BUDGET_S:-60}" bash scripts/device_train.sh
else
  cat <<EOF
On the GPU machine (device tool), from the repository root, carrying .device/gpu:
  run(command="bash scripts/device_train.sh", carry=[".device/gpu"], timeout_s=600)
(device_train.sh writes to \$OUT when it is set; the whole script keeps within TOTAL_S=560 s.)
EOF
fi
