#!/usr/bin/env python3
"""Indexing throughput of `crumb index` on a folder (default: the shared
personal-documents corpus), from an empty data dir. Prints files/s and MB/s
and the per-type outcome. Usage: scripts/bench-index.py [FOLDER] [--crumb PATH]"""
import argparse, json, os, shutil, subprocess, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", nargs="?", default=str(ROOT.parent / "shared/corpus/files"))
    ap.add_argument("--crumb", default=str(ROOT / "target/release/crumb"))
    ap.add_argument("--embedder", default="none")
    a = ap.parse_args()
    total_bytes = sum(p.stat().st_size for p in Path(a.folder).rglob("*") if p.is_file())
    data = Path(tempfile.mkdtemp(prefix="crumb-bench-"))
    try:
        t0 = time.time()
        r = subprocess.run([a.crumb, "--data-dir", str(data), "index", a.folder, "--json",
                            "--embedder", a.embedder], check=True, capture_output=True, text=True)
        dt = time.time() - t0
        rep = json.loads(r.stdout)
        n = rep["seen"]
        print(f"{n} files, {total_bytes / 1e6:.1f} MB in {dt:.1f}s: "
              f"{n / dt:.1f} files/s, {total_bytes / 1e6 / dt:.2f} MB/s "
              f"({rep['indexed']} indexed, {rep['skipped']} skipped, {rep['failed']} failed, "
              f"{rep['passages']} passages)")
        st = json.loads(subprocess.run([a.crumb, "--data-dir", str(data), "status", "--json"],
                                       check=True, capture_output=True, text=True).stdout)
        for kind, c in sorted(st["by_type"].items()):
            print(f"  {kind:<9} indexed {c['indexed']:>4}  failed {c['failed']:>4}  skipped {c['skipped']:>4}")
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
