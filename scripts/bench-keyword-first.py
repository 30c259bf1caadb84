#!/usr/bin/env python3
"""How soon the text files of a folder with scans are keyword-searchable.

Copies FOLDER (default: the shared corpus, which holds image-only PDFs) into a
scratch folder and adds MARKERS small text files, spread over its folders,
each holding the word `zqmarkerword`. Then, for each `crumb` binary given
(LABEL=PATH), from an empty data dir: starts `crumb index` (no embedder) and
polls `crumb search zqmarkerword` (a read-only process, as a user's search
beside indexing is) every 0.2 s, recording when every marker is found; then
either waits for the index run to end (--full) or stops it.

With text recognition in line (main 435d80f), a batch holding a scan commits
only after its pages are read, so some markers wait for OCR; with the second
stage they are found once the first stage has committed.

Also, with --no-ocr-runs N: N timed `crumb index --no-ocr` runs of FOLDER's
copy per binary (fresh data dir each), to check the first stage costs nothing
when OCR is off.

    python3 scripts/bench-keyword-first.py before=/tmp/crumb-base after=target/debug/crumb
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import devenv  # noqa: E402,F401  (names ONNX Runtime, pdfium and the OCR models)

WORD = "zqmarkerword"


def make_folder(src: Path, dst: Path, markers: int) -> int:
    shutil.copytree(src, dst, symlinks=False)
    dirs = sorted({p.parent for p in dst.rglob("*") if p.is_file()})
    step = max(1, len(dirs) // markers)
    chosen = dirs[::step][:markers]
    for i, d in enumerate(chosen):
        (d / f"marker-{i:03}.txt").write_text(f"{WORD} marker number {i}\n")
    return len(chosen)


def found(crumb: str, data: Path) -> int:
    out = subprocess.run(
        [crumb, "--data-dir", str(data), "search", WORD, "--json", "--limit", "1000",
         "--mode", "bm25", "--embedder", "none", "--reranker", "none"],
        capture_output=True, text=True)
    if out.returncode != 0:
        return 0
    try:
        return sum(1 for h in json.loads(out.stdout) if Path(h["path"]).name.startswith("marker-"))
    except (ValueError, KeyError, TypeError):
        return 0


def keyword_first(label: str, crumb: str, folder: Path, markers: int, full: bool) -> dict:
    data = Path(tempfile.mkdtemp(prefix=f"kwfirst-{label}-"))
    started = time.monotonic()
    proc = subprocess.Popen(
        [crumb, "--data-dir", str(data), "index", str(folder), "--embedder", "none", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    all_found = None
    while proc.poll() is None:
        if found(crumb, data) >= markers:
            all_found = time.monotonic() - started
            break
        time.sleep(0.2)
    report = {}
    if all_found is not None and not full:
        proc.terminate()
        proc.wait()
        total = None
    else:
        out, _ = proc.communicate()
        total = time.monotonic() - started
        if all_found is None and found(crumb, data) >= markers:
            all_found = total
        try:
            report = json.loads(out)
        except ValueError:
            report = {}
    shutil.rmtree(data, ignore_errors=True)
    return {"label": label, "markers_found_s": all_found, "index_s": total,
            "keyword_seconds": report.get("keyword_seconds"),
            "recognised_pages": report.get("recognised_pages"), "indexed": report.get("indexed")}


def no_ocr(label: str, crumb: str, folder: Path) -> float:
    data = Path(tempfile.mkdtemp(prefix=f"noocr-{label}-"))
    t = time.monotonic()
    subprocess.run([crumb, "--data-dir", str(data), "index", str(folder), "--no-ocr",
                    "--embedder", "none"], check=True, capture_output=True)
    elapsed = time.monotonic() - t
    shutil.rmtree(data, ignore_errors=True)
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("binaries", nargs="+", help="LABEL=PATH of a crumb binary")
    ap.add_argument("--folder", default=str(devenv.ROOT.parent / "shared/corpus/files"))
    ap.add_argument("--markers", type=int, default=20)
    ap.add_argument("--full", action="store_true", help="wait for each index run to end")
    ap.add_argument("--no-ocr-runs", type=int, default=0)
    ap.add_argument("--skip-keyword", action="store_true")
    args = ap.parse_args()
    bins = [b.split("=", 1) for b in args.binaries]
    scratch = Path(tempfile.mkdtemp(prefix="kwfirst-folder-"))
    folder = scratch / "docs"
    n = make_folder(Path(args.folder), folder, args.markers)
    print(f"folder: {args.folder} + {n} marker files; load {open('/proc/loadavg').read().split()[:3]}",
          flush=True)
    if not args.skip_keyword:
        for label, crumb in bins:
            print(json.dumps(keyword_first(label, crumb, folder, n, args.full)), flush=True)
    for i in range(args.no_ocr_runs):
        for label, crumb in bins:
            print(json.dumps({"label": label, "run": i, "no_ocr_index_s": round(no_ocr(label, crumb, folder), 3)}),
                  flush=True)
    print(f"load {open('/proc/loadavg').read().split()[:3]}", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
