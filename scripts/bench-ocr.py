#!/usr/bin/env python3
"""OCR accuracy and speed, Crumb against tesseract 5, side by side on the same pages.

Pages (the selection rule, fixed before any result was looked at):
  1. the corpus's text PDFs (../shared/corpus, files in sorted order): the first pages among the
     first 12 that pass the text filter, at most 3 per PDF;
  2. the Debian manuals (.cache/debian-docs, sorted): in three rounds, every manual's page at 1/2,
     then at 1/4, then at 3/4 of its length (the first page from there, at most 5 on, that passes
     the filter and is not taken yet), until --pages pages are chosen.
  Text filter: pdftotext's page text has 300-4000 characters (whitespace collapsed), over 60%
  letters and over 90% ASCII, i.e. a page of running Latin text, not a title page or a table of
  numbers.
Ground truth: pdftotext's text of the page (reading-order mode). Each page is rendered by pdftoppm
to greyscale PNG at each resolution and read by Crumb (examples/ocr-images, one long-lived process,
models loaded once) and by tesseract (one process per page, `-l eng`, as Recoll runs it), taking
turns page by page, so both see the same machine state.

Metrics, computed the same way for both engines:
  normalisation: NFKC (folds ligatures such as "fi"), typographic quotes and dashes to ASCII, soft
  hyphens dropped, whitespace collapsed within a line, empty lines dropped, a word hyphenated at
  a line's end joined again (pdftotext joins some of them itself).
  CER/WER "flexible": reading-order independent, after the flexible character accuracy of
  Clausner et al. (ICDAR 2020), see flexible_errors(): lines are matched piece by piece, best fit
  first, wherever they are on the page, so a header read first, two columns, or a line number
  that pdftotext puts on a line of its own cost nothing, while every character misread, missed
  or invented still counts. Errors over the reference's characters (words), summed over pages.
  CER/WER "page": the whole page as one string against the whole hypothesis (the earlier metric):
  it also counts reading-order differences (a header read first, columns, figure labels), which
  say nothing about whether the words were recognised and are what a search ignores.
  pages/s: wall time per page, only for engines run in this invocation.

Usage: scripts/bench-ocr.py --crumb PATH/TO/ocr-images [--pages 210] [--dpi 150 300]
         [--cache DIR] [--only crumb|tesseract] [--reuse ENGINE [--partial]] [--list]
  --cache keeps each engine's text per page (and its time) in DIR; --reuse ENGINE reads that
  engine's text from the cache instead of running it (CER only, no pages/s), so the metric or
  Crumb's pipeline can be re-measured without re-running tesseract.
"""
import argparse, hashlib, json, os, shutil, subprocess, sys, tempfile, time, unicodedata
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TYPO = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                      "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
                      "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
                      "\u2015": "-", "\u2212": "-", "\u00ad": None, "\f": "\n"})


def lines_of(s):
    s = unicodedata.normalize("NFKC", s).translate(TYPO)
    lines = [" ".join(l.split()) for l in s.splitlines() if l.split()]
    # A word hyphenated at a line's end is joined again: pdftotext joins some and keeps others,
    # and neither engine can know which hyphens the typesetter added.
    out = []
    for l in lines:
        if out and len(out[-1]) > 1 and out[-1][-1] == "-" and out[-1][-2].isalpha() and l[0].islower():
            head, _, word = out[-1][:-1].rpartition(" ")
            rest = l.split(" ", 1)
            out[-1] = (head + " " if head else "") + word + rest[0]
            l = rest[1] if len(rest) > 1 else ""
            if not l:
                continue
        out.append(l)
    return out


def flat(s):
    return " ".join(lines_of(s))


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
        prev = np.minimum.accumulate(tmp - idx) + idx
    return int(prev[-1])


def grams(s, n):
    return {tuple(s[i:i + n]) for i in range(max(1, len(s) - n + 1))}


def infix_match(short, long):
    """Edit distance of `short` against its best-matching stretch of `long` (both ends free in
    `long`), and where that stretch lies: (cost, start, end)."""
    if not short:
        return 0, 0, 0
    if not long:
        return len(short), 0, 0

    def last_row(a, b):
        codes = {}
        ai = np.array([codes.setdefault(x, len(codes)) for x in a], dtype=np.int64)
        bi = np.array([codes.setdefault(x, len(codes)) for x in b], dtype=np.int64)
        idx = np.arange(len(bi) + 1, dtype=np.int64)
        prev = np.zeros(len(bi) + 1, dtype=np.int64)  # a stretch may start anywhere in b
        for i, ca in enumerate(ai, 1):
            sub = prev[:-1] + (bi != ca)
            tmp = np.empty_like(prev)
            tmp[0] = i
            tmp[1:] = np.minimum(sub, prev[1:] + 1)
            prev = np.minimum.accumulate(tmp - idx) + idx
        return prev

    fwd = last_row(short, long)
    end = int(np.argmin(fwd))
    back = last_row(short[::-1], long[::-1])
    start = len(long) - int(np.argmin(back))
    if start > end:
        start = end
    return int(fwd[end]), start, end


def flexible_errors(ref, hyp, unit):
    """Reading-order independent errors of `hyp` against `ref` (lists of lines), after the
    flexible character accuracy of Clausner, Pletschacher and Antonacopoulos (ICDAR 2020): the
    longest line left on either side is matched with the line of the other side that fits a
    stretch of it best; the pair costs its edit distance, and what is left of the longer line
    before and after the stretch goes back as lines of its own, so lines split, merged or read in
    another order are matched piece by piece. A line with no match under half its length in
    errors counts in full (a line missed, or one invented). `unit` turns a line into the sequence
    compared (characters, or words with str.split). Returns (errors, reference length)."""
    R = [u for u in (unit(l) for l in ref) if u]
    H = [u for u in (unit(l) for l in hyp) if u]
    total = sum(len(r) for r in R)
    errors = 0
    sides = [R, H]
    while R and H:
        # The longest line of either side probes the other side.
        side = 0 if max(map(len, R)) >= max(map(len, H)) else 1
        mine, other = sides[side], sides[1 - side]
        li = max(range(len(mine)), key=lambda i: len(mine[i]))
        long = mine[li]
        # Candidates by shared character trigrams (words: shared words); the edit distance only
        # for the best few.
        n = 1 if unit is str.split else 3
        lg = grams(long, n)
        cands = sorted(range(len(other)), key=lambda j: -len(grams(other[j], n) & lg) / len(grams(other[j], n)))[:8]
        best = None
        for j in cands:
            cost, a, b = infix_match(other[j], long)
            if best is None or cost / len(other[j]) < best[0] / len(other[best[1]]):
                best = (cost, j, a, b)
        cost, j, a, b = best
        if cost > 0.5 * len(other[j]):
            errors += len(long)
            mine.pop(li)
            continue
        errors += cost
        other.pop(j)
        mine.pop(li)
        for piece in (long[:a], long[b:]):
            if unit is not str.split:
                piece = piece.strip()
            if piece:
                mine.append(piece)
    errors += sum(len(x) for x in R) + sum(len(x) for x in H)
    return errors, total


def text_ok(t):
    letters = sum(c.isalpha() for c in t)
    return 300 <= len(t) <= 4000 and letters > 0.6 * len(t) and sum(c.isascii() for c in t) > 0.9 * len(t)


def page_count(pdf):
    try:
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=30).stdout
    except subprocess.TimeoutExpired:
        return 0
    return next((int(l.split()[1]) for l in info.splitlines() if l.startswith("Pages:")), 0)


def page_text(pdf, p):
    try:
        return subprocess.run(["pdftotext", "-q", "-f", str(p), "-l", str(p), str(pdf), "-"],
                              capture_output=True, text=True, timeout=60).stdout
    except subprocess.TimeoutExpired:
        return ""


def pick_pages(corpus, debian, want):
    pages, taken = [], set()
    for pdf in sorted(Path(corpus).rglob("*.pdf")):
        got = 0
        for p in range(1, min(page_count(pdf), 12) + 1):
            t = page_text(pdf, p)
            if text_ok(flat(t)):
                pages.append((pdf, p, t))
                got += 1
                if got == 3:
                    break
    manuals = sorted(Path(debian).rglob("*.pdf")) if debian and Path(debian).is_dir() else []
    counts = {m: page_count(m) for m in manuals}
    for frac in (0.5, 0.25, 0.75):
        for pdf in manuals:
            if len(pages) >= want:
                return pages
            n = counts[pdf]
            start = max(1, round(n * frac))
            for p in range(start, min(n, start + 5) + 1):
                if (pdf, p) in taken:
                    continue
                t = page_text(pdf, p)
                if text_ok(flat(t)):
                    pages.append((pdf, p, t))
                    taken.add((pdf, p))
                    break
    return pages[:want]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crumb", required=True)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared/corpus"))
    ap.add_argument("--debian", default=str(ROOT / ".cache/debian-docs"))
    ap.add_argument("--pages", type=int, default=210)
    ap.add_argument("--dpi", type=int, nargs="+", default=[150, 300])
    ap.add_argument("--cache")
    ap.add_argument("--fill", action="store_true",
                    help="with --cache: read pages already cached, run the engines on the rest "
                         "(completes an interrupted run; CER only, its pages/s mixes both)")
    ap.add_argument("--only", choices=["crumb", "tesseract"])
    ap.add_argument("--reuse", choices=["crumb", "tesseract"], action="append", default=[])
    ap.add_argument("--partial", action="store_true",
                    help="with --reuse: skip pages a reused engine has not read yet (says how many were used)")
    ap.add_argument("--every", type=int, default=1,
                    help="read only every Nth page of the set (a quicker timing run on a spread subset)")
    ap.add_argument("--list", action="store_true", help="print the page set and stop")
    args = ap.parse_args()
    pages = pick_pages(args.corpus, args.debian, args.pages)[::max(1, args.every)]
    n_pdfs = len({p for p, _, _ in pages})
    print(f"{len(pages)} pages from {n_pdfs} PDFs", file=sys.stderr)
    if args.list:
        for pdf, p, _ in pages:
            print(f"{pdf}\t{p}")
        return
    engines = [e for e in ("crumb", "tesseract") if args.only in (None, e)]
    cache = Path(args.cache) if args.cache else None
    work = Path(tempfile.mkdtemp(prefix="bench-ocr-"))
    crumb = None
    if "crumb" in engines and "crumb" not in args.reuse:
        crumb = subprocess.Popen([args.crumb], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    results = {}
    for dpi in args.dpi:
        tot = {e: {"chars": 0, "cerr": 0, "words": 0, "werr": 0, "page_cerr": 0, "page_werr": 0,
                   "page_chars": 0, "page_words": 0, "secs": 0.0, "live": e not in args.reuse}
               for e in engines}
        used = 0
        for i, (pdf, p, ref_text) in enumerate(pages):
            key = hashlib.sha1(f"{pdf.relative_to(pdf.anchor)}:{p}:{dpi}".encode()).hexdigest()[:16]
            if args.partial and cache and any(not (cache / e / f"{key}.json").is_file() for e in args.reuse):
                continue
            used += 1
            base = work / f"{i:04d}-{dpi}"
            png = f"{base}.png"
            out = {}
            order = engines if i % 2 == 0 else engines[::-1]
            for engine in order:
                cached = cache / engine / f"{key}.json" if cache else None
                if engine in args.reuse or (args.fill and cached and cached.is_file()):
                    if not (cached and cached.is_file()):
                        sys.exit(f"--reuse {engine}: {pdf} page {p} at {dpi} dpi is not in the cache")
                    row = json.loads(cached.read_text())
                    out[engine] = (row["text"], row["secs"])
                    continue
                if not os.path.exists(png):
                    subprocess.run(["pdftoppm", "-q", "-r", str(dpi), "-f", str(p), "-l", str(p), "-gray",
                                    "-png", "-singlefile", str(pdf), str(base)], check=True, timeout=120)
                t0 = time.perf_counter()
                if engine == "crumb":
                    crumb.stdin.write(png + "\n")
                    crumb.stdin.flush()
                    row = json.loads(crumb.stdout.readline())
                    text = row.get("text", "")
                else:
                    text = subprocess.run(["tesseract", png, "stdout", "-l", "eng"], capture_output=True,
                                          text=True, timeout=300).stdout
                secs = time.perf_counter() - t0
                out[engine] = (text, secs)
                if cached:
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    cached.write_text(json.dumps({"pdf": str(pdf), "page": p, "dpi": dpi, "text": text,
                                                  "secs": secs}))
            ref_lines = lines_of(ref_text)
            ref_flat = " ".join(ref_lines)
            for engine, (text, secs) in out.items():
                t = tot[engine]
                hyp_lines = lines_of(text)
                hyp_flat = " ".join(hyp_lines)
                e, n = flexible_errors(ref_lines, hyp_lines, lambda l: l)
                t["cerr"] += e
                t["chars"] += n
                e, n = flexible_errors(ref_lines, hyp_lines, str.split)
                t["werr"] += e
                t["words"] += n
                t["page_cerr"] += levenshtein(ref_flat, hyp_flat)
                t["page_chars"] += len(ref_flat)
                t["page_werr"] += levenshtein(ref_flat.split(), hyp_flat.split())
                t["page_words"] += len(ref_flat.split())
                t["secs"] += secs
            if os.path.exists(png):
                os.remove(png)
            if i % 20 == 19:
                print(f"  {dpi} dpi: {i + 1} pages", file=sys.stderr, flush=True)
        results[dpi] = (used, tot)
    if crumb:
        crumb.stdin.close()
        crumb.wait()
    shutil.rmtree(work, ignore_errors=True)
    print(f"{len(pages)} pages from {n_pdfs} PDFs")
    print("| dpi | engine | pages | CER (flexible) | WER (flexible) | CER (page) | WER (page) | pages/s | s/page |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    pct = lambda a, b: f"{100 * a / max(1, b):.2f}%"
    for dpi, (used, tot) in results.items():
        for engine, t in tot.items():
            speed = (f"{used / t['secs']:.2f} | {t['secs'] / used:.2f}" if t["live"] and used
                     else "— | —")
            print(f"| {dpi} | {engine} | {used} | {pct(t['cerr'], t['chars'])} | "
                  f"{pct(t['werr'], t['words'])} | {pct(t['page_cerr'], t['page_chars'])} | "
                  f"{pct(t['page_werr'], t['page_words'])} | {speed} |")
    print(json.dumps({str(k): v for k, (_, v) in results.items()}), file=sys.stderr)


if __name__ == "__main__":
    main()
