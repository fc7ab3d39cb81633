#!/usr/bin/python3
"""Writes a model with random weights in the public BGE-M3 layout, shaped like BGE-M3 by default.

Issue 19's GPU figures need BGE-M3's cost (24 layers x 1024, 16 heads, FFN 4096, 8194 positions,
vocabulary 250,002: 568M parameters) without its weights, which cannot be downloaded here. This
script writes such a model directory where it is needed (1.1 GB in BF16: on the GPU machine itself,
not carried): config.json, model.safetensors, colbert_linear.pt and sparse_linear.pt (fp16 state dicts,
as FlagEmbedding saves them) and a tokenizer copied from an existing model (its ids are a subset of
the vocabulary; speed does not depend on which pieces a text becomes). Random weights, fixed seed:
outputs are meaningless, costs are real.

  /usr/bin/python3 scripts/make_shaped_model.py OUT [--layers 24 --hidden 1024 --heads 16 --ffn 4096
      --positions 8194 --vocab 250002] [--dtype BF16|F32] [--tokenizer-from models/m3-default]

Needs python3-torch (Debian's runs only under /usr/bin/python3; the GPU machine's PyTorch works too).
"""
import argparse
import collections
import json
import os
import shutil
import struct

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tensor_bytes(t, dtype):
    t = t.detach().contiguous().cpu()
    if dtype == "BF16":
        return t.to(torch.bfloat16).view(torch.int16).numpy().tobytes()
    return t.to(torch.float32).numpy().tobytes()


def write_safetensors(path, shapes, make, dtype):
    """Streams tensors to `path` one at a time (the whole model never sits in memory twice)."""
    size = 2 if dtype == "BF16" else 4
    header, off = {"__metadata__": {"format": "pt"}}, 0
    names = sorted(shapes)
    for name in names:
        n = size
        for d in shapes[name]:
            n *= d
        header[name] = {"dtype": dtype, "shape": list(shapes[name]), "data_offsets": [off, off + n]}
        off += n
    h = json.dumps(header).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path + ".part", "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for name in names:
            raw = tensor_bytes(make(name, shapes[name]), dtype)
            assert len(raw) == header[name]["data_offsets"][1] - header[name]["data_offsets"][0], name
            f.write(raw)
    os.replace(path + ".part", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=24)
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--heads", type=int, default=16)
    ap.add_argument("--ffn", type=int, default=4096)
    ap.add_argument("--positions", type=int, default=8194)
    ap.add_argument("--vocab", type=int, default=250002)
    ap.add_argument("--dtype", choices=("BF16", "F32"), default="BF16")
    ap.add_argument("--tokenizer-from", default=os.path.join(ROOT, "models", "m3-default"))
    ap.add_argument("--seed", type=int, default=1234)
    a = ap.parse_args()
    if a.hidden % a.heads:
        raise SystemExit("--hidden must be a multiple of --heads")
    if min(a.layers, a.hidden, a.heads, a.ffn, a.positions, a.vocab) < 1 or a.positions < 3:
        raise SystemExit("every size must be positive (positions at least 3: XLM-R's offset is 2)")
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(a.seed)
    H, FF, P, V = a.hidden, a.ffn, a.positions, a.vocab
    cfg = {"architectures": ["XLMRobertaModel"], "model_type": "xlm-roberta", "hidden_size": H,
           "num_hidden_layers": a.layers, "num_attention_heads": a.heads, "intermediate_size": FF,
           "vocab_size": V, "max_position_embeddings": P, "type_vocab_size": 1, "layer_norm_eps": 1e-5,
           "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2, "hidden_act": "gelu",
           "position_embedding_type": "absolute", "hidden_dropout_prob": 0.1,
           "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02}
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)

    # Each tensor's name and shape, once; the values come from `make` as the file is written.
    shapes = collections.OrderedDict()
    shapes["embeddings.word_embeddings.weight"] = (V, H)
    shapes["embeddings.position_embeddings.weight"] = (P, H)
    shapes["embeddings.token_type_embeddings.weight"] = (1, H)
    shapes["embeddings.LayerNorm.weight"] = (H,)
    shapes["embeddings.LayerNorm.bias"] = (H,)
    for l in range(a.layers):
        p = "encoder.layer.%d." % l
        for m in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            shapes[p + m + ".weight"] = (H, H)
            shapes[p + m + ".bias"] = (H,)
        shapes[p + "attention.output.LayerNorm.weight"] = (H,)
        shapes[p + "attention.output.LayerNorm.bias"] = (H,)
        shapes[p + "intermediate.dense.weight"] = (FF, H)
        shapes[p + "intermediate.dense.bias"] = (FF,)
        shapes[p + "output.dense.weight"] = (H, FF)
        shapes[p + "output.dense.bias"] = (H,)
        shapes[p + "output.LayerNorm.weight"] = (H,)
        shapes[p + "output.LayerNorm.bias"] = (H,)

    def make(name, shape):
        if name.endswith("LayerNorm.weight"):
            return torch.ones(shape)
        if name.endswith(".bias") or name.endswith("LayerNorm.bias"):
            return torch.zeros(shape)
        fan_in = shape[1] if len(shape) == 2 and "embeddings" not in name else 1
        return torch.randn(shape) * (fan_in ** -0.5 if fan_in > 1 else 0.02)

    write_safetensors(os.path.join(a.out, "model.safetensors"), shapes, make, a.dtype)
    colbert, sparse = torch.nn.Linear(H, H).half(), torch.nn.Linear(H, 1).half()
    torch.save(colbert.state_dict(), os.path.join(a.out, "colbert_linear.pt"))
    torch.save(sparse.state_dict(), os.path.join(a.out, "sparse_linear.pt"))
    shutil.copy(os.path.join(a.tokenizer_from, "sentencepiece.bpe.model"), os.path.join(a.out, "sentencepiece.bpe.model"))
    params = sum(int(torch.tensor(s).prod()) for s in shapes.values()) + H * H + H + H + 1
    print("wrote %s: %d layers x %d, %.0fM parameters, %s" % (a.out, a.layers, H, params / 1e6, a.dtype))


if __name__ == "__main__":
    main()
