#!/usr/bin/python3
"""Plain eager PyTorch baseline for bench/encoder_bench: the same checkpoint (model.safetensors + heads)
run as an XLM-R forward with torch.nn.functional ops under inference_mode, batches of consecutive
inputs padded to their longest, all three M3 heads computed. Prints "seconds <median>"."""
import argparse, json, math, os, struct, sys, time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
from reference_m3 import read_safetensors, load_head  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    sd = read_safetensors(os.path.join(a.model, "model.safetensors"))
    cw, cb = load_head(a.model, "colbert_linear")
    sw, sb = load_head(a.model, "sparse_linear")
    nh, eps, L = cfg["num_attention_heads"], cfg["layer_norm_eps"], cfg["num_hidden_layers"]
    texts = [[int(x) for x in line.split()] for line in open(a.ids)]

    def forward(ids, mask):
        B, T = ids.shape
        pos = torch.cumsum(mask, 1) * mask + 1
        x = sd["embeddings.word_embeddings.weight"][ids] + sd["embeddings.position_embeddings.weight"][pos] \
            + sd["embeddings.token_type_embeddings.weight"][0]
        x = F.layer_norm(x, x.shape[-1:], sd["embeddings.LayerNorm.weight"], sd["embeddings.LayerNorm.bias"], eps)
        H = x.shape[-1]
        d = H // nh
        am = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for l in range(L):
            p = f"encoder.layer.{l}."
            lin = lambda y, m: F.linear(y, sd[p + m + ".weight"], sd[p + m + ".bias"])
            q = lin(x, "attention.self.query").view(B, T, nh, d).transpose(1, 2)
            k = lin(x, "attention.self.key").view(B, T, nh, d).transpose(1, 2)
            v = lin(x, "attention.self.value").view(B, T, nh, d).transpose(1, 2)
            s = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + am, -1)
            a_ = (s @ v).transpose(1, 2).reshape(B, T, H)
            x = F.layer_norm(lin(a_, "attention.output.dense") + x, (H,), sd[p + "attention.output.LayerNorm.weight"],
                             sd[p + "attention.output.LayerNorm.bias"], eps)
            f = F.gelu(lin(x, "intermediate.dense"))
            x = F.layer_norm(lin(f, "output.dense") + x, (H,), sd[p + "output.LayerNorm.weight"],
                             sd[p + "output.LayerNorm.bias"], eps)
        dense = F.normalize(x[:, 0], dim=-1)
        sparse = torch.relu(F.linear(x, sw, sb)).squeeze(-1) * mask
        colbert = F.normalize(F.linear(x[:, 1:], cw, cb) * mask[:, 1:, None], dim=-1)
        return dense, sparse, colbert

    def run():
        with torch.inference_mode():
            for i in range(0, len(texts), a.batch):
                chunk = texts[i:i + a.batch]
                T = max(len(t) for t in chunk)
                ids = torch.ones(len(chunk), T, dtype=torch.long)
                mask = torch.zeros(len(chunk), T, dtype=torch.long)
                for j, t in enumerate(chunk):
                    ids[j, :len(t)] = torch.tensor(t)
                    mask[j, :len(t)] = 1
                forward(ids, mask)

    with torch.inference_mode():
        forward(torch.tensor([texts[0]]), torch.ones(1, len(texts[0]), dtype=torch.long))  # warm-up
    times = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    print("seconds", sorted(times)[len(times) // 2])


if __name__ == "__main__":
    main()
