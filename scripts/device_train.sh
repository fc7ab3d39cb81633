#!/usr/bin/env bash
# Trains the default model within a wall-clock budget; made to run ON the GPU machine from the
# repository root, with the data that scripts/train_default.sh prepared in .device/gpu/ (carried).
#
#   bash scripts/device_train.sh                        # GPU: build the trainer, train, results in $OUT
#   DEVICE=cpu BUDGET_S=60 M3=build/m3 bash scripts/device_train.sh   # dry run here on the CPU
#   INIT=models/m3-default bash scripts/device_train.sh # continue a model: pairs -> unified (+ ablation)
#
# Steps: (1) build `m3` with only the trainer (M3_TRAINER_ONLY) against the machine's own PyTorch
# (CMake; a direct g++ build if CMake fails); (2) unpack the token ids; (3) run the stages, each
# stopping at its share of BUDGET_S and saving its model:
#     mlm -> pairs -> unified (plain losses, then self-distillation)  = the default model
#     (with INIT=<model dir>: that model replaces mlm, and mlm's share of the budget goes to pairs)
#                  -> unified --no-self-distill                       = the ablation model
# (4) put into $OUT: the log, the loss curves (JSON lines), and each model directory as a tar split
# in 15 MiB parts (the device tool returns at most 8 files of 16 MiB each). Reassemble with
#     cat m3-default.tar.part-* | tar -x
# Everything is written as it becomes available, so a run cut short still returns what it did.
set -uo pipefail

BUDGET_S=${BUDGET_S:-420}          # seconds of training, all stages together
TOTAL_S=${TOTAL_S:-560}            # the whole script, build included, ends by then (a device call may run 600 s):
RESERVE_S=${RESERVE_S:-45}         #   training gets at most TOTAL_S - (build + data time) - RESERVE_S
DEVICE=${DEVICE:-cuda}             # cuda | cpu
OUT=${OUT:-$PWD/out/device-train}   # the device tool sets OUT
WORK=${WORK:-/tmp/m3-device-train}
GPU_DIR=${GPU_DIR:-.device/gpu}
PYTHON=${PYTHON:-python3}
JOBS=${JOBS:-$(nproc)}
M3=${M3:-}                         # a ready m3 binary (skips the build; the CPU dry run uses build/m3)
ABLATION=${ABLATION:-1}            # 0: give the ablation's share to the main run instead
INIT=${INIT:-}                     # a model directory to continue from: skips the mlm stage (its share goes to pairs)

# Model and batch shape. The GPU defaults fill an H200 with short texts; the CPU dry run is tiny.
LAYERS=${LAYERS:-6} HIDDEN=${HIDDEN:-256} HEADS=${HEADS:-4} FFN=${FFN:-1024} MAXPOS=${MAXPOS:-514}
if [ "$DEVICE" = cuda ]; then
  MLM_TOKENS=${MLM_TOKENS:-131072} PAIR_TOKENS=${PAIR_TOKENS:-131072} UNI_TOKENS=${UNI_TOKENS:-262144}
  MAX_BATCH=${MAX_BATCH:-1024} UNI_MAX_BATCH=${UNI_MAX_BATCH:-256} SUB_BATCH=${SUB_BATCH:-0}
  PASSAGE_LEN=${PASSAGE_LEN:-256} LOG_EVERY=${LOG_EVERY:-25}
else
  MLM_TOKENS=${MLM_TOKENS:-4096} PAIR_TOKENS=${PAIR_TOKENS:-4096} UNI_TOKENS=${UNI_TOKENS:-8192}
  MAX_BATCH=${MAX_BATCH:-64} UNI_MAX_BATCH=${UNI_MAX_BATCH:-16} SUB_BATCH=${SUB_BATCH:-0}
  PASSAGE_LEN=${PASSAGE_LEN:-128} LOG_EVERY=${LOG_EVERY:-5}
fi
QUERY_LEN=${QUERY_LEN:-64}
MLM_LR=${MLM_LR:-5e-4} PAIR_LR=${PAIR_LR:-2e-4} UNI_LR=${UNI_LR:-1e-4}
# Shares of the budget (percent): mlm, pairs, unified, ablation.
SHARE_MLM=${SHARE_MLM:-22} SHARE_PAIRS=${SHARE_PAIRS:-26} SHARE_UNIFIED=${SHARE_UNIFIED:-26} SHARE_ABLATION=${SHARE_ABLATION:-26}
SAVE_DTYPE=${SAVE_DTYPE:-bf16}

mkdir -p "$OUT" "$WORK"
LOG=$OUT/train.log
exec > >(tee -a "$LOG") 2>&1
echo "== device_train.sh $(date -u +%FT%TZ) DEVICE=$DEVICE BUDGET_S=$BUDGET_S model ${LAYERS}x${HIDDEN} (ffn $FFN, heads $HEADS)"
START=$(date +%s)
since() { echo $(( $(date +%s) - START )); }

# ---- (1) build -------------------------------------------------------------------------------
build_with_cmake() {
  local prefix abi
  prefix=$("$PYTHON" -c 'import torch;print(torch.utils.cmake_prefix_path)') || return 1
  abi=$("$PYTHON" -c 'import torch;print(int(torch._C._GLIBCXX_USE_CXX11_ABI))') || return 1
  # Every TU with torch's ABI (m3_common does not link torch, so it would not get the flag otherwise).
  cmake -S . -B build-gpu -DM3_TRAINER_ONLY=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
    -DM3_THIRD_PARTY="$PWD/$GPU_DIR/third_party" -DCMAKE_CXX_FLAGS="-D_GLIBCXX_USE_CXX11_ABI=$abi" >"$WORK/cmake.log" 2>&1 \
    || { tail -30 "$WORK/cmake.log"; return 1; }
  cmake --build build-gpu --target m3 -j"$JOBS" >"$WORK/build.log" 2>&1 || { grep -E "error|Error" -A3 "$WORK/build.log" | head -40; return 1; }
  M3=$PWD/build-gpu/m3
}

build_with_gxx() {  # the same sources, without CMake
  local torch abi objs=() src
  torch=$("$PYTHON" -c 'import torch,os;print(os.path.dirname(torch.__file__))') || return 1
  abi=$("$PYTHON" -c 'import torch;print(int(torch._C._GLIBCXX_USE_CXX11_ABI))') || return 1
  mkdir -p build-gxx
  local flags="-std=c++17 -O2 -DNDEBUG -D_GLIBCXX_USE_CXX11_ABI=$abi -I. -I$GPU_DIR/third_party/include -I$torch/include -I$torch/include/torch/csrc/api/include"
  local srcs="common/utf8.cpp encoder/model_config.cpp encoder/raw_tensor.cpp encoder/safetensors.cpp encoder/torch_zip.cpp encoder/checkpoint.cpp encoder/m3_model.cpp encoder/scores.cpp tools/main.cpp tools/cmd_train.cpp"
  for src in trainer/*.cpp; do case $(basename "$src") in prep_*) ;; *) srcs="$srcs $src" ;; esac; done
  echo $srcs | tr ' ' '\n' | xargs -P "$JOBS" -I{} sh -c "g++ $flags -c {} -o build-gxx/\$(echo {} | tr / _).o" || return 1
  for src in $srcs; do objs+=("build-gxx/$(echo "$src" | tr / _).o"); done
  local cuda_libs=""
  [ -e "$torch/lib/libtorch_cuda.so" ] && cuda_libs="-Wl,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--as-needed"
  g++ "${objs[@]}" -o build-gxx/m3 -L"$torch/lib" -Wl,-rpath,"$torch/lib" $cuda_libs -ltorch -ltorch_cpu -lc10 -lpthread || return 1
  M3=$PWD/build-gxx/m3
}

if [ -z "$M3" ]; then
  echo "== building the trainer ($(since)s)"
  build_with_cmake || { echo "CMake build failed; trying g++ directly"; build_with_gxx; } || { echo "BUILD FAILED"; exit 1; }
  echo "== built $M3 ($(since)s)"
fi
[ "$DEVICE" = cuda ] && { nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true; }

# ---- (2) data --------------------------------------------------------------------------------
DATA=$WORK/train.tok
if [ ! -s "$DATA" ]; then
  if [ -f "$GPU_DIR/data/train.tok.xz" ]; then
    xz -dc "$GPU_DIR/data/train.tok.xz" >"$DATA" 2>/dev/null ||
      "$PYTHON" -c "import lzma,shutil,sys;shutil.copyfileobj(lzma.open(sys.argv[1]),open(sys.argv[2],'wb'))" "$GPU_DIR/data/train.tok.xz" "$DATA"
  else
    cp "$GPU_DIR/data/train.tok" "$DATA"
  fi
fi
TOKENIZER=$GPU_DIR/data/sentencepiece.bpe.model
[ -s "$DATA" ] && [ -f "$TOKENIZER" ] || { echo "no data in $GPU_DIR/data (run scripts/train_default.sh here first)"; exit 1; }
echo "== data: $(du -h "$DATA" | cut -f1) of token ids ($(since)s)"

# ---- (3) stages ------------------------------------------------------------------------------
LEFT=$(( TOTAL_S - $(since) - RESERVE_S ))
if [ "$LEFT" -lt "$BUDGET_S" ]; then echo "== training budget cut to ${LEFT}s to end within TOTAL_S=${TOTAL_S}s"; BUDGET_S=$LEFT; fi
if [ -n "$INIT" ]; then
  [ -f "$INIT/config.json" ] || { echo "INIT=$INIT is not a model directory"; exit 1; }
  SHARE_PAIRS=$((SHARE_PAIRS + SHARE_MLM)); SHARE_MLM=0
fi
[ "$ABLATION" = 1 ] || { SHARE_UNIFIED=$((SHARE_UNIFIED + SHARE_ABLATION)); SHARE_ABLATION=0; }
share() { echo $(( BUDGET_S * $1 / 100 )); }
COMMON=(--data "$DATA" --device "$DEVICE" --log-every "$LOG_EVERY" --log-json "$OUT/curves.jsonl" --query-max-length "$QUERY_LEN"
        --passage-max-length "$PASSAGE_LEN" --seed 42)

stage() {  # name, storage dtype, then m3 train arguments (intermediate stages keep f32 weights)
  local name=$1 dtype=$2; shift 2
  echo "== stage $name ($(since)s)"
  "$M3" train "${COMMON[@]}" --out "$WORK/$name" --save-dtype "$dtype" "$@" || { echo "STAGE $name FAILED"; return 1; }
}

pack() {  # model dir -> $OUT/<name>.tar.part-* (the tool returns files of 16 MiB at most)
  local name=$1
  rm -f "$OUT/$name.tar.part-"*
  tar -C "$WORK" -cf - "$name" | split -b 15m - "$OUT/$name.tar.part-"
  echo "== $name: $(du -sh "$WORK/$name" | cut -f1) -> $OUT/$name.tar.part-* ($(since)s)"
}

PAIRS_INIT=$WORK/mlm
if [ -n "$INIT" ]; then
  PAIRS_INIT=$INIT; echo "== continuing from $INIT (no mlm stage)"
else
  stage mlm f32 --stage mlm --tokenizer "$TOKENIZER" --layers "$LAYERS" --hidden "$HIDDEN" --heads "$HEADS" --ffn "$FFN" \
    --max-positions "$MAXPOS" --lr "$MLM_LR" --batch-tokens "$MLM_TOKENS" --max-batch "$MAX_BATCH" --mlm-rate 0.15 \
    --time-budget "$(share "$SHARE_MLM")" --warmup-ratio 0.06 || exit 1
fi
stage pairs f32 --stage pairs --init "$PAIRS_INIT" --lr "$PAIR_LR" --batch-tokens "$PAIR_TOKENS" --max-batch "$MAX_BATCH" \
  --time-budget "$(share "$SHARE_PAIRS")" --warmup-ratio 0.1 || exit 1
# The unified stage: group 1 + 7 negatives; the first 30% of its steps train the plain per-head
# losses (the paper's warm-up), then self-distillation (M3-SPEC §4).
UNIFIED=(--stage unified --init "$WORK/pairs" --lr "$UNI_LR" --batch-tokens "$UNI_TOKENS" --max-batch "$UNI_MAX_BATCH"
         --group-size 8 --sub-batch "$SUB_BATCH" --warmup-ratio 0.1)
stage m3-default "$SAVE_DTYPE" "${UNIFIED[@]}" --self-distill-start-frac 0.3 --time-budget "$(share "$SHARE_UNIFIED")" && pack m3-default
if [ "$SHARE_ABLATION" -gt 0 ]; then
  stage m3-default-no-distill "$SAVE_DTYPE" "${UNIFIED[@]}" --no-self-distill --time-budget "$(share "$SHARE_ABLATION")" && pack m3-default-no-distill
fi
echo "== done in $(since)s; files in $OUT:"
ls -la "$OUT"
