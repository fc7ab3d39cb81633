#!/usr/bin/env bash
# Runs ON the GPU machine (device tool), from the repository root: Hugging Face reference outputs for
# the tiny fixtures, an environment probe, and a trainer-only build check against the machine's PyTorch.
# Results go to $OUT (reference_hf*.json, env.txt, build.log).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
{
  echo "== env"; nvidia-smi --query-gpu=name,memory.total --format=csv 2>&1 | head -3
  python3 -c 'import torch, transformers; print("torch", torch.__version__, "cuda", torch.version.cuda, "transformers", transformers.__version__); print(torch.utils.cmake_prefix_path)'
  python3 -c 'import safetensors, sentencepiece; print("safetensors", safetensors.__version__, "sentencepiece", sentencepiece.__version__)'
  which cmake g++ nvcc ninja make; cmake --version | head -1; g++ --version | head -1; nproc
} > "$OUT/env.txt" 2>&1
for m in tiny-m3 tiny-m3-bin tiny-m3-bf16; do
  python3 tests/fixtures/reference_m3.py --mode hf --model tests/fixtures/$m --texts tests/fixtures/texts.txt \
    --out "$OUT/reference_hf_${m}.json" >> "$OUT/env.txt" 2>&1
done
python3 - >> "$OUT/env.txt" 2>&1 <<'PY'
from transformers import XLMRobertaTokenizer, XLMRobertaTokenizerFast
slow = XLMRobertaTokenizer(vocab_file="tests/fixtures/tiny-m3/sentencepiece.bpe.model")
try:
    fast = XLMRobertaTokenizerFast(vocab_file="tests/fixtures/tiny-m3/sentencepiece.bpe.model")
    texts = open("tests/fixtures/texts.txt", encoding="utf-8").read().split("\n")[:-1]
    diff = [t for t in texts if slow(t)["input_ids"] != fast(t)["input_ids"]]
    print("fast vs slow tokenizer differences:", len(diff), diff[:3])
except Exception as e:
    print("fast tokenizer unavailable:", e)
PY
( time timeout 240 bash -c 'cmake -S . -B build-gpu -DM3_TRAINER_ONLY=ON -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH=$(python3 -c "import torch;print(torch.utils.cmake_prefix_path)") \
    -DM3_THIRD_PARTY=$PWD/.device/third_party && cmake --build build-gpu -j16 --target m3_encoder' ) > "$OUT/build.log" 2>&1
tail -5 "$OUT/build.log" >> "$OUT/env.txt"
cat "$OUT/env.txt"
