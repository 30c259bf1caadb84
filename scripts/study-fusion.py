#!/usr/bin/env python3
"""Fusion study on SciFact: RRF against convex combinations of normalised
scores (Bruch et al., "An Analysis of Fusion Functions for Hybrid Retrieval",
2022), at the file level.

Runs the real `crumb` once per list (BM25 alone, vector alone, 100 files
each, every file scored by its best passage), then fuses those lists here in
several ways and prints NDCG@10 for each. Tune on the train split only; the
winner is then implemented in the engine and measured through the real search
path with scripts/bench-scifact.py.

    scripts/study-fusion.py --split train --embedder .cache/models/minilm
"""
import argparse, importlib.util, json, subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts/bench-scifact.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def lists(a, mode, qfile, data):
    out = subprocess.run(
        [a.crumb, "--data-dir", str(data), "search", "--queries", str(qfile), "--limit", "100",
         "--candidates", "100", "--mode", mode, "--embedder", a.embedder, "--reranker", "none"],
        check=True, capture_output=True, text=True).stdout
    res = {}
    for line in out.splitlines():
        r = json.loads(line)
        key = "bm25_score" if mode == "bm25" else "vector_score"
        res[r["id"]] = [(Path(h["path"]).stem, h["details"][key] or 0.0) for h in r["hits"]]
    return res


def rrf(b, v, k):
    s = {}
    for lst in (b, v):
        for i, (d, _) in enumerate(lst):
            s[d] = s.get(d, 0.0) + 1.0 / (k + i + 1)
    return s


def norm(lst, how):
    if not lst:
        return {}, 0.0
    xs = [x for _, x in lst]
    hi, lo = max(xs), min(xs)
    if how == "minmax":
        span = (hi - lo) or 1.0
        return {d: (x - lo) / span for d, x in lst}, 0.0
    if how == "max":  # BM25 over its best; a missing file scores 0
        return {d: x / (hi or 1.0) for d, x in lst}, 0.0
    if how == "tmm":  # theoretical minimum: 0 for BM25, -1 for cosine
        raise ValueError
    if how == "z":
        m = sum(xs) / len(xs)
        sd = (sum((x - m) ** 2 for x in xs) / len(xs)) ** 0.5 or 1.0
        return {d: (x - m) / sd for d, x in lst}, (lo - m) / sd
    raise ValueError(how)


def convex(b, v, alpha, how_b, how_v):
    nb, fb = norm(b, how_b)
    nv, fv = norm(v, how_v)
    # A file missing from one list gets that list's floor: the lowest score
    # it could have had and still be unseen.
    docs = set(nb) | set(nv)
    return {d: alpha * nb.get(d, fb) + (1 - alpha) * nv.get(d, fv) for d in docs}


def cosine_tmm(lst):
    # Cosine's theoretical range [-1, 1] mapped to [0, 1]; missing = lowest seen.
    if not lst:
        return {}, 0.0
    return {d: (x + 1) / 2 for d, x in lst}, (min(x for _, x in lst) + 1) / 2


def cosine_tmm_observed(lst):
    # Bruch et al.'s TMM: theoretical minimum (-1), observed maximum.
    if not lst:
        return {}, 0.0
    hi = max(x for _, x in lst) + 1 or 1.0
    return {d: (x + 1) / hi for d, x in lst}, (min(x for _, x in lst) + 1) / hi


def convex_tmm(b, v, alpha, observed=False):
    nb, fb = norm(b, "max")
    nv, fv = cosine_tmm_observed(v) if observed else cosine_tmm(v)
    docs = set(nb) | set(nv)
    return {d: alpha * nb.get(d, fb) + (1 - alpha) * nv.get(d, fv) for d in docs}


def evaluate(fn, B, V, qrels):
    total = 0.0
    for q, rels in qrels.items():
        s = fn(B.get(q, []), V.get(q, []))
        ranked = [d for d, _ in sorted(s.items(), key=lambda x: (-x[1], x[0]))]
        total += bench.ndcg_at_10(ranked, rels)
    return total / len(qrels)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="train")
    ap.add_argument("--embedder", default=str(ROOT / ".cache/models/minilm"))
    ap.add_argument("--work", default=str(ROOT / ".cache/bench/scifact"))
    ap.add_argument("--crumb", default=str(ROOT / "target/release/crumb"))
    ap.add_argument("--dump", default=None, help="also write the two lists here as JSON")
    a = ap.parse_args()
    work = Path(a.work)
    bench.write_corpus(work / "docs")
    data = work / f"data-{Path(a.embedder).name}"
    subprocess.run([a.crumb, "--data-dir", str(data), "index", str(work / "docs"),
                    "--embedder", a.embedder], check=True, stdout=subprocess.DEVNULL)
    qrels = bench.load_qrels(a.split)
    queries = {}
    with open(bench.DATA / "queries.jsonl") as f:
        for line in f:
            q = json.loads(line)
            if q["_id"] in qrels:
                queries[q["_id"]] = q["text"].replace("\t", " ").replace("\n", " ")
    qfile = work / f"queries-{a.split}.tsv"
    qfile.write_text("".join(f"{i}\t{t}\n" for i, t in queries.items()))
    B = lists(a, "bm25", qfile, data)
    V = lists(a, "vector", qfile, data)
    if a.dump:
        Path(a.dump).write_text(json.dumps({"bm25": B, "vector": V}))
    print(f"{a.split}: {len(qrels)} queries")
    print(f"  bm25 alone   {evaluate(lambda b, v: dict(b), B, V, qrels):.4f}")
    print(f"  vector alone {evaluate(lambda b, v: dict(v), B, V, qrels):.4f}")
    for k in (1, 2, 5, 10, 60):
        print(f"  rrf k={k:<3}    {evaluate(lambda b, v: rrf(b, v, k), B, V, qrels):.4f}")
    for how_b, how_v in (("minmax", "minmax"), ("z", "z"), ("max", "minmax")):
        row = []
        for alpha in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
            row.append(f"a={alpha}:{evaluate(lambda b, v: convex(b, v, alpha, how_b, how_v), B, V, qrels):.4f}")
        print(f"  convex {how_b}/{how_v}: " + "  ".join(row))
    for observed in (False, True):
        row = []
        for alpha in (0.1, 0.15, 0.2, 0.25, 0.3, 0.4):
            row.append(f"a={alpha}:{evaluate(lambda b, v: convex_tmm(b, v, alpha, observed), B, V, qrels):.4f}")
        name = "max/tmm(observed max)" if observed else "max/tmm"
        print(f"  convex {name}: " + "  ".join(row))
    # The engine's function (max/tmm), finely: its default is this sweep's best.
    fine = [(i / 100, evaluate(lambda b, v: convex_tmm(b, v, i / 100), B, V, qrels))
            for i in range(8, 32)]
    print("  convex max/tmm, fine: " + "  ".join(f"{x:.2f}:{n:.4f}" for x, n in fine))
    best = max(fine, key=lambda t: t[1])
    print(f"  best alpha on {a.split}: {best[0]:.2f} ({best[1]:.4f})")


if __name__ == "__main__":
    main()
