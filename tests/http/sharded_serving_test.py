#!/usr/bin/env python3
"""End-to-end test of sharded serving (README "Sharding"): a corpus indexed whole and as 2 shards
(`m3 index --shard I/2`), shard 0 served by two replicas, shard 1 by one, a coordinator
(`m3 serve --shard-map`) and a second one with --require-all-shards, all on loopback ephemeral ports.
Checks: every mode's search through the coordinator equals the unsharded server's; writes route to
the docid's shard (every replica of it); a killed replica is skipped; a shard with no replica left
gives 200 "partial" + "missing_shards", or 503 with --require-all-shards; hostile fields are 400.
Usage: sharded_serving_test.py --m3 build/m3 [--model tests/fixtures/tiny-m3]"""
import argparse, http.server, json, os, random, re, shutil, signal, subprocess, sys, tempfile, threading, time, urllib.request, urllib.error

HERE = os.path.dirname(os.path.abspath(__file__))


def request(url, body=None, method=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method or ("POST" if body is not None else "GET"),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


class Server:
    def __init__(self, m3, args, log):
        self.log = open(log, "w+")
        self.proc = subprocess.Popen([m3, "serve", "--port", "0", "--no-access-log", "--workers", "4"] + args,
                                     stderr=self.log, stdout=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            self.log.seek(0)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.log.read())
            if m:
                self.url = "http://127.0.0.1:" + m.group(1)
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.log.seek(0)
        raise SystemExit("server did not start: " + self.log.read())

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


class HostileShard(http.server.BaseHTTPRequestHandler):
    """A shard that misbehaves as its path says: slow (past the coordinator's timeout), garbage
    (200 with a body that is not JSON), huge (a reply past --max-shard-reply-bytes)."""
    kind = ""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.kind == "slow":
            time.sleep(3)
        body = {"garbage": b"{not json", "huge": b'{"hits": [], "pad": "' + b"x" * 2_000_000 + b'"}'}.get(self.kind, b'{"hits": []}')
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass

    def log_message(self, *args):
        pass


def hostile_shard(kind):
    handler = type("Hostile_" + kind, (HostileShard,), {"kind": kind})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, "http://127.0.0.1:%d" % srv.server_address[1]


def words(rng, n):
    syll = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "zu", "ha", "gi", "bo", "de"]
    return " ".join(rng.choice(syll) + rng.choice(syll) + rng.choice(["", rng.choice(syll)]) for _ in range(n))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--m3", required=True)
    ap.add_argument("--model", default=os.path.join(HERE, "..", "fixtures", "tiny-m3"))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="m3shard_")
    rng = random.Random(7)
    corpus = os.path.join(tmp, "corpus.jsonl")
    with open(corpus, "w") as f:
        for i in range(150):
            f.write(json.dumps({"docid": "doc%d" % i, "title": "", "text": words(rng, 5 + rng.randrange(20))}) + "\n")
    def index(out, *extra):
        subprocess.run([a.m3, "index", "--corpus", corpus, "--collection", out, "--model", a.model, "--quiet", "--threads", "1"] + list(extra),
                       check=True)
    for d in ["whole", "s0a", "s1", "empty"]:
        os.makedirs(os.path.join(tmp, d))
    index(os.path.join(tmp, "whole", "c"))
    index(os.path.join(tmp, "s0a", "c"), "--shard", "0/2")
    index(os.path.join(tmp, "s1", "c"), "--shard", "1/2")
    shutil.copytree(os.path.join(tmp, "s0a"), os.path.join(tmp, "s0b"))  # a replica: a copy of the shard
    servers = []
    try:
        def serve(name, *extra):
            s = Server(a.m3, list(extra), os.path.join(tmp, name + ".log"))
            servers.append(s)
            return s
        whole = serve("whole", "--data", os.path.join(tmp, "whole"))
        s0a = serve("s0a", "--data", os.path.join(tmp, "s0a"))
        s0b = serve("s0b", "--data", os.path.join(tmp, "s0b"))
        s1 = serve("s1", "--data", os.path.join(tmp, "s1"))
        shard_map = os.path.join(tmp, "shards.json")
        hostile = {k: hostile_shard(k) for k in ("slow", "garbage", "huge")}
        with open(shard_map, "w") as f:
            json.dump({"c": [[s0a.url, s0b.url], [s1.url]], "slow": [[hostile["slow"][1]]],
                       "garbage": [[hostile["garbage"][1]]], "huge": [[hostile["huge"][1]]]}, f)
        coord = serve("coord", "--data", os.path.join(tmp, "empty"), "--shard-map", shard_map, "--shard-timeout-ms", "1500",
                      "--max-shard-reply-bytes", "1000000")
        strict = serve("strict", "--data", os.path.join(tmp, "empty"), "--shard-map", shard_map, "--require-all-shards")

        # Each shard holds its part, together the corpus once.
        n = [request(u + "/collections/c")[1]["documents"] for u in (s0a.url, s1.url)]
        assert sum(n) == 150 and min(n) > 30, n
        # m3 index measured BM25's average length over the whole corpus file for each: the same.
        avgdl = [request(u + "/collections/c")[1]["bm25_avgdl"] for u in (whole.url, s0a.url, s1.url)]
        assert isinstance(avgdl[0], float) and avgdl[0] > 0 and avgdl.count(avgdl[0]) == 3, avgdl

        queries = ["kalo mine", "suta riponeve", "zuha gibo dede", "ta ta ri lo", "vezu"]
        failures = []
        # The fused modes also with a BM25 weight (BM25's top-depth pooled: a third round, round 1b).
        with_bm25 = {"dense+sparse": [2, 1, 0, 0.3], "all": [0.5, 1, 2.5, 0.3]}
        cases = [(m, None) for m in ["dense", "sparse", "multivec", "dense+sparse", "all", "bm25"]] + list(with_bm25.items())
        for mode, weights in cases:
            for q in queries:
                for k, offset in [(10, 0), (5, 3)]:
                    body = {"query": q, "mode": mode, "k": k, "offset": offset}
                    if weights:
                        body["weights"] = weights
                    st, want = request(whole.url + "/collections/c/search", body)
                    st2, got = request(coord.url + "/collections/c/search", body)
                    assert st == 200 and st2 == 200, (st, st2, got)
                    assert "partial" not in got, got
                    w = [(h["docid"], h["score"]) for h in want["hits"]]
                    g = [(h["docid"], h["score"]) for h in got["hits"]]
                    what = "%s%s / %s / k %d offset %d" % (mode, " %s" % weights if weights else "", q, k, offset)
                    if weights:
                        assert got.get("weights") == weights and want.get("weights") == weights, (got.get("weights"), want.get("weights"))
                    tol = 1e-4 if mode in ("dense", "multivec") else 0.02 * abs(w[0][1]) + 1e-4 if w else 0
                    if len(w) != len(g) or any(abs(x[1] - y[1]) > tol for x, y in zip(w, g)):
                        failures.append(what + ": scores %s vs %s" % (w, g))
                        continue
                    # A document clear of both page edges by more than the tolerance is on both pages
                    # (near an edge, equal or nearly equal scores may fall on either side of it).
                    first, last = (w[0][1], w[-1][1]) if w else (0, 0)
                    for x, y in ((w, g), (g, w)):
                        inner = {d for d, s in x if last + tol < s < first - tol}
                        if not inner <= {d for d, _ in y}:
                            failures.append(what + ": ids %s vs %s" % (w, g))
        assert not failures, "\n".join(failures)

        # Client mistakes are 4xx, never passed to shards as something else.
        assert request(coord.url + "/collections/c/search", {"query": "ka", "shard_scope": {}})[0] == 400
        assert request(coord.url + "/collections/c/search", {"query": "ka", "mode": "all", "fusion": "rrf"})[0] == 400
        assert request(coord.url + "/collections/c/search", {"query": "ka", "k": 1000, "offset": 500})[0] == 400
        assert request(coord.url + "/collections/c/search", {"query": "ka", "filter": {"nope": 1}})[0] == 400

        # Shards' replies are outside input: a timeout or an oversized reply is a failed shard
        # (partial), a reply that is not JSON a 502; the coordinator keeps serving.
        q = {"query": "ka", "mode": "dense"}
        st, r = request(coord.url + "/collections/slow/search", q)
        assert st == 200 and r.get("missing_shards") == [0], (st, r)
        st, r = request(coord.url + "/collections/huge/search", q)
        assert st == 200 and r.get("missing_shards") == [0], (st, r)
        st, r = request(coord.url + "/collections/garbage/search", q)
        assert st == 502 and r["error"]["code"] == "bad_shard_reply", (st, r)
        for kind, (srv, _) in hostile.items():
            srv.shutdown()

        # Writes route to the docid's shard, on every replica of it.
        st, r = request(coord.url + "/collections/c/documents", {"documents": [{"docid": "new-%d" % i, "text": words(rng, 6)} for i in range(6)]})
        assert st == 202, r
        assert request(coord.url + "/collections/c/commit", {})[0] == 200
        for i in range(6):
            d = "new-%d" % i
            held = [request(u + "/collections/c/documents/" + d)[0] == 200 for u in (s0a.url, s0b.url, s1.url)]
            assert held in ([True, True, False], [False, False, True]), (d, held)
            assert request(coord.url + "/collections/c/documents/" + d)[0] == 200
        assert request(coord.url + "/collections/c/documents/new-0", method="DELETE")[0] == 202
        assert request(coord.url + "/collections/c/commit", {})[0] == 200
        assert request(coord.url + "/collections/c/documents/new-0")[0] == 404

        # A replica killed: the other one answers, the result is complete.
        body = {"query": "kalo mine", "mode": "all", "k": 10}
        before = request(coord.url + "/collections/c/search", body)[1]["hits"]
        s0a.kill()
        for _ in range(3):  # whichever replica the rotation starts at
            st, r = request(coord.url + "/collections/c/search", body)
            assert st == 200 and "partial" not in r and r["hits"] == before, r
        # A shard with no replica left: never silently partial.
        s1.kill()
        st, r = request(coord.url + "/collections/c/search", body)
        assert st == 200 and r.get("partial") is True and r.get("missing_shards") == [1], r
        assert all(h["docid"] not in () for h in r["hits"])
        st, r = request(strict.url + "/collections/c/search", body)
        assert st == 503 and r["error"]["code"] == "shard_unavailable" and "shard 1" in r["error"]["message"], (st, r)
        st, r = request(coord.url + "/collections/c/documents", {"documents": [{"docid": d, "text": "x"} for d in ("a1", "a2", "a3", "a4")]})
        assert st == 503, (st, r)
        print("sharded serving: OK (%d modes and weightings x %d queries equal; failover, partial, 503 checked)" % (len(cases), len(queries)))
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
