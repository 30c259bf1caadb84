#!/usr/bin/env python3
"""SciFact retrieval quality through the real `crumb` binary.

Writes one text file per abstract (title, blank line, abstract), indexes them
with `crumb index`, runs the 300 test queries with `crumb search --queries`, and
prints NDCG@10 per mode. Usage:

    scripts/bench-scifact.py [--split test|train] [--modes bm25,vector,hybrid]
        [--embedder DIR] [--reranker DIR] [--work DIR] [--crumb PATH]
        [--fusion convex|rrf] [--alpha A] [--rrf-k K]
        [--as-you-type] [--confidence [--dump-evidence FILE]]

--as-you-type (first mode only): each query is cut inside its longest word,
keeping the first 60% of that word, as if still being typed. Of the queries
whose full form finds a relevant abstract in the top 10, it reports the share
whose cut form still does, and the ceiling: the same cut with the word
completed.

--confidence: the share of the split's queries flagged "no strong match",
and of 300 out-of-domain queries (command descriptions of the tldr pages in
the shared corpus; every other page, the pages the thresholds were not
calibrated on, or the other half with --ood-half calibrate).
"""
import argparse, json, math, os, re, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("CRUMB_SCIFACT", ROOT.parent / "shared/datasets/scifact"))
TLDR = Path(os.environ.get("CRUMB_TLDR", ROOT.parent / "shared/corpus/files/notes/tldr"))


def cut_query(q: str, keep: float = 0.6):
    """(cut, completed): the query up to the first `keep` of its longest word,
    and up to the end of that word. None when the query has no word."""
    words = list(re.finditer(r"[^\W_]+", q))
    if not words:
        return None
    w = max(words, key=lambda m: len(m.group()))  # the first longest
    n = max(1, int(len(w.group()) * keep))
    return q[: w.start() + n], q[: w.end()]


def ood_queries(half: str):
    """Descriptions from the tldr pages: each page's summary and each
    example's description. Pages alternate between the calibration half and
    the evaluation half, in path order."""
    pages = sorted(TLDR.rglob("*.md"))
    if not pages:
        sys.exit(f"no tldr pages under {TLDR} (set CRUMB_TLDR)")
    pick = 0 if half == "calibrate" else 1
    out = []
    for i, page in enumerate(pages):
        if i % 2 != pick:
            continue
        for line in page.read_text(errors="replace").splitlines():
            text = None
            if line.startswith("> ") and "More information" not in line:
                text = line[2:]
            elif line.startswith("- "):
                text = line[2:]
            if text:
                text = re.sub(r"[`{}]", "", text).strip().rstrip(":.").strip()
                if text:
                    out.append(text.replace("\t", " "))
    return out


def write_corpus(dest: Path) -> int:
    dest.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(DATA / "corpus.jsonl") as f:
        for line in f:
            d = json.loads(line)
            p = dest / f"{d['_id']}.txt"
            body = f"{d['title']}\n\n{d['text']}\n"
            if not p.exists() or p.read_text() != body:
                p.write_text(body)
            n += 1
    return n


def load_qrels(split: str):
    qrels = {}
    with open(DATA / "qrels" / f"{split}.tsv") as f:
        next(f)
        for line in f:
            q, d, s = line.rstrip("\n").split("\t")
            if int(s) > 0:
                qrels.setdefault(q, {})[d] = int(s)
    return qrels


def split_queries(split: str):
    """(queries, qrels) of a split: the queries with a relevant abstract, id -> text (tabs and
    newlines made spaces), in the dataset's order; also read by bench-keyword.py and
    bench-scale.py."""
    qrels = load_qrels(split)
    queries = {}
    with open(DATA / "queries.jsonl") as f:
        for line in f:
            q = json.loads(line)
            if q["_id"] in qrels:
                queries[q["_id"]] = q["text"].replace("\t", " ").replace("\n", " ")
    return queries, qrels


def ndcg_at_10(ranked, rels):
    dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sorted(rels.values(), reverse=True)[:10]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="test")
    ap.add_argument("--modes", default="bm25")
    ap.add_argument("--embedder", default="none")
    ap.add_argument("--reranker", default="none")
    ap.add_argument("--rerank-top", default="20", help="files the reranker reads")
    ap.add_argument("--fusion", default="convex", help="convex or rrf")
    ap.add_argument("--alpha", default=None, help="convex fusion's BM25 weight (default: the engine's)")
    ap.add_argument("--rrf-k", default="5")
    ap.add_argument("--rerank-window", default=None, help="tokens per (query, window) pair")
    ap.add_argument("--embedder-variant", default="auto", help="auto, fp32 or int8")
    ap.add_argument("--candidates", default="100")
    ap.add_argument("--work", default=str(ROOT / ".cache/bench/scifact"))
    ap.add_argument("--crumb", default=str(ROOT / "target/release/crumb"))
    ap.add_argument("--max-queries", type=int, default=None,
                    help="latency runs: only the first N queries (NDCG then covers those only)")
    ap.add_argument("--min-ndcg", type=float, default=None,
                    help="exit non-zero if the first mode scores below this")
    ap.add_argument("--as-you-type", action="store_true",
                    help="also run each query cut inside its longest word (first mode)")
    ap.add_argument("--confidence", action="store_true",
                    help="report the share flagged no_strong_match, in-domain and out-of-domain")
    ap.add_argument("--ood-half", default="evaluate", choices=["evaluate", "calibrate"])
    ap.add_argument("--ood-count", type=int, default=300)
    ap.add_argument("--dump-evidence", default=None,
                    help="with --confidence: write each query's evidence as JSON lines here")
    a = ap.parse_args()

    work = Path(a.work)
    docs = write_corpus(work / "docs")
    data = work / f"data-{Path(a.embedder).name}"
    t0 = time.time()
    subprocess.run([a.crumb, "--data-dir", str(data), "index", str(work / "docs"),
                    "--embedder", a.embedder, "--embedder-variant", a.embedder_variant],
                   check=True, stdout=subprocess.DEVNULL)
    t_index = time.time() - t0

    queries, qrels = split_queries(a.split)
    if a.max_queries:
        queries = dict(list(queries.items())[: a.max_queries])
        qrels = {q: qrels[q] for q in queries}
    qfile = work / f"queries-{a.split}.tsv"
    qfile.write_text("".join(f"{i}\t{t}\n" for i, t in queries.items()))

    def run(mode, qfile):
        t0 = time.time()
        out = subprocess.run(
            [a.crumb, "--data-dir", str(data), "search", "--queries", str(qfile), "--limit", "10",
             "--mode", mode, "--embedder", a.embedder, "--reranker", a.reranker,
             "--rerank-top", a.rerank_top, "--fusion", a.fusion, "--rrf-k", a.rrf_k,
             "--candidates", a.candidates, "--embedder-variant", a.embedder_variant]
            + (["--alpha", a.alpha] if a.alpha else [])
            + (["--rerank-window", a.rerank_window] if a.rerank_window else []),
            check=True, capture_output=True, text=True).stdout
        return [json.loads(line) for line in out.splitlines()], time.time() - t0

    results = {}
    lines_by_mode = {}
    for mode in a.modes.split(","):
        lines, elapsed = run(mode, qfile)
        lines_by_mode[mode] = lines
        scores = []
        lat = []
        for r in lines:
            lat.append(r["ms"])
            ranked = [Path(h["path"]).stem for h in r["hits"]]
            scores.append(ndcg_at_10(ranked, qrels[r["id"]]))
        ndcg = sum(scores) / len(qrels)
        results[mode] = ndcg
        lat.sort()
        p50 = lat[len(lat) // 2]
        p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))]
        print(f"{mode:>8}: NDCG@10 = {ndcg:.4f} over {len(qrels)} {a.split} queries; "
              f"latency p50 {p50:.1f} ms, p95 {p95:.1f} ms (in-process, {elapsed:.1f}s wall incl. model load)")
    print(f"indexed {docs} abstracts in {t_index:.1f}s")
    first = a.modes.split(",")[0]
    if a.as_you_type:
        as_you_type(a, run, first, queries, qrels, lines_by_mode[first], work)
    if a.confidence:
        confidence(a, run, lines_by_mode, queries, qrels, work)
    if a.min_ndcg is not None and results[first] < a.min_ndcg:
        print(f"FAIL: {first} NDCG@10 {results[first]:.4f} < {a.min_ndcg}", file=sys.stderr)
        sys.exit(1)


def found(r, rels):
    return any(Path(h["path"]).stem in rels for h in r["hits"][:10])


def as_you_type(a, run, mode, queries, qrels, full_lines, work):
    cuts = {i: cut_query(q) for i, q in queries.items()}
    cuts = {i: c for i, c in cuts.items() if c}
    for name, k in (("cut", 0), ("completed", 1)):
        f = work / f"queries-{a.split}-{name}.tsv"
        f.write_text("".join(f"{i}\t{c[k]}\n" for i, c in cuts.items()))
    cut, _ = run(mode, work / f"queries-{a.split}-cut.tsv")
    done, _ = run(mode, work / f"queries-{a.split}-completed.tsv")
    full_ok = {r["id"] for r in full_lines if found(r, qrels[r["id"]])}
    cut_ok = {r["id"] for r in cut if r["id"] in full_ok and found(r, qrels[r["id"]])}
    done_ok = {r["id"] for r in done if r["id"] in full_ok and found(r, qrels[r["id"]])}
    n = len(full_ok)
    print(f"as you type ({mode}): of {n} {a.split} queries whose full form finds a relevant "
          f"abstract in the top 10, the cut form finds one for {len(cut_ok)} "
          f"({100 * len(cut_ok) / n:.1f}%); completed word (ceiling): {len(done_ok)} "
          f"({100 * len(done_ok) / n:.1f}%)")


def confidence(a, run, lines_by_mode, queries, qrels, work):
    ood = ood_queries(a.ood_half)[: a.ood_count]
    f = work / f"queries-ood-{a.ood_half}.tsv"
    f.write_text("".join(f"ood{i}\t{q}\n" for i, q in enumerate(ood)))
    dump = open(a.dump_evidence, "w") if a.dump_evidence else None
    for mode, lines in lines_by_mode.items():
        ood_lines, _ = run(mode, f)
        flagged_in = sum(r["no_strong_match"] for r in lines)
        flagged_out = sum(r["no_strong_match"] for r in ood_lines)
        print(f"no strong match ({mode}): {flagged_in}/{len(lines)} {a.split} queries flagged "
              f"({100 * flagged_in / len(lines):.1f}%), {flagged_out}/{len(ood_lines)} "
              f"out-of-domain ({100 * flagged_out / len(ood_lines):.1f}%, tldr {a.ood_half} half)")
        if dump:
            for r in lines:
                dump.write(json.dumps({"mode": mode, "id": r["id"], "domain": "in",
                                       "query": queries[r["id"]], "found": found(r, qrels[r["id"]]),
                                       "evidence": r["evidence"],
                                       "no_strong_match": r["no_strong_match"]}) + "\n")
            for r, q in zip(ood_lines, ood):
                dump.write(json.dumps({"mode": mode, "id": r["id"], "domain": "out", "query": q,
                                       "evidence": r["evidence"],
                                       "no_strong_match": r["no_strong_match"]}) + "\n")
    if dump:
        dump.close()


if __name__ == "__main__":
    main()
