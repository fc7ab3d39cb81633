#!/usr/bin/env bash
# Data-parallel `m3 train` on this machine: starts NPROC ranks the way torchrun would (RANK,
# LOCAL_RANK, WORLD_SIZE, MASTER_ADDR=127.0.0.1, MASTER_PORT) and passes every argument to each.
# Rank 0 prints the progress and writes checkpoints and the model; the others' output goes to
# $LOG_DIR/rank<N>.log. If one rank fails, the others are stopped and the script fails with its code.
#
#   NPROC=2 scripts/train_distributed.sh --stage unified --data D.tok --init M --out OUT --threads 1 ...
#
# Environment: NPROC (default 2), MASTER_PORT (default 29500 + a random offset), M3 (default build/m3),
# LOG_DIR (default a temporary directory, kept on failure).
#
# Several machines: start the same command on every machine with the torchrun variables set by hand
# (or use torchrun itself: `torchrun --nnodes N --nproc-per-node G --rdzv-backend static
# --master-addr HOST0 --master-port 29500 --node-rank K --no-python build/m3 train ...`, which sets
# RANK/LOCAL_RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT the same way): MASTER_ADDR is rank 0's
# address, reachable from all; GLOO_SOCKET_IFNAME picks the network interface for Gloo (CPU).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
nproc=${NPROC:-2}
port=${MASTER_PORT:-$((29500 + RANDOM % 1000))}
m3=${M3:-$root/build/m3}
log_dir=${LOG_DIR:-$(mktemp -d /tmp/m3-ddp.XXXXXX)}
mkdir -p "$log_dir"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup INT TERM
for ((r = 0; r < nproc; r++)); do
  if ((r == 0)); then
    RANK=$r LOCAL_RANK=$r WORLD_SIZE=$nproc MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$m3" train "$@" &
  else
    RANK=$r LOCAL_RANK=$r WORLD_SIZE=$nproc MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$m3" train "$@" \
      >"$log_dir/rank$r.log" 2>&1 &
  fi
  pids+=($!)
done
# The first rank to fail stops the rest (they would fail on their own after --dist-timeout anyway).
declare -A running
for p in "${pids[@]}"; do running[$p]=1; done
status=0
while ((${#running[@]})); do
  code=0
  finished=
  wait -n -p finished "${!running[@]}" || code=$?
  [ -n "$finished" ] && unset "running[$finished]"
  if ((code != 0 && status == 0)); then
    status=$code
    echo "train_distributed: a rank exited with code $code; stopping the others (logs in $log_dir)" >&2
    cleanup
  fi
done
if ((status == 0)) && [ -z "${LOG_DIR:-}" ]; then rm -rf "$log_dir"; fi
exit "$status"
