#!/usr/bin/env python3
"""SciFact retrieval quality through the real `crumb` binary.

Writes one text file per abstract (title, blank line, abstract), indexes them
with `crumb index`, runs the 300 test queries with `crumb search --queries`, and
prints NDCG@10 per mode. Usage:

    scripts/bench-scifact.py [--split test|train] [--modes bm25,vector,hybrid]
        [--embedder DIR] [--reranker DIR] [--work DIR] [--crumb PATH]
"""
import argparse, json, math, os, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("CRUMB_SCIFACT", ROOT.parent / "shared/datasets/scifact"))


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
    a = ap.parse_args()

    work = Path(a.work)
    docs = write_corpus(work / "docs")
    data = work / f"data-{Path(a.embedder).name}"
    t0 = time.time()
    subprocess.run([a.crumb, "--data-dir", str(data), "index", str(work / "docs"),
                    "--embedder", a.embedder, "--embedder-variant", a.embedder_variant],
                   check=True, stdout=subprocess.DEVNULL)
    t_index = time.time() - t0

    qrels = load_qrels(a.split)
    queries = {}
    with open(DATA / "queries.jsonl") as f:
        for line in f:
            q = json.loads(line)
            if q["_id"] in qrels:
                queries[q["_id"]] = q["text"].replace("\t", " ").replace("\n", " ")
    if a.max_queries:
        queries = dict(list(queries.items())[: a.max_queries])
        qrels = {q: qrels[q] for q in queries}
    qfile = work / f"queries-{a.split}.tsv"
    qfile.write_text("".join(f"{i}\t{t}\n" for i, t in queries.items()))

    results = {}
    for mode in a.modes.split(","):
        t0 = time.time()
        out = subprocess.run(
            [a.crumb, "--data-dir", str(data), "search", "--queries", str(qfile), "--limit", "10",
             "--mode", mode, "--embedder", a.embedder, "--reranker", a.reranker,
             "--rerank-top", a.rerank_top, "--rrf-k", a.rrf_k, "--candidates", a.candidates,
             "--embedder-variant", a.embedder_variant]
            + (["--rerank-window", a.rerank_window] if a.rerank_window else []),
            check=True, capture_output=True, text=True).stdout
        elapsed = time.time() - t0
        scores = []
        lat = []
        for line in out.splitlines():
            r = json.loads(line)
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
    if a.min_ndcg is not None and results[first] < a.min_ndcg:
        print(f"FAIL: {first} NDCG@10 {results[first]:.4f} < {a.min_ndcg}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
