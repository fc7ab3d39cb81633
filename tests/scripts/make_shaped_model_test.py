#!/usr/bin/python3
"""scripts/make_shaped_model.py writes a model directory in the public layout that m3 loads as it is:
a small shape here (the GPU machine writes the BGE-M3 one); the dense vector has the hidden size, the
ColBERT vectors one row per content token, and the config says what was asked for."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ap = argparse.ArgumentParser()
ap.add_argument("--m3", required=True)
a = ap.parse_args()
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "shaped")
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make_shaped_model.py"), out, "--layers", "3",
                    "--hidden", "48", "--heads", "6", "--ffn", "96", "--positions", "66", "--vocab", "30000"], check=True)
    cfg = json.load(open(os.path.join(out, "config.json")))
    assert (cfg["num_hidden_layers"], cfg["hidden_size"], cfg["num_attention_heads"], cfg["intermediate_size"],
            cfg["max_position_embeddings"], cfg["vocab_size"]) == (3, 48, 6, 96, 66, 30000), cfg
    r = subprocess.run([a.m3, "encode", "--model", out, "--max-length", "64"], input="hello world\nDatei nicht gefunden\n",
                       capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(rows) == 2, r.stdout[:500]
    for row in rows:
        assert len(row["dense"]) == 48, len(row["dense"])
        assert len(row["colbert"]) == len(row["input_ids"]) - 1, (len(row["colbert"]), len(row["input_ids"]))
    bad = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make_shaped_model.py"), os.path.join(tmp, "bad"),
                          "--hidden", "50", "--heads", "16"], capture_output=True, text=True)
    assert bad.returncode != 0 and "multiple" in bad.stderr, bad.stderr
print("make_shaped_model: ok")
