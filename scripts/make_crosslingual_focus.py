#!/usr/bin/env python3
"""Writes the cross-lingual focus sets for a CPU continuation (scripts/train_cpu_crosslingual.sh).

The only cross-lingual retrieval training data allowed here is AfriQA train + dev (questions in
eight African languages -> English/French passages, with English/French translations of the
questions). The general mix holds it once among ~185k examples; this script writes it as its own
files so the continuation can repeat it, plus the question translations as parallel pairs:

  OUT/xl-afriqa-qp.jsonl   question (original and translated) -> its gold passage
  OUT/xl-afriqa-qq.jsonl   original question -> its English/French translation

Decontamination: a training row is dropped when its original or translated question also occurs in
the AfriQA *test* files of ../shared/data/dev (the data README's note 3: 42 twi test questions repeat
train/dev ones). Only the question strings of the test files are read, and only to exclude them.

Usage: python3 scripts/make_crosslingual_focus.py [--shared ../shared] [--out .device/focus]
"""
import argparse
import glob
import gzip
import json
import os


def rows(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


def text(row, field):
    value = row.get(field)
    return value.strip() if isinstance(value, str) else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--shared", default=os.path.join(root, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(root, ".device", "focus"))
    a = ap.parse_args()

    test_questions = set()
    for path in glob.glob(os.path.join(a.shared, "data/dev/retrieval/afriqa/*.test.json.gz")):
        for r in rows(path):
            test_questions.update(q for q in (text(r, "question_lang"), text(r, "question_translated")) if q)
    if not test_questions:
        raise SystemExit("no AfriQA test questions found under %s/data/dev (wrong --shared?)" % a.shared)

    train_files = sorted(glob.glob(os.path.join(a.shared, "data/train/qa/afriqa/*.json.gz")))
    if not train_files:
        raise SystemExit("no AfriQA training files under %s/data/train/qa/afriqa" % a.shared)
    os.makedirs(a.out, exist_ok=True)
    kept = dropped = 0
    with open(os.path.join(a.out, "xl-afriqa-qp.jsonl.part"), "w", encoding="utf-8") as qp, \
         open(os.path.join(a.out, "xl-afriqa-qq.jsonl.part"), "w", encoding="utf-8") as qq:
        for path in train_files:
            for r in rows(path):
                q, t, passage = text(r, "question_lang"), text(r, "question_translated"), text(r, "context")
                if q in test_questions or t in test_questions:
                    dropped += 1
                    continue
                kept += 1
                for query in (q, t):
                    if query and passage:
                        qp.write(json.dumps({"query": query, "pos": [passage], "neg": []}, ensure_ascii=False) + "\n")
                if q and t:
                    qq.write(json.dumps({"query": q, "pos": [t], "neg": []}, ensure_ascii=False) + "\n")
    for name in ("xl-afriqa-qp.jsonl", "xl-afriqa-qq.jsonl"):
        os.replace(os.path.join(a.out, name + ".part"), os.path.join(a.out, name))
    print("AfriQA rows kept %d, dropped as test duplicates %d -> %s" % (kept, dropped, a.out))


if __name__ == "__main__":
    main()
