#!/usr/bin/env bash
# Trainer throughput on this machine's CPU: fp32 against bf16 autocast (oneDNN bf16 matmuls, AMX /
# AVX-512-BF16 where the CPU has them), one after the other in the same run, same data, same model.
#
#   bench/train_bench.sh DATA.tok [SECONDS_EACH] [STAGE] [MODEL_DIR]
# DATA.tok: token ids from `m3 train-prep` (scripts/train_default.sh writes them); STAGE: pairs | unified
# (default unified: group 1 + 7 negatives, all three heads, self-distillation); MODEL_DIR: the model to
# continue from (default models/m3-default). Prints tokens/s of each and the ratio bf16 / fp32.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${1:?usage: bench/train_bench.sh DATA.tok [SECONDS_EACH] [STAGE] [MODEL_DIR]}
secs=${2:-60}
stage=${3:-unified}
model=${4:-$root/models/m3-default}
m3=${M3:-$root/build/m3}
work=$(mktemp -d /tmp/m3trainbench.XXXXXX)
trap 'rm -rf "$work"' EXIT
run() {  # precision -> tokens/s (the trainer's final line)
  "$m3" train --stage "$stage" --data "$data" --init "$model" --out "$work/$1" --device cpu --precision "$1" \
    --batch-tokens 16384 --max-batch 16 --group-size 8 --query-max-length 64 --passage-max-length 128 --lr 5e-5 \
    --time-budget "$secs" --seed 1 --log-every 1000 >"$work/$1.log" 2>&1 || { cat "$work/$1.log" >&2; exit 1; }
  grep -oE '[0-9]+ tok/s; model written' "$work/$1.log" | grep -oE '^[0-9]+'
}
f32=$(run fp32)
bf16=$(run bf16)
echo "stage $stage, ${secs}s each, $(nproc) threads: fp32 $f32 tok/s, bf16 $bf16 tok/s, bf16/fp32 $(python3 -c "print(f'{$bf16/$f32:.2f}')")x"
