#!/usr/bin/env python3
"""Load benchmark of the local API (`make bench-api`).

What: 16 concurrent clients for 60 s on loopback against one release
`crumb serve`, each looping over a mix of `POST /v1/search` (hybrid, reranked,
SciFact queries) and `POST /v1/rerank` (a query and 8 SciFact abstracts),
3 searches to 1 rerank. Reports p50/p95 per kind, throughput, errors, and the
server's RSS before the load (after a warm-up) and after it.
Corpus: the first N SciFact abstracts (default 1000) as text files, indexed
with MiniLM; reranker: mxbai-rerank-xsmall-v1's architecture (random weights,
the real cost). Loopback only, bounded in time.

Usage: scripts/bench-api.py --crumb target/release/crumb [--clients 16]
       [--seconds 60] [--docs 1000]
"""

import argparse
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from devenv import pct, served_port

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CRUMB_SHARED", ROOT.parent / "shared"))
SCIFACT = SHARED / "datasets/scifact"
MINILM = ROOT / ".cache/models/minilm"
RERANKER = SHARED / "models/mxbai-rerank-xsmall-v1-arch-random"
TOKEN = "bench-" + os.urandom(8).hex()


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crumb", default=str(ROOT / "target/release/crumb"))
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--docs", type=int, default=1000)
    a = ap.parse_args()
    for p in (SCIFACT, MINILM, RERANKER, Path(a.crumb)):
        if not p.exists():
            sys.exit(f"missing {p} (make setup; ../shared beside the checkout; cargo build --release)")
    tmp = Path(tempfile.mkdtemp(prefix="crumb-bench-api-"))
    server = None
    try:
        docs, abstracts = tmp / "docs", []
        docs.mkdir()
        with open(SCIFACT / "corpus.jsonl") as f:
            for i, line in enumerate(f):
                if i >= a.docs:
                    break
                d = json.loads(line)
                (docs / f"{d['_id']}.txt").write_text(f"{d['title']}\n\n{d['text']}\n")
                abstracts.append(d["text"])
        queries = [json.loads(line)["text"] for line in open(SCIFACT / "queries.jsonl")]
        data = tmp / "data"
        t0 = time.time()
        subprocess.run([a.crumb, "index", str(docs), "--data-dir", str(data), "--embedder", str(MINILM)],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        print(f"indexed {a.docs} abstracts in {time.time() - t0:.0f} s", flush=True)
        env = dict(os.environ, CRUMB_API_TOKEN=TOKEN, CRUMB_CONFIG_DIR=str(tmp / "config"))
        server = subprocess.Popen(
            [a.crumb, "serve", "--port", "0", "--data-dir", str(data), "--embedder", str(MINILM),
             "--reranker", str(RERANKER)], stdout=subprocess.PIPE, cwd=ROOT, env=env, text=True)
        port = served_port(server)

        def call(conn, path, body):
            conn.request("POST", path, body=json.dumps(body), headers={
                "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
            r = conn.getresponse()
            payload = r.read()
            return r.status, payload

        def job(rng):
            if rng.random() < 0.75:
                return "search", "/v1/search", {"query": rng.choice(queries), "limit": 10}
            return "rerank", "/v1/rerank", {"query": rng.choice(queries),
                                            "documents": rng.sample(abstracts, 8), "top_n": 3}

        # Warm-up: the vector index loads on the first search.
        warm = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for i in range(4):
            call(warm, *job(random.Random(i))[1:])
        warm.close()
        rss_before = rss_kib(server.pid)
        lat = {"search": [], "rerank": []}
        errors = []
        lock = threading.Lock()
        deadline = time.time() + a.seconds

        def client(n):
            rng = random.Random(1000 + n)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            while time.time() < deadline:
                kind, path, body = job(rng)
                t = time.perf_counter()
                try:
                    status, payload = call(conn, path, body)
                except Exception as e:  # a dropped connection is an error too
                    with lock:
                        errors.append(repr(e))
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                    continue
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    if status == 200:
                        lat[kind].append(ms)
                    else:
                        errors.append(f"{status} {payload[:200]!r}")
            conn.close()

        started = time.time()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(a.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.time() - started
        rss_after = rss_kib(server.pid)
        total = sum(len(v) for v in lat.values())
        print(f"{a.clients} clients, {elapsed:.0f} s, {a.docs} SciFact abstracts, 3 searches : 1 rerank (8 docs)")
        for kind, xs in lat.items():
            print(f"  {kind:<6} n={len(xs):>5}  p50 {pct(xs, 50):7.0f} ms  p95 {pct(xs, 95):7.0f} ms")
        print(f"  throughput {total / elapsed:.1f} requests/s; errors {len(errors)}")
        print(f"  server RSS {rss_before / 1024:.0f} MiB before, {rss_after / 1024:.0f} MiB after")
        for e in errors[:5]:
            print(f"  error: {e}")
        if errors:
            sys.exit(1)
    finally:
        if server:
            server.terminate()
            server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
