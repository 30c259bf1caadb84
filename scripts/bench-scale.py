#!/usr/bin/env python3
"""A million passages (issue 14, `make bench-scale`).

Builds a large corpus from real text: the shared corpus (../shared/corpus/files),
SciFact's abstracts and the Debian documentation (../shared/corpus/get-debian-docs.sh),
repeated into distinct folders `copy-NNN/` with a small edit per copy (a line naming the
copy is appended to every plain-text, Markdown, reStructuredText, Python and HTML file;
binary formats are hard links, the same content under another path), until the index
holds about `--passages` passages. It is indexed BM25 only (no embedder: embedding a
million passages takes hours on 2 cores), then every passage gets a random unit
vector under the real embedder's model id, so the vector and hybrid figures measure
speed only, never quality. The query embedding is the real MiniLM's.

Then, one measurement at a time (run it on a quiet machine):
- open-to-first-search: a fresh `crumb search` process, from exec to the printed result,
  BM25 and hybrid, cold page cache is not attempted (the OS keeps what it has);
- in-process latency per query (`crumb search --queries`: SciFact's 300 test queries),
  BM25, vector and hybrid without reranking;
- RSS of `crumb serve` after answering the same queries over HTTP on localhost.

Usage: scripts/bench-scale.py [--passages 1000000] [--work .cache/bench/scale]
           [--crumb target/release/crumb] [--peer OTHER_BUILD] [--steps build,vectors,measure]
"""
import argparse, json, math, os, shutil, signal, statistics, subprocess, sys
import tempfile, time, urllib.request
from pathlib import Path

from devenv import ROOT, pct, scifact_test_queries, served_port  # also names the checkout's native libraries

EDITABLE = {".txt", ".md", ".rst", ".py", ".html", ".htm"}
SHARED = ROOT.parent / "shared"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def load():
    return os.getloadavg()


def sources(work):
    """The base set: three real-text folders, fetched where missing."""
    scifact = ROOT / ".cache/bench/scifact/docs"
    if not scifact.is_dir():
        # bench-scifact.py writes the abstracts as files before it indexes them.
        subprocess.run([sys.executable, str(ROOT / "scripts/bench-scifact.py"), "--modes", "bm25",
                        "--max-queries", "1"], check=True)
    debian = ROOT / ".cache/debian-docs"
    if not debian.is_dir():
        debian.mkdir(parents=True)
        subprocess.run(["bash", str(SHARED / "corpus/get-debian-docs.sh"), str(debian)], check=True)
    corpus = SHARED / "corpus/files"
    if not corpus.is_dir():
        raise SystemExit(f"{corpus} missing: ../shared must sit beside the checkout")
    return [("corpus", corpus), ("scifact", scifact), ("debian", debian)]


def make_copy(srcs, dest, n):
    """One copy of the base set under `dest`, with copy `n`'s edit."""
    files = 0
    for name, src in srcs:
        for path in src.rglob("*"):
            if not path.is_file() or path.is_symlink():
                continue
            out = dest / name / path.relative_to(src)
            out.parent.mkdir(parents=True, exist_ok=True)
            if path.suffix.lower() in EDITABLE:
                data = path.read_bytes()
                out.write_bytes(data + f"\n\nArchive copy {n}, kept in folder {n:03d}.\n".encode())
            else:
                os.link(path, out)
            files += 1
    return files


def index(crumb, data, docs):
    t = time.time()
    r = subprocess.run([crumb, "--data-dir", str(data), "index", str(docs), "--json",
                        "--embedder", "none"], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"crumb index failed:\n{r.stderr[-4000:]}")
    return time.time() - t, json.loads(r.stdout)


def status(crumb, data):
    r = subprocess.run([crumb, "--data-dir", str(data), "status", "--json", "--embedder", "none",
                        "--reranker", "none"], capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def build(a, crumb, work):
    docs, data = work / "docs", work / "data"
    srcs = sources(work)
    summary = {}
    if not (docs / "copy-000").is_dir():
        shutil.rmtree(docs, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)
        make_copy(srcs, docs / "copy-000", 0)
    dt, out = index(crumb, data, docs)
    per_copy = status(crumb, data)["passages"]
    copies = max(1, math.ceil(a.passages / per_copy))
    log(f"one copy: {per_copy} passages, indexed in {dt:.1f}s; {copies} copies for {a.passages}")
    t = time.time()
    for n in range(1, copies):
        d = docs / f"copy-{n:03d}"
        if not d.is_dir():
            tmp = docs / f".partial-{n:03d}"
            shutil.rmtree(tmp, ignore_errors=True)
            make_copy(srcs, tmp, n)
            tmp.rename(d)
    log(f"copies written in {time.time() - t:.0f}s")
    dt, out = index(crumb, data, docs)
    st = status(crumb, data)
    out.pop("failures", None)  # thousands of lines; `crumb status --failed` lists them
    summary.update(copies=copies, per_copy_passages=per_copy, index_s=round(dt, 1),
                   files=st.get("files_indexed"), passages=st.get("passages"), index_report=out)
    log(f"indexed {st.get('files_indexed')} files, {st.get('passages')} passages in {dt:.0f}s")
    (work / "build.json").write_text(json.dumps(summary, indent=1))
    return summary


def model_id(a, crumb, work):
    """The embedder's id as the engine names its vectors: from a tiny real index."""
    tmp = Path(tempfile.mkdtemp(prefix="crumb-scale-id-"))
    try:
        (tmp / "docs").mkdir()
        (tmp / "docs/a.txt").write_text("one passage to learn the model id")
        subprocess.run([crumb, "--data-dir", str(tmp / "data"), "index", str(tmp / "docs"),
                        "--embedder", a.embedder], capture_output=True, check=True)
        import sqlite3
        con = sqlite3.connect(tmp / "data/catalog.sqlite")
        return con.execute("SELECT DISTINCT model FROM vectors").fetchone()[0]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def vectors(a, crumb, work):
    mid = model_id(a, crumb, work)
    ex = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release/examples/bench_models"
    log(f"random vectors for model {mid!r}")
    t = time.time()
    r = subprocess.run([str(ex), "scale-vectors", str(work / "data"), mid, "384"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"bench_models scale-vectors failed:\n{r.stderr[-4000:]}")
    log(f"vectors: {r.stdout.strip()} in {time.time() - t:.0f}s")
    return {"model": mid, "vectors_report": json.loads(r.stdout.strip().splitlines()[-1])}



def queries_file(work, n):
    queries = list(scifact_test_queries().items())[:n]
    out = work / "queries.tsv"
    out.write_text("".join(f"{i}\t{t}\n" for i, t in queries))
    return out, [t for _, t in queries]


def search_args(a, mode):
    args = ["search", "--mode", mode, "--limit", "10", "--rerank-top", "0"]
    if mode != "bm25":
        args += ["--embedder", a.embedder]
    return args


def first_search(a, crumb, data, mode, query):
    t = time.time()
    r = subprocess.run([crumb, "--data-dir", str(data), *search_args(a, mode), "--json", query],
                       capture_output=True, text=True)
    dt = time.time() - t
    if r.returncode != 0:
        raise SystemExit(f"crumb search failed:\n{r.stderr[-3000:]}")
    hits = json.loads(r.stdout)
    return dt, len(hits["hits"] if isinstance(hits, dict) else hits)


def in_process(a, crumb, data, mode, qfile):
    r = subprocess.run([crumb, "--data-dir", str(data), *search_args(a, mode), "--queries",
                        str(qfile)], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"crumb search --queries failed:\n{r.stderr[-3000:]}")
    return [json.loads(l)["ms"] for l in r.stdout.splitlines() if l.strip()]


def serve_rss(a, crumb, data, queries):
    """`crumb serve`'s resident memory after answering every query, hybrid, over HTTP."""
    token = "bench-scale-token-0123456789abcdef"
    env = dict(os.environ, CRUMB_API_TOKEN=token)
    p = subprocess.Popen([crumb, "--data-dir", str(data), "serve", "--port", "0",
                          "--embedder", a.embedder, "--reranker", "none"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = served_port(p)
        for q in queries:
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/v1/search",
                data=json.dumps({"query": q, "limit": 10, "rerank": False}).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            urllib.request.urlopen(req, timeout=60).read()
        st = {}
        for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                st[k] = int(v.split()[0]) * 1024
        return st
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def measure(a, crumbs, work):
    """Every figure for each build in `crumbs`, taking turns (A B A B)."""
    data = work / "data"
    qfile, queries = queries_file(work, a.queries)
    res = {"load_start": load()}
    opens = {c: {"bm25": [], "hybrid": []} for c in crumbs}
    lat = {c: {"bm25": [], "vector": [], "hybrid": []} for c in crumbs}
    for r in range(a.rounds):
        for c in crumbs:
            for mode in opens[c]:
                dt, n = first_search(a, c, data, mode, queries[r % len(queries)])
                opens[c][mode].append(dt)
                log(f"{c}: open+first {mode}: {dt * 1000:.0f} ms ({n} hits)")
    for r in range(a.rounds):
        for c in crumbs:
            for mode in lat[c]:
                ms = in_process(a, c, data, mode, qfile)
                lat[c][mode].append(ms)
                log(f"{c}: {mode} round {r}: p50 {pct(ms, 50):.2f} ms, p95 {pct(ms, 95):.1f} ms")
    for c in crumbs:
        out = res.setdefault(c, {})
        out["open_to_first_search_s"] = {
            m: {"p50": round(statistics.median(v), 3), "max": round(max(v), 3)}
            for m, v in opens[c].items()}
        out["in_process_ms"] = {
            m: {"p50_per_round": [round(pct(x, 50), 2) for x in v],
                "p95_per_round": [round(pct(x, 95), 2) for x in v],
                "max": round(max(max(x) for x in v), 1)} for m, v in lat[c].items()}
    for c in crumbs:
        res[c]["serve_rss_bytes"] = serve_rss(a, c, data, queries)
        log(f"{c}: serve RSS {res[c]['serve_rss_bytes']}")
    res["load_end"] = load()
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--passages", type=int, default=1_000_000)
    ap.add_argument("--work", default=str(ROOT / ".cache/bench/scale"))
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    ap.add_argument("--crumb", default=str(target / "release/crumb"))
    ap.add_argument("--peer", action="append", default=[],
                    help="another build to measure, taking turns with --crumb")
    ap.add_argument("--embedder", default=str(ROOT / ".cache/models/minilm"))
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", default="build,vectors,measure")
    a = ap.parse_args()
    work = Path(a.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    crumb = str(Path(a.crumb).resolve())
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    out = {"commit": commit, "cpu": cpu(), "cores": os.cpu_count()}
    steps = a.steps.split(",")
    if "build" in steps:
        out["build"] = build(a, crumb, work)
    if "vectors" in steps:
        out["vectors"] = vectors(a, crumb, work)
    if "measure" in steps:
        out["measure"] = measure(a, [crumb] + [str(Path(p).resolve()) for p in a.peer], work)
    print(json.dumps(out, indent=1), flush=True)


def cpu():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


if __name__ == "__main__":
    main()
