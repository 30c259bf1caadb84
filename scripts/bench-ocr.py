#!/usr/bin/env python3
"""OCR accuracy and speed, Crumb against tesseract 5, side by side on the same pages.

Pages: text pages of the PDFs in ../shared/corpus (pages whose pdftotext text has 300-4000
characters, mostly letters; at most 3 pages per PDF, files in sorted order), rendered to greyscale
PNG with pdftoppm at each resolution. Ground truth: pdftotext's text of the same page.
Each page is read by Crumb (examples/ocr-images, one long-lived process, models loaded once) and
by tesseract (one process per page, `-l eng`, as Recoll runs it), in alternating order page by
page, so both see the same machine state.
Metrics: CER and WER (Levenshtein distance over NFKC-normalised text with whitespace collapsed,
divided by the reference length, summed over pages), and pages/s (wall time per page).

Usage: scripts/bench-ocr.py --crumb PATH/TO/ocr-images [--pages 200] [--dpi 150 300]
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time, unicodedata
from pathlib import Path
import numpy as np


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    return " ".join(s.split())


def levenshtein(a, b):
    """Edit distance of two sequences (row by row, vectorised with numpy)."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    codes = {}
    ai = np.array([codes.setdefault(x, len(codes)) for x in a], dtype=np.int64)
    bi = np.array([codes.setdefault(x, len(codes)) for x in b], dtype=np.int64)
    idx = np.arange(len(bi) + 1, dtype=np.int64)
    prev = idx.copy()
    for i, ca in enumerate(ai, 1):
        sub = prev[:-1] + (bi != ca)
        dele = prev[1:] + 1
        tmp = np.empty_like(prev)
        tmp[0] = i
        tmp[1:] = np.minimum(sub, dele)
        # insertions: cur[j] = min_k<=j tmp[k] + (j - k)
        prev = np.minimum.accumulate(tmp - idx) + idx
    return int(prev[-1])


def pick_pages(corpus, want):
    pages = []
    for pdf in sorted(Path(corpus).rglob("*.pdf")):
        try:
            info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=30).stdout
        except subprocess.TimeoutExpired:
            continue
        n = next((int(l.split()[1]) for l in info.splitlines() if l.startswith("Pages:")), 0)
        taken = 0
        for p in range(1, min(n, 12) + 1):
            try:
                t = subprocess.run(["pdftotext", "-q", "-f", str(p), "-l", str(p), str(pdf), "-"],
                                   capture_output=True, text=True, timeout=30).stdout
            except subprocess.TimeoutExpired:
                break
            t = norm(t)
            letters = sum(c.isalpha() for c in t)
            if 300 <= len(t) <= 4000 and letters > 0.6 * len(t) and sum(c.isascii() for c in t) > 0.9 * len(t):
                pages.append((pdf, p, t))
                taken += 1
                if taken == 3:
                    break
        if len(pages) >= want:
            break
    return pages[:want]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crumb", required=True)
    ap.add_argument("--corpus", default=str(Path(__file__).resolve().parent.parent.parent / "shared/corpus"))
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--dpi", type=int, nargs="+", default=[150, 300])
    args = ap.parse_args()
    pages = pick_pages(args.corpus, args.pages)
    print(f"{len(pages)} pages from {len({p for p, _, _ in pages})} PDFs", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="bench-ocr-"))
    crumb = subprocess.Popen([args.crumb], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    results = {}
    for dpi in args.dpi:
        tot = {e: {"chars": 0, "cerr": 0, "words": 0, "werr": 0, "secs": 0.0} for e in ("crumb", "tesseract")}
        for i, (pdf, p, ref) in enumerate(pages):
            base = work / f"{i:04d}-{dpi}"
            subprocess.run(["pdftoppm", "-q", "-r", str(dpi), "-f", str(p), "-l", str(p), "-gray", "-png",
                            "-singlefile", str(pdf), str(base)], check=True, timeout=120)
            png = f"{base}.png"
            out = {}
            order = ("crumb", "tesseract") if i % 2 == 0 else ("tesseract", "crumb")
            for engine in order:
                t0 = time.perf_counter()
                if engine == "crumb":
                    crumb.stdin.write(png + "\n")
                    crumb.stdin.flush()
                    row = json.loads(crumb.stdout.readline())
                    text = row.get("text", "")
                else:
                    text = subprocess.run(["tesseract", png, "stdout", "-l", "eng"], capture_output=True,
                                          text=True, timeout=300).stdout
                out[engine] = (norm(text), time.perf_counter() - t0)
            for engine, (hyp, secs) in out.items():
                t = tot[engine]
                t["chars"] += len(ref)
                t["cerr"] += levenshtein(ref, hyp)
                t["words"] += len(ref.split())
                t["werr"] += levenshtein(ref.split(), hyp.split())
                t["secs"] += secs
            os.remove(png)
            if i % 20 == 19:
                print(f"  {dpi} dpi: {i + 1} pages", file=sys.stderr)
        results[dpi] = tot
    crumb.stdin.close()
    crumb.wait()
    shutil.rmtree(work, ignore_errors=True)
    print(f"| dpi | engine | pages | CER | WER | pages/s | s/page |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for dpi, tot in results.items():
        for engine, t in tot.items():
            print(f"| {dpi} | {engine} | {len(pages)} | {100 * t['cerr'] / t['chars']:.2f}% | "
                  f"{100 * t['werr'] / t['words']:.2f}% | {len(pages) / t['secs']:.2f} | {t['secs'] / len(pages):.2f} |")
    print(json.dumps({str(k): v for k, v in results.items()}), file=sys.stderr)


if __name__ == "__main__":
    main()
