#!/usr/bin/env python3
"""An independent check of `m3 eval --runs`: nDCG@10 (trec_eval's ndcg_cut.10: linear gain, log2(rank+1)),
Recall@100 and MRR@10 of a TREC run against qrels, by trec_eval's default conventions (ranking by score
descending then docid descending, a repeated docid once, only the run's queries with a relevant judgement
averaged; -c averages the other judged queries as 0). Standard library only.
Usage: scripts/trec_metrics.py QRELS RUN [-c]"""
import math
import sys
from collections import defaultdict


def main():
    qrels_path, run_path = sys.argv[1], sys.argv[2]
    complete = "-c" in sys.argv[3:]
    qrels = defaultdict(dict)
    for line in open(qrels_path):
        if line.strip():
            q, _, d, r = line.split()
            qrels[q][d] = max(int(r), qrels[q].get(d, int(r)))
    run = defaultdict(list)
    for line in open(run_path):
        if line.strip():
            q, _, d, _, s, _ = line.split()
            run[q].append((float(s), d))
    judged = {q for q, j in qrels.items() if any(g > 0 for g in j.values())}
    queries = sorted(judged if complete else judged & set(run))
    total = [0.0, 0.0, 0.0]
    for q in queries:
        seen, ranked = set(), []
        for s, d in sorted(run.get(q, []), key=lambda x: (x[0], x[1]), reverse=True):
            if d not in seen:
                seen.add(d)
                ranked.append(d)
        j = qrels[q]
        gains = [max(0, j.get(d, 0)) for d in ranked]
        dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains[:10]))
        ideal = sorted((g for g in j.values() if g > 0), reverse=True)
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal[:10]))
        rel = sum(1 for g in j.values() if g > 0)
        total[0] += dcg / idcg
        total[1] += sum(1 for g in gains[:100] if g > 0) / rel
        total[2] += next((1 / (i + 1) for i, g in enumerate(gains[:10]) if g > 0), 0)
    n = len(queries)
    print("queries %d nDCG@10 %.4f R@100 %.4f MRR@10 %.4f" % (n, total[0] / n, total[1] / n, total[2] / n))


if __name__ == "__main__":
    main()
