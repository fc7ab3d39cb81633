#!/usr/bin/env bash
# One device call (GPU machine, repository root): the Hugging Face tokenizer reference for the tiny
# fixture on the CPU side, in parallel with training the default model on the GPU (device_train.sh).
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
( python3 tests/fixtures/reference_m3.py --mode hf --model tests/fixtures/tiny-m3 --texts tests/fixtures/texts.txt \
    --out "$OUT/reference_hf_tiny-m3.json" > "$OUT/reference.log" 2>&1 ) &
bash scripts/device_train.sh
wait
