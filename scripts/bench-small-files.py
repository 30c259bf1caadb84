#!/usr/bin/env python3
"""Many small files: `crumb index` (BM25 only) against Recoll's `recollindex`
on SciFact's 5,183 one-abstract text files, from empty, interleaved in one
run (issue 14). Each tool gets a fresh index every round.

Recoll set-up: Debian's `recollcmd` 1.34 (`apt-get install
--no-install-recommends recollcmd`), a fresh config dir whose recoll.conf
holds only `topdirs = DOCS`, `recollindex -c CONF -z` (reset, full index).

Usage: scripts/bench-small-files.py [--docs DIR] [--rounds 3]
           [--crumb PATH [--crumb PATH ...]]
"""
import argparse, json, os, shutil, statistics, subprocess, tempfile, time
from pathlib import Path

from devenv import ROOT  # also names the checkout's native libraries


def run_crumb(crumb, docs):
    data = Path(tempfile.mkdtemp(prefix="crumb-small-"))
    try:
        t = time.time()
        r = subprocess.run([crumb, "--data-dir", str(data), "index", str(docs), "--json",
                            "--embedder", "none"], capture_output=True, text=True, check=True)
        dt = time.time() - t
        return dt, json.loads(r.stdout)["indexed"]
    finally:
        shutil.rmtree(data, ignore_errors=True)


def run_recoll(docs):
    conf = Path(tempfile.mkdtemp(prefix="recoll-small-"))
    try:
        (conf / "recoll.conf").write_text(f"topdirs = {docs}\n")
        t = time.time()
        subprocess.run(["recollindex", "-c", str(conf), "-z"], capture_output=True, check=True)
        dt = time.time() - t
        out = subprocess.run(["recollq", "-c", str(conf), "-S", "mtime", "-n", "1", "-a", "the"],
                             capture_output=True, text=True)
        return dt, out.stdout.splitlines()[0] if out.stdout else ""
    finally:
        shutil.rmtree(conf, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", default=str(ROOT / ".cache/bench/scifact/docs"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--crumb", action="append")
    a = ap.parse_args()
    crumbs = a.crumb or [str(ROOT / "target/debug/crumb")]
    docs = Path(a.docs).resolve()
    if not docs.is_dir():
        raise SystemExit(f"{docs} missing: scripts/bench-scifact.py writes it")
    if not shutil.which("recollindex"):
        raise SystemExit("recollindex missing: apt-get install --no-install-recommends recollcmd")
    n = sum(1 for _ in docs.iterdir())
    times = {c: [] for c in crumbs}
    times["recoll"] = []
    for r in range(a.rounds):
        for c in crumbs:
            dt, indexed = run_crumb(c, docs)
            times[c].append(dt)
            print(f"round {r} crumb {c}: {dt:.2f}s ({indexed} indexed)", flush=True)
        dt, info = run_recoll(docs)
        times["recoll"].append(dt)
        print(f"round {r} recoll: {dt:.2f}s ({info})", flush=True)
    rec = statistics.median(times["recoll"])
    summary = {"files": n, "rounds": a.rounds, "recoll_median_s": round(rec, 2)}
    for c in crumbs:
        med = statistics.median(times[c])
        summary[c] = {"median_s": round(med, 2), "x_faster_than_recoll": round(rec / med, 2)}
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
