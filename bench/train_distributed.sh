#!/usr/bin/env bash
# Data-parallel trainer throughput on this machine's CPU: the same global batches trained by one
# process with all cores, then by W=2 processes (scripts/train_distributed.sh) with the cores split
# between them, one after the other in the same run. Tokens/s are whole-batch figures (all ranks).
#
#   bench/train_distributed.sh DATA.tok [STEPS] [STAGE] [MODEL_DIR]
# DATA.tok: token ids from `m3 train-prep`; STEPS (default 30) per run; STAGE: pairs | unified
# (default unified); MODEL_DIR: the model to continue from (default models/m3-default).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${1:?usage: bench/train_distributed.sh DATA.tok [STEPS] [STAGE] [MODEL_DIR]}
steps=${2:-30}
stage=${3:-unified}
model=${4:-$root/models/m3-default}
m3=${M3:-$root/build/m3}
cores=$(nproc)
work=$(mktemp -d /tmp/m3ddpbench.XXXXXX)
trap 'rm -rf "$work"' EXIT
args=(--stage "$stage" --data "$data" --init "$model" --device cpu --precision fp32 --batch-tokens 16384 --max-batch 16
      --group-size 8 --query-max-length 64 --passage-max-length 128 --lr 5e-5 --max-steps "$steps" --seed 1 --log-every 1000)
tps() { grep -oE '[0-9]+ tok/s; model written' "$1" | grep -oE '^[0-9]+'; }
"$m3" train "${args[@]}" --out "$work/w1" --threads "$cores" >"$work/w1.log" 2>&1 || { cat "$work/w1.log" >&2; exit 1; }
per_rank=$((cores / 2 > 0 ? cores / 2 : 1))
NPROC=2 M3="$m3" LOG_DIR="$work/logs" "$root/scripts/train_distributed.sh" "${args[@]}" --out "$work/w2" \
  --threads "$per_rank" >"$work/w2.log" 2>&1 || { cat "$work/w2.log" >&2; exit 1; }
w1=$(tps "$work/w1.log")
w2=$(tps "$work/w2.log")
echo "stage $stage, $steps steps of the same global batches, $cores cores: W=1 ($cores threads) $w1 tok/s," \
  "W=2 ($per_rank thread(s) each, Gloo on loopback) $w2 tok/s, W2/W1 $(python3 -c "print(f'{$w2/$w1:.2f}')")x"
