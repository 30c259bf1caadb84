#!/usr/bin/env python3
"""Search latency while the watcher applies a burst, embedder on (issue 14).

One `crumb serve --watch DOCS` process (the watcher writes; searches read their
own snapshot, as in the app), MiniLM embedder, no reranker. A client on
localhost sends hybrid searches one after another (SciFact test queries):

1. idle: after the start-up index, N searches;
2. burst: BURST new SciFact abstracts are copied into the watched folder at
   once, and searches run back to back until every file is indexed and every
   passage embedded (read from the catalog over a read-only connection).

Reports p50/p95/max for both, and how long the burst took. Usage:
    scripts/bench-while-indexing.py [--crumb PATH] [--base 1000] [--burst 4000]
"""
import argparse, http.client, json, os, shutil, sqlite3, subprocess, tempfile, time
from pathlib import Path

from devenv import ROOT, pct, served_port  # also names the checkout's native libraries
SCIFACT = ROOT / ".cache/bench/scifact/docs"
QUERIES = ROOT.parent / "shared/datasets/scifact/queries.jsonl"
MINILM = ROOT / ".cache/models/minilm"
TOKEN = "bench-while-indexing"



def counts(db):
    try:
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        files, = c.execute("SELECT count(*) FROM files").fetchone()
        passages, = c.execute("SELECT count(*) FROM passages").fetchone()
        vectors, = c.execute("SELECT count(*) FROM vectors").fetchone()
        c.close()
        return files, passages, vectors
    except sqlite3.Error:
        return 0, 0, 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crumb", default=str(ROOT / "target/debug/crumb"))
    ap.add_argument("--base", type=int, default=1000)
    ap.add_argument("--burst", type=int, default=4000)
    ap.add_argument("--idle", type=int, default=100)
    a = ap.parse_args()
    sources = sorted(SCIFACT.iterdir())
    if len(sources) < a.base + a.burst:
        raise SystemExit(f"need {a.base + a.burst} SciFact files in {SCIFACT}")
    queries = [json.loads(l)["text"] for l in QUERIES.read_text().splitlines() if l.strip()]
    work = Path(tempfile.mkdtemp(prefix="crumb-bench-busy-"))
    docs, data = work / "docs", work / "data"
    (docs / "base").mkdir(parents=True)
    for p in sources[: a.base]:
        shutil.copy(p, docs / "base" / p.name)
    env = dict(os.environ, CRUMB_API_TOKEN=TOKEN)
    t0 = time.time()
    proc = subprocess.Popen([a.crumb, "--data-dir", str(data), "serve", "--port", "0",
                             "--watch", str(docs), "--embedder", str(MINILM), "--reranker", "none"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    port = served_port(proc)
    db = data / "catalog.sqlite"

    def settled(n_files):
        f, p, v = counts(db)
        return f >= n_files and p > 0 and v == p

    while not settled(a.base):
        time.sleep(0.5)
    print(f"base: {a.base} files indexed and embedded in {time.time() - t0:.1f}s", flush=True)

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    qi = 0

    def search():
        nonlocal qi
        body = json.dumps({"query": queries[qi % len(queries)], "mode": "hybrid", "rerank": False})
        qi += 1
        t = time.time()
        conn.request("POST", "/v1/search", body=body,
                     headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            raise SystemExit(f"search answered {r.status}")
        return (time.time() - t) * 1000

    for _ in range(5):
        search()
    idle = [search() for _ in range(a.idle)]

    burst_dir = docs / "burst"
    tmp = work / "staging"
    tmp.mkdir()
    for p in sources[a.base: a.base + a.burst]:
        shutil.copy(p, tmp / p.name)
    start = time.time()
    tmp.rename(burst_dir)  # the whole burst appears at once
    busy = []
    keyword_done = None
    while True:
        busy.append(search())
        f, p, v = counts(db)
        if keyword_done is None and f >= a.base + a.burst:
            keyword_done = time.time() - start
        if f >= a.base + a.burst and v == p:
            break
        if time.time() - start > 1800:
            raise SystemExit("burst not absorbed in 30 minutes")
    burst_s = time.time() - start
    proc.terminate()
    proc.wait(timeout=60)
    print(json.dumps({
        "base_files": a.base, "burst_files": a.burst,
        "idle_searches": len(idle), "idle_p50_ms": round(pct(idle, 50), 1),
        "idle_p95_ms": round(pct(idle, 95), 1), "idle_max_ms": round(max(idle), 1),
        "busy_searches": len(busy), "busy_p50_ms": round(pct(busy, 50), 1),
        "busy_p95_ms": round(pct(busy, 95), 1), "busy_max_ms": round(max(busy), 1),
        "burst_keyword_indexed_s": round(keyword_done or burst_s, 1),
        "burst_all_embedded_s": round(burst_s, 1),
    }), flush=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
