#!/usr/bin/python3
"""scripts/index_distributed.py on a Dask LocalCluster of 3 worker processes, 3 shards, a 400-document
corpus committed every 20 documents, with shard 1's first attempt SIGKILLed right after its first
commit: Dask re-runs it (retries=), the re-run resumes from that commit, and the union of the
shards holds exactly the corpus's documents, each once (every docid fetched from every shard).
Usage: index_distributed_test.py --m3 build/m3 [--model tests/fixtures/tiny-m3]"""
import argparse, json, os, random, re, shutil, subprocess, sys, tempfile, time, urllib.request, urllib.error

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")


def status(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--m3", required=True)
    ap.add_argument("--model", default=os.path.join(ROOT, "tests", "fixtures", "tiny-m3"))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="m3dask_")
    rng = random.Random(3)
    corpus = os.path.join(tmp, "corpus.jsonl")
    ids = ["d%d-%d" % (i, rng.randrange(1 << 30)) for i in range(400)]
    with open(corpus, "w") as f:
        for d in ids:
            f.write(json.dumps({"docid": d, "text": " ".join(rng.choice(["kalo", "mine", "suta", "ve", "zu", "hagi"]) for _ in range(12))}) + "\n")
    out = os.path.join(tmp, "shards")
    env = dict(os.environ, M3_TEST_KILL_SHARD="1", M3_TEST_KILL_MARKER=os.path.join(tmp, "killed"))
    run = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "index_distributed.py"), "--m3", a.m3, "--corpus", corpus,
                          "--out", out, "--shards", "3", "--workers", "3", "--", "--model", a.model, "--commit-every", "20"],
                         env=env, capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        sys.exit("index_distributed.py failed:\n" + run.stdout + run.stderr[-5000:])
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert os.path.exists(os.path.join(tmp, "killed")), "the kill hook did not fire"
    assert result["total"] == len(ids), result
    assert 1 in result["resumed"], result  # the killed shard's re-run resumed from its first commit
    # Every document on exactly one shard: serve the three shard collections, fetch every docid.
    log = open(os.path.join(tmp, "serve.log"), "w+")
    srv = subprocess.Popen([a.m3, "serve", "--data", out, "--port", "0", "--no-access-log"], stderr=log, stdout=log)
    try:
        url = None
        for _ in range(600):
            log.seek(0)
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", log.read())
            if m:
                url = m.group(1)
                break
            time.sleep(0.1)
        assert url, "server did not start"
        for d in ids:
            held = [s for s in range(3) if status("%s/collections/shard-%d/documents/%s" % (url, s, d)) == 200]
            assert len(held) == 1, (d, held)
    finally:
        srv.terminate()
        srv.wait()
    print("index_distributed: OK", json.dumps(result))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
