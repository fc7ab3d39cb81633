#!/usr/bin/env python3
"""Choose a model's fused-mode weights on training-side QA data and write <model>/m3_fusion.json.

The paper's weights (dense 1, sparse 0.3, multivec 1) suit BGE-M3, whose heads are of similar strength.
A small model's heads can differ a lot (the default model's dense head is far weaker than its sparse
and multi-vector heads), so the engine lets a model directory recommend its own weights
(encoder/fusion_weights.h). This script picks them the way one picks any hyper-parameter: on data
that is not the evaluation data.

Data: the QA sets under ../shared/data/train/qa (ARCD train, JSQuAD valid, DRCD dev, CMRC 2018 dev,
iApp valid, AfriQA dev: question -> its paragraph among all paragraphs of the file, as the dev
preset does with their test splits). Nothing under ../shared/data/dev is read. At most --questions
questions per set (a fixed-seed sample). Caveat, written into the output: the shipped model was
trained on these files too, so the heads are scored on text they have seen.

Per set: `m3 index` the paragraphs, then `m3 eval --sweep-weights` over a grid (queries encoded once).
The weights with the best nDCG@10 averaged over the sets win; ties go to the earlier grid point.

  python3 scripts/fit_fusion_weights.py [--model models/m3-default] [--questions 400] [--write]
                                       [--holdout-percent N]

--holdout-percent N scores only the questions whose paragraph `m3 train-prep --qa-holdout-percent N`
kept out of training (trainer/prep_holdout.h: FNV-1a of the trimmed paragraph, % 100 < N), among all
paragraphs of the file. Use it for models trained on such a prep: a model that trained long on these
files scores its dense and multi-vector heads far higher on them than on unseen text, and the weights
picked on seen questions are then wrong (measured on the 2026-11-27 GPU run: dense 0.88 here, 0.47 on dev).

Without --write it prints the table and the winner only. Work files go to build/fit-fusion/.
"""
import argparse
import gzip
import hashlib
import json
import os
import random
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "train", "qa")


def read_squad(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        doc = json.load(f)
    paragraphs, questions = [], []
    for article in doc["data"]:
        for para in article["paragraphs"]:
            pid = len(paragraphs)
            paragraphs.append(para["context"])
            for qa in para["qas"]:
                if qa.get("is_impossible"):
                    continue
                questions.append((qa["question"], pid))
    return paragraphs, questions


def read_jsonl_qa(paths, question_key):
    index, paragraphs, questions = {}, [], []
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                r = json.loads(line)
                ctx, q = r.get("context", ""), r.get(question_key, "")
                if not ctx or not q:
                    continue
                if ctx not in index:
                    index[ctx] = len(paragraphs)
                    paragraphs.append(ctx)
                questions.append((q, index[ctx]))
    return paragraphs, questions


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


assert fnv1a64(b"") == 0xCBF29CE484222325 and fnv1a64(b"a") == 0xAF63DC4C8601EC8C  # as tests/trainer/prep_test.cpp


def held_out(paragraph, percent):
    """trainer/prep_holdout.h: the C++ readers trim ASCII whitespace before hashing."""
    return percent > 0 and fnv1a64(paragraph.strip(" \t\r\n").encode("utf-8")) % 100 < percent


def read_squad_parts(paths):
    paragraphs, questions = [], []
    for path in paths:
        p, q = read_squad(path)
        questions += [(text, pid + len(paragraphs)) for text, pid in q]
        paragraphs += p
    return paragraphs, questions


def join_words(words):
    """trainer/prep_qa.cpp join_words: FacQA's pre-tokenised words back to text (the same bytes, so the
    held-out hash agrees)."""
    text, glue_next = "", False
    for w in words:
        closing = len(w) == 1 and w in ".,?!;:)%]"
        if text and not closing and not glue_next:
            text += " "
        text += w
        glue_next = w in ("(", "[")
    return text


def read_facqa(paths):
    import ast
    import csv
    index, paragraphs, questions = {}, [], []
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                q, p = join_words(ast.literal_eval(row["question"])), join_words(ast.literal_eval(row["passage"]))
                if not p:
                    continue
                if p not in index:
                    index[p] = len(paragraphs)
                    paragraphs.append(p)
                questions.append((q, index[p]))
    return paragraphs, questions


def new_qa_sets():
    """The QA sets added in 2026-12 (JaQuAD, PIAF, FacQA): the shipped model before that date never saw
    them, so with --holdout-percent their held-out paragraphs are unseen by every model trained since."""
    jaquad = sorted(os.path.join(DATA, "jaquad", n) for n in os.listdir(os.path.join(DATA, "jaquad")) if n.startswith("jaquad_dev"))
    facqa = [os.path.join(DATA, "facqa", n) for n in ("train_preprocess.csv.gz", "valid_preprocess.csv.gz")]
    return {
        "jaquad-ja": read_squad_parts(jaquad),
        "piaf-fr": read_squad(os.path.join(DATA, "piaf", "piaf-v1.0.json.gz")),
        "facqa-id": read_facqa(facqa),
    }


def qa_sets():
    afriqa_dir = os.path.join(DATA, "afriqa")
    afriqa = sorted(os.path.join(afriqa_dir, n) for n in os.listdir(afriqa_dir) if n.endswith(".dev.json.gz"))
    return {
        "arcd-ar": read_squad(os.path.join(DATA, "arcd", "arcd-train.json.gz")),
        "jsquad-ja": read_squad(os.path.join(DATA, "jsquad", "valid-v1.3.json.gz")),
        "drcd-zh": read_squad(os.path.join(DATA, "drcd", "DRCD_dev.json.gz")),
        "cmrc-zh": read_squad(os.path.join(DATA, "cmrc2018", "cmrc2018_dev.json.gz")),
        "iapp-th": read_jsonl_qa([os.path.join(DATA, "iapp-wiki-qa", "valid.jsonl.gz")], "question"),
        "afriqa-x": read_jsonl_qa(afriqa, "question_lang"),
    }


# BM25's weight (the fourth head): BM25 scores run to tens where the model's heads stay near 1, so its
# weights are small; 0 = without BM25 (the ablation row).
BM25_GRID = (0, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


def grid_all(bm25):
    # Only ratios matter for ranking: sparse fixed at 1, dense and multivec relative to it. The paper's
    # point (1, 0.3, 1) = (3.33, 1, 3.33) is in the grid's span and added explicitly.
    dense, multivec = ((0, 0.1, 0.2, 0.5, 1.0), (0.25, 0.5, 1.0, 2.5, 4.0)) if bm25 else \
        ((0, 0.1, 0.2, 0.35, 0.5, 1.0), (0.1, 0.25, 0.5, 1.0, 1.5, 2.5, 4.0, 6.0))
    pts = [(d, 1.0, m, b) for b in (BM25_GRID if bm25 else (0,)) for d in dense for m in multivec]
    return [(1.0, 0.3, 1.0, 0)] + pts


def grid_dense_sparse(bm25):
    return [(1.0, 0.3, 0, 0)] + [(d, 1.0, 0, b) for b in (BM25_GRID if bm25 else (0,))
                                 for d in (0, 0.05, 0.1, 0.2, 0.35, 0.5, 1.0, 2.0)]


def fmt(w, mode="all"):
    """As `m3` takes and shows them: trailing BM25 0 dropped, dense+sparse without its multivec 0."""
    w = list(w)
    if w[3] == 0:
        w = w[:3] if mode == "all" else w[:2]
    return ",".join("%g" % x for x in w)


def run(cmd):
    r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("command failed: %s\n%s" % (" ".join(cmd), r.stderr[-2000:]))
    return r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "m3-default"))
    ap.add_argument("--m3", default=os.path.join(ROOT, "build", "m3"))
    ap.add_argument("--questions", type=int, default=400, help="questions per set at most")
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "fit-fusion"))
    ap.add_argument("--write", action="store_true", help="write <model>/m3_fusion.json")
    ap.add_argument("--holdout-percent", type=int, default=0,
                    help="score only questions whose paragraph train-prep --qa-holdout-percent kept out of training")
    ap.add_argument("--sets", choices=("old", "new"), default="old",
                    help="old: ARCD, JSQuAD, DRCD, CMRC, iApp, AfriQA; new: JaQuAD dev, PIAF, FacQA (added 2026-12)")
    ap.add_argument("--no-bm25", action="store_true", help="fit three heads only (the weights before BM25 joined the fusion)")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    results = {}  # (mode, weights) -> {set: ndcg}
    heads = {}
    for name, (paragraphs, questions) in (new_qa_sets() if a.sets == "new" else qa_sets()).items():
        if a.holdout_percent:
            questions = [(q, pid) for q, pid in questions if held_out(paragraphs[pid], a.holdout_percent)]
        rng = random.Random(42)
        if len(questions) > a.questions:
            questions = rng.sample(questions, a.questions)
        d = os.path.join(a.work, name)
        os.makedirs(d, exist_ok=True)
        corpus, topics, qrels = (os.path.join(d, f) for f in ("corpus.jsonl", "topics.tsv", "qrels.txt"))
        with open(corpus, "w", encoding="utf-8") as f:
            for i, p in enumerate(paragraphs):
                f.write(json.dumps({"docid": "p%d" % i, "text": p}, ensure_ascii=False) + "\n")
        with open(topics, "w", encoding="utf-8") as t, open(qrels, "w") as q:
            for i, (text, pid) in enumerate(questions):
                t.write("q%d\t%s\n" % (i, " ".join(text.split())))
                q.write("q%d 0 p%d 1\n" % (i, pid))
        # One collection per model directory (a collection is bound to its model's fingerprint).
        # Resumes an interrupted run and returns at once when the corpus is already indexed.
        col = os.path.join(d, "col-" + hashlib.sha1(os.path.abspath(a.model).encode()).hexdigest()[:10])
        run([a.m3, "index", "--corpus", corpus, "--collection", col, "--model", a.model, "--max-length", "512", "--quiet"])
        print("%s: %d paragraphs, %d questions" % (name, len(paragraphs), len(questions)), file=sys.stderr, flush=True)
        for mode, grid in (("all", grid_all(not a.no_bm25)), ("dense+sparse", grid_dense_sparse(not a.no_bm25))):
            out = os.path.join(d, mode.replace("+", "_") + ".json")
            run([a.m3, "eval", "--collection", col, "--model", a.model, "--topics", topics, "--qrels", qrels,
                 "--mode", mode, "--sweep-weights"] + [fmt(w, mode) for w in grid] + ["--json", out])
            for row, w in zip(json.load(open(out)), grid):
                results.setdefault((mode, w), {})[name] = row["ndcg@10"]
        out = os.path.join(d, "heads.json")
        run([a.m3, "eval", "--collection", col, "--model", a.model, "--topics", topics, "--qrels", qrels,
             "--mode", "dense", "sparse", "multivec", "bm25", "--json", out])
        for row in json.load(open(out)):
            heads.setdefault(row["mode"], {})[name] = row["ndcg@10"]

    def avg(m):
        return sum(m.values()) / len(m)

    print("single heads, nDCG@10 averaged over the sets: " +
          ", ".join("%s %.4f" % (k, avg(v)) for k, v in sorted(heads.items())))
    best = {}
    for mode in ("all", "dense+sparse"):
        rows = [(w, avg(m)) for (md, w), m in results.items() if md == mode]
        print("\n%s: weights -> nDCG@10 (average of %d sets)" % (mode, len(next(iter(results.values())))))
        for w, v in rows:
            print("  %-20s %.4f%s" % (fmt(w, mode), v, "   (the paper's)" if w[:2] == (1.0, 0.3) else ""))
        best[mode] = max(rows, key=lambda r: r[1])  # max keeps the first of equal values
        without = max((r for r in rows if r[0][3] == 0), key=lambda r: r[1])
        best[mode + " without bm25"] = without
        print("best %s: %s (%.4f); without BM25: %s (%.4f)" % (mode, fmt(best[mode][0], mode), best[mode][1],
                                                             fmt(without[0], mode), without[1]))
    as_listed = lambda mode, w: [float(x) for x in fmt(w, mode).split(",")]
    doc = {
        "dense+sparse": as_listed("dense+sparse", best["dense+sparse"][0]),
        "all": as_listed("all", best["all"][0]),
        "fitted_by": "scripts/fit_fusion_weights.py --questions %d --sets %s%s%s" % (
            a.questions, a.sets, " --holdout-percent %d" % a.holdout_percent if a.holdout_percent else "",
            " --no-bm25" if a.no_bm25 else ""),
        "fitted_on": "train-side QA sets of ../shared/data/train/qa (" + ", ".join(sorted(heads["dense"])) + "); " +
                     ("only questions whose paragraph train-prep held out of training" if a.holdout_percent else
                      "the model was trained on these files too") + "; no evaluation (dev) data",
        "train_side_ndcg10": {
            "all": round(best["all"][1], 4), "dense+sparse": round(best["dense+sparse"][1], 4),
            "all_paper_weights": round(avg(results[("all", (1.0, 0.3, 1.0, 0))]), 4),
            "all_without_bm25": [as_listed("all", best["all without bm25"][0]), round(best["all without bm25"][1], 4)],
            "dense+sparse_without_bm25": [as_listed("dense+sparse", best["dense+sparse without bm25"][0]),
                                          round(best["dense+sparse without bm25"][1], 4)],
            **{k: round(avg(v), 4) for k, v in heads.items()}},
    }
    print(json.dumps(doc, indent=2, ensure_ascii=False))
    if a.write:
        path = os.path.join(a.model, "m3_fusion.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        print("wrote " + path, file=sys.stderr)


if __name__ == "__main__":
    main()
