#!/usr/bin/env python3
"""Writes the small evaluation example of README "Evaluation" into OUT_DIR: corpus.jsonl (300 synthetic
documents), qrels.txt (120 judged queries: one relevant, one judged non-relevant document each), and two
topics files with the same name, a/topics.tsv and b/topics.tsv (30 queries each, a subset of the qrels).
Deterministic (seed 1), so the README's table can be reproduced with the tiny test model."""
import json
import os
import random
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "eval-example"
random.seed(1)
words = ("search engine vector dense sparse token index query chat maison Katze Haus rain pluie Regen "
         "file fichier Datei image Bild document network").split()
os.makedirs(os.path.join(out, "a"), exist_ok=True)
os.makedirs(os.path.join(out, "b"), exist_ok=True)
docs = []
with open(os.path.join(out, "corpus.jsonl"), "w") as f:
    for i in range(300):
        t = " ".join(random.choice(words) for _ in range(random.randint(4, 15)))
        docs.append(t)
        f.write(json.dumps({"docid": "d%d" % i, "title": "", "text": t}) + "\n")
with open(os.path.join(out, "qrels.txt"), "w") as q:
    for i in range(120):
        q.write("q%d Q0 d%d 1\nq%d Q0 d%d 0\n" % (i, i, i, i + 150))
for d, rng in (("a", range(0, 30)), ("b", range(30, 60))):
    with open(os.path.join(out, d, "topics.tsv"), "w") as t:
        for i in rng:
            t.write("q%d\t%s\n" % (i, " ".join(docs[i].split()[:4])))
