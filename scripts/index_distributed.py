#!/usr/bin/python3
"""Bulk indexing as a distributed job: one Dask task per shard, each running
`m3 index --shard I/N --collection OUT/shard-I` as a subprocess (README "Sharding").

Why Dask (Debian's python3-distributed): Python is already here, a LocalCluster runs the same code on
one machine (tests, a workstation), `retries=` re-runs a task whose process died, and the same
script attaches to a cluster on many machines (`--scheduler tcp://host:8786`, or dask-jobqueue on
Slurm). A re-run resumes: `m3 index` records in every commit how far into the corpus it got (lines,
bytes, content hash, and the shard spec), so the second attempt continues after the last commit;
documents are upserted by docid, so nothing is indexed twice.

Usage:
  scripts/index_distributed.py --m3 build/m3 --corpus C.jsonl --out DIR --shards 4 [--workers 4]
      [--threads-per-task 1] [--scheduler tcp://host:8786] [--retries 2] [-- extra m3 index flags]
Prints one JSON line: shards, documents per shard, seconds, documents/s.

Test hook: M3_TEST_KILL_SHARD=I and M3_TEST_KILL_MARKER=FILE make shard I's first attempt SIGKILL its
m3 process right after its first commit (and fail), once (the marker file records it was done).
"""
import argparse, json, os, signal, subprocess, sys, time


def index_shard(m3, corpus, out, shard, shards, threads, extra):
    """One Dask task: index shard `shard` of `shards`; returns (shard, (documents in the collection,
    whether this attempt resumed from an earlier one's last commit))."""
    coll = os.path.join(out, "shard-%d" % shard)
    cmd = [m3, "index", "--corpus", corpus, "--collection", coll, "--shard", "%d/%d" % (shard, shards),
           "--threads", str(threads), "--quiet"] + list(extra)
    kill_shard = os.environ.get("M3_TEST_KILL_SHARD")
    marker = os.environ.get("M3_TEST_KILL_MARKER", "")
    if kill_shard is not None and int(kill_shard) == shard and marker and not os.path.exists(marker):
        proc = subprocess.Popen(cmd)
        manifest = os.path.join(coll, "MANIFEST")
        while proc.poll() is None:  # the first commit: a MANIFEST whose ingest record has lines
            try:
                with open(manifest) as f:
                    if '"lines"' in f.read():
                        break
            except OSError:
                pass
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        open(marker, "w").write("killed shard %d after its first commit\n" % shard)
        raise RuntimeError("test: shard %d killed after its first commit" % shard)
    run = subprocess.run(cmd, capture_output=True, text=True)
    sys.stderr.write(run.stderr)
    if run.returncode != 0:
        raise RuntimeError("shard %d: m3 index failed (%d): %s" % (shard, run.returncode, run.stderr[-2000:]))
    info = subprocess.run([m3, "info", "--collection", coll, "--json"], check=True, capture_output=True, text=True)
    return shard, (json.loads(info.stdout).get("documents"), "resumed after line" in run.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--m3", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out", required=True, help="directory for shard-0 .. shard-N-1")
    ap.add_argument("--shards", type=int, required=True)
    ap.add_argument("--workers", type=int, default=0, help="LocalCluster worker processes (default: --shards)")
    ap.add_argument("--threads-per-task", type=int, default=1, help="m3 index --threads of each task")
    ap.add_argument("--scheduler", default="", help="attach to this Dask scheduler instead of a LocalCluster")
    ap.add_argument("--retries", type=int, default=2)
    ap.add_argument("extra", nargs="*", help="more m3 index flags (after --)")
    a = ap.parse_args()
    if not 1 <= a.shards <= 1024:
        sys.exit("--shards must be in 1..1024")
    from dask.distributed import Client, LocalCluster
    os.makedirs(a.out, exist_ok=True)
    m3 = os.path.abspath(a.m3)
    cluster = None
    if a.scheduler:
        client = Client(a.scheduler)
    else:
        cluster = LocalCluster(n_workers=a.workers or a.shards, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    t0 = time.time()
    try:
        futures = [client.submit(index_shard, m3, os.path.abspath(a.corpus), os.path.abspath(a.out), i, a.shards,
                                 a.threads_per_task, a.extra, retries=a.retries, pure=False, key="m3-index-shard-%d" % i)
                   for i in range(a.shards)]
        results = dict(client.gather(futures))
    finally:
        client.close()
        if cluster:
            cluster.close()
    seconds = time.time() - t0
    total = sum(n for n, _ in results.values())
    print(json.dumps({"shards": a.shards, "documents": [results[i][0] for i in range(a.shards)], "total": total,
                      "resumed": [i for i in range(a.shards) if results[i][1]],
                      "seconds": round(seconds, 2), "docs_per_s": round(total / seconds, 1)}))


if __name__ == "__main__":
    main()
