#!/usr/bin/env python3
"""Quick cross-lingual check of a trained model on the Tatoeba dev pairs (../shared/data/dev/tatoeba).

For each language, the first N xx sentences retrieve among the N English ones; prints top-1 accuracy
per head (dense, sparse, multivec) and for dense+sparse (1, 0.3) and all (1, 0.3, 1) — the weights of
M3-SPEC §3 — and a random baseline of 1/N. A sanity check for training runs (e.g. self-distillation
vs. the ablation), not the project's evaluation: that is `m3 eval` on the dev preset.

  /usr/bin/python3 scripts/train_check_tatoeba.py --model models/m3-default [--n 200] [--langs deu,fra,...]
Needs numpy and the host build (build/m3).
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def encode(m3, model, texts):
    out = subprocess.run([m3, "encode", "--model", model], input="\n".join(texts) + "\n", capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == len(texts), (len(rows), len(texts))
    return rows


def scores(q, p):
    dense = np.array([r["dense"] for r in q]) @ np.array([r["dense"] for r in p]).T
    sparse = np.zeros_like(dense)
    for i, a in enumerate(q):
        for j, b in enumerate(p):
            sparse[i, j] = sum(w * b["sparse"].get(t, 0.0) for t, w in a["sparse"].items())
    multi = np.zeros_like(dense)
    pv = [np.array(r["colbert"]) for r in p]
    for i, a in enumerate(q):
        qv = np.array(a["colbert"])
        for j, b in enumerate(pv):
            multi[i, j] = (qv @ b.T).max(axis=1).mean()
    return {"dense": dense, "sparse": sparse, "multivec": multi, "dense+sparse": dense + 0.3 * sparse,
            "all": dense + 0.3 * sparse + multi}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--m3", default=os.path.join(ROOT, "build", "m3"))
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "dev", "tatoeba"))
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--langs", default="deu,fra,spa,rus,cmn,jpn,kor,ara,hin,swh,tha,fin")
    a = ap.parse_args()
    heads = ["dense", "sparse", "multivec", "dense+sparse", "all"]
    print("lang  " + "  ".join(f"{h:>12}" for h in heads))
    totals = {h: [] for h in heads}
    for lang in a.langs.split(","):
        base = os.path.join(a.data, f"tatoeba.{lang}-eng")
        if not os.path.exists(f"{base}.{lang}"):
            print(f"{lang}: missing", file=sys.stderr)
            continue
        xx = open(f"{base}.{lang}", encoding="utf-8").read().splitlines()[: a.n]
        en = open(f"{base}.eng", encoding="utf-8").read().splitlines()[: a.n]
        s = scores(encode(a.m3, a.model, xx), encode(a.m3, a.model, en))
        acc = {h: float((s[h].argmax(axis=1) == np.arange(len(xx))).mean()) for h in heads}
        for h in heads:
            totals[h].append(acc[h])
        print(f"{lang:5} " + "  ".join(f"{acc[h]:12.3f}" for h in heads))
    print("mean  " + "  ".join(f"{np.mean(totals[h]):12.3f}" for h in heads) + f"   (random: {1.0 / a.n:.3f})")


if __name__ == "__main__":
    main()
