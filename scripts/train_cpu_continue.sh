#!/usr/bin/env bash
# Continues the unified stage of a model on this machine's CPU in bf16 (how the shipped default model
# got 1,061 steps after the GPU run of scripts/device_train.sh; its last run was
# scripts/train_cpu_crosslingual.sh). Run from the repository:
#
#   scripts/train_cpu_continue.sh INIT_MODEL OUT_MODEL [BUDGET_S]
#
# e.g. scripts/train_cpu_continue.sh /tmp/m3-gpu/m3-default /tmp/m3-cont 4800   (80 min on 2 cores)
# Data: the token ids scripts/train_default.sh prepared (.device/gpu/data/train.tok.xz, unpacked to
# /tmp/m3-train.tok). The stage is the paper's unified training with self-knowledge distillation from
# the first step (the plain-loss warm-up was done in the GPU run), a lower peak learning rate for a
# continuation, another data order (seed 43), and CPU-sized batches (32,768 padded tokens, 32 queries at
# most, each with 1 positive + 7 negatives). `--precision bf16` on the CPU runs the matmuls through
# oneDNN's bf16 kernels (AMX here; bench/train_bench.sh measures the gain). Resume checkpoints go to
# OUT_MODEL.ckpt every 300 steps: re-running the same command after an interruption continues there.
# Afterwards: scripts/fit_fusion_weights.py --model OUT_MODEL --write, then m3 eval --preset dev.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
init=${1:?usage: scripts/train_cpu_continue.sh INIT_MODEL OUT_MODEL [BUDGET_S]}
out=${2:?usage: scripts/train_cpu_continue.sh INIT_MODEL OUT_MODEL [BUDGET_S]}
budget=${3:-4800}
data=${DATA:-/tmp/m3-train.tok}
if [ ! -s "$data" ]; then
  [ -f .device/gpu/data/train.tok.xz ] || { echo "no token ids: run scripts/train_default.sh first" >&2; exit 1; }
  xz -dc .device/gpu/data/train.tok.xz >"$data.part" && mv "$data.part" "$data"
fi
cmake --build build --target m3 -j"$(nproc)" >/dev/null
build/m3 train --stage unified --data "$data" --init "$init" --out "$out" --save-dtype bf16 \
  --device cpu --precision bf16 --threads "$(nproc)" \
  --batch-tokens 32768 --max-batch 32 --group-size 8 --query-max-length 64 --passage-max-length 256 \
  --lr 5e-5 --warmup-ratio 0.05 --self-distill-start-step -1 --time-budget "$budget" --seed 43 \
  --checkpoint-dir "$out.ckpt" --checkpoint-every 300 --resume --log-every 20 --log-json "$out.curves.jsonl"
