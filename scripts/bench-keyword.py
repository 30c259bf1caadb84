#!/usr/bin/env python3
"""Keyword queries at SciFact size (issue 14, `make bench-keyword`): in-process time per
query of `crumb search --queries` over SciFact's 300 test queries, BM25 only, 10 files
from 100 candidates, as the search path reports it ("ms": parse, compile, BM25, catalog
reads, snippets, the no-strong-match evidence).

Each build indexes SciFact's abstracts into its own fresh data dir (BM25 only), as a user's
`crumb index` would, so what a build does at the end of indexing (merging small segments)
counts; then the builds take turns, A B A B, `--rounds` times.

Usage: scripts/bench-keyword.py [--crumb PATH ...] [--rounds 3]   (run alone: /tmp/quiet-run.sh)
"""
import argparse, json, os, shutil, subprocess, tempfile
from pathlib import Path

from devenv import ROOT, pct, scifact_test_queries  # also names the checkout's native libraries



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crumb", action="append")
    ap.add_argument("--docs", default=str(ROOT / ".cache/bench/scifact/docs"))
    ap.add_argument("--queries", help="id<TAB>query lines (default: SciFact's 300 test queries)")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    crumbs = [str(Path(c).resolve()) for c in (a.crumb or [ROOT / "target/release/crumb"])]
    if not Path(a.docs).is_dir():
        raise SystemExit(f"{a.docs} missing: scripts/bench-scifact.py writes it")
    work = Path(tempfile.mkdtemp(prefix="crumb-keyword-"))
    try:
        if not a.queries:
            a.queries = str(work / "queries.tsv")
            Path(a.queries).write_text(
                "".join(f"{i}\t{t}\n" for i, t in scifact_test_queries().items()))
        data = {}
        for i, c in enumerate(crumbs):
            data[c] = work / f"data-{i}"
            subprocess.run([c, "--data-dir", str(data[c]), "index", a.docs, "--embedder", "none"],
                           check=True, capture_output=True)
            meta = json.loads((data[c] / "lexical/meta.json").read_text())
            print(f"{c}: index of {len(meta['segments'])} segment(s)", flush=True)
        res = {c: {"p50": [], "p95": []} for c in crumbs}
        print(f"load average at start: {os.getloadavg()}", flush=True)
        for r in range(a.rounds):
            for c in crumbs:
                out = subprocess.run(
                    [c, "--data-dir", str(data[c]), "search", "--mode", "bm25", "--limit", "10",
                     "--rerank-top", "0", "--queries", a.queries],
                    check=True, capture_output=True, text=True).stdout
                ms = [json.loads(l)["ms"] for l in out.splitlines() if l.strip()]
                res[c]["p50"].append(round(pct(ms, 50), 3))
                res[c]["p95"].append(round(pct(ms, 95), 3))
                print(f"round {r} {c}: p50 {pct(ms, 50):.3f} ms, p95 {pct(ms, 95):.3f} ms "
                      f"({len(ms)} queries)", flush=True)
        print(f"load average at end: {os.getloadavg()}", flush=True)
        print(json.dumps(res), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
