#!/usr/bin/env bash
# Continues the unified stage of a model on this machine's CPU with the full training mix of
# `m3 train-prep` — including the parallel sets added for cross-lingual retrieval (PUD, the Chinese and
# English Bibles aligned by verse with the seven bible-corpus New Testaments, CLDR names) and the QA
# sets JaQuAD, PIAF and FacQA — with 10 % of every QA file's paragraphs held out for fitting the fusion
# weights (scripts/fit_fusion_weights.py --holdout-percent 10 --sets new). Run from the repository:
#
#   scripts/train_cpu_parallel.sh INIT_MODEL OUT_MODEL [BUDGET_S]
#
# Same optimiser settings as scripts/train_cpu_continue.sh (self-distillation from the first step,
# lr 5e-5, CPU-sized batches); SEED defaults to 45 (43 and 44 were the earlier continuations' orders).
# Resume checkpoints go to OUT_MODEL.ckpt every 300 steps.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
init=${1:?usage: scripts/train_cpu_parallel.sh INIT_MODEL OUT_MODEL [BUDGET_S]}
out=${2:?usage: scripts/train_cpu_parallel.sh INIT_MODEL OUT_MODEL [BUDGET_S]}
budget=${3:-2700}
SEED=${SEED:-45}
LR=${LR:-5e-5}
prep=.device/prep
cmake --build build --target m3 -j"$(nproc)" >/dev/null
if [ ! -f "$prep/jsonl/pud.jsonl" ]; then
  build/m3 train-prep --data-root ../shared/data/train --out "$prep" --tokenizer "$init/sentencepiece.bpe.model" \
    --jsonl --qa-holdout-percent 10 --threads "$(nproc)"
fi
build/m3 train --stage unified --data "$prep"/jsonl/*.jsonl --init "$init" --out "$out" --save-dtype bf16 \
  --device cpu --precision bf16 --threads "$(nproc)" \
  --batch-tokens 32768 --max-batch 32 --group-size 8 --query-max-length 64 --passage-max-length 256 \
  --lr "$LR" --warmup-ratio 0.05 --self-distill-start-step -1 --time-budget "$budget" --seed "$SEED" \
  --checkpoint-dir "$out.ckpt" --checkpoint-every 300 --resume --log-every 20 --log-json "$out.curves.jsonl"
