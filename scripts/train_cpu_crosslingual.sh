#!/usr/bin/env bash
# Continues the unified stage of a model on this machine's CPU with the cross-lingual data repeated
# (how the shipped default model got its last two runs, the second with SEED=44 and a 2400 s budget;
# scripts/train_cpu_continue.sh is the plain mix).
# Run from the repository:
#
#   scripts/train_cpu_crosslingual.sh INIT_MODEL OUT_MODEL [BUDGET_S]
#
# Data: the general mix as the FlagEmbedding JSONL files scripts/train_default.sh wrote
# (.device/prep/jsonl, QA_HOLDOUT=10), without its AfriQA file; instead the decontaminated AfriQA sets
# of scripts/make_crosslingual_focus.py (test-set questions removed), question -> passage repeated
# QP_REPEAT times and question -> translation QQ_REPEAT times (each repeat adds another copy of every
# example to the epoch; a batch still holds one dataset only). Same optimiser settings as
# train_cpu_continue.sh: self-distillation from the first step, lr 5e-5, seed 43 (SEED), CPU-sized batches.
# Resume checkpoints go to OUT_MODEL.ckpt every 300 steps.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
init=${1:?usage: scripts/train_cpu_crosslingual.sh INIT_MODEL OUT_MODEL [BUDGET_S]}
out=${2:?usage: scripts/train_cpu_crosslingual.sh INIT_MODEL OUT_MODEL [BUDGET_S]}
budget=${3:-4800}
QP_REPEAT=${QP_REPEAT:-6}
QQ_REPEAT=${QQ_REPEAT:-3}
SEED=${SEED:-43}   # another seed for a second continuation: seed 43 would replay the first one's batches
LR=${LR:-5e-5}
jsonl=.device/prep/jsonl
[ -f "$jsonl/ntrex.jsonl" ] || { echo "no $jsonl: run scripts/train_default.sh first" >&2; exit 1; }
python3 scripts/make_crosslingual_focus.py --out .device/focus
data=()
for f in "$jsonl"/*.jsonl; do [ "$(basename "$f")" = qa-afriqa.jsonl ] || data+=("$f"); done
for _ in $(seq "$QP_REPEAT"); do data+=(.device/focus/xl-afriqa-qp.jsonl); done
for _ in $(seq "$QQ_REPEAT"); do data+=(.device/focus/xl-afriqa-qq.jsonl); done
cmake --build build --target m3 -j"$(nproc)" >/dev/null
build/m3 train --stage unified --data "${data[@]}" --init "$init" --out "$out" --save-dtype bf16 \
  --device cpu --precision bf16 --threads "$(nproc)" \
  --batch-tokens 32768 --max-batch 32 --group-size 8 --query-max-length 64 --passage-max-length 256 \
  --lr "$LR" --warmup-ratio 0.05 --self-distill-start-step -1 --time-budget "$budget" --seed "$SEED" \
  --checkpoint-dir "$out.ckpt" --checkpoint-every 300 --resume --log-every 20 --log-json "$out.curves.jsonl"
