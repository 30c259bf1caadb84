#!/usr/bin/env python3
"""Freshness under sustained edits with the embedder on, through the real
`crumb watch` (issue 14).

A folder of SciFact abstracts (one per file) is watched with the MiniLM
embedder. Every 4 s, 50 of its files are rewritten with a unique word each.
From a second process, as a user would see it:

- keyword lag: from a file's write until `crumb search` (BM25, no model)
  finds its word, per file;
- meaning lag: from a round's writes until every passage of those files has
  a vector (read from the catalog over a read-only SQLite connection: the
  moment meaning search can find them).

Usage:
    scripts/bench-freshness.py [--crumb PATH] [--files N] [--rounds 10]
        [--per-round 50] [--every 4]
"""
import argparse, json, os, shutil, signal, sqlite3, subprocess, tempfile, threading, time
from pathlib import Path

from devenv import ROOT, pct  # also names the checkout's native libraries
SCIFACT = ROOT / ".cache/bench/scifact/docs"
MINILM = ROOT / ".cache/models/minilm"
NO_MODELS = ["--embedder", "none", "--reranker", "none"]



def found_words(crumb, data, qfile):
    out = subprocess.run([crumb, "--data-dir", str(data), "search", "--queries", str(qfile),
                          "--mode", "bm25", "--limit", "1", *NO_MODELS],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return set()
    found = set()
    for line in out.stdout.splitlines():
        r = json.loads(line)
        if r["hits"]:
            found.add(r["id"])
    return found


def missing_vectors(db, token):
    """Passages holding `token` that have no vector yet (None before any exists)."""
    try:
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        total, missing = c.execute(
            "SELECT count(*), sum(NOT EXISTS (SELECT 1 FROM vectors v WHERE v.passage_id = p.id)) "
            "FROM passages p WHERE p.text LIKE ?", (f"%{token}%",)).fetchone()
        c.close()
        return None if not total else missing
    except sqlite3.Error:
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crumb", default=str(ROOT / "target/debug/crumb"))
    ap.add_argument("--files", type=int, default=0,
                    help="files in the folder (default: rounds x per-round, so no file is edited twice)")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--per-round", type=int, default=50)
    ap.add_argument("--every", type=float, default=4.0)
    a = ap.parse_args()
    # Each round edits files no earlier round touched, so every round's
    # passages are still there to be embedded and timed.
    a.files = max(a.files, a.rounds * a.per_round)
    if not SCIFACT.is_dir() or not (MINILM / "onnx").is_dir():
        raise SystemExit("needs .cache/bench/scifact/docs (scripts/bench-scifact.py) and "
                         ".cache/models/minilm (make setup)")
    work = Path(tempfile.mkdtemp(prefix="crumb-bench-fresh-"))
    docs, data = work / "docs", work / "data"
    docs.mkdir()
    sources = sorted(SCIFACT.iterdir())[: a.files]
    texts = {}
    for p in sources:
        texts[p.name] = p.read_text()
        (docs / p.name).write_text(texts[p.name])

    events, lock = [], threading.Lock()
    t0 = time.time()
    proc = subprocess.Popen([a.crumb, "--data-dir", str(data), "watch", "--json",
                             "--embedder", str(MINILM), str(docs)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def read():
        for line in proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            with lock:
                events.append((time.time(), ev))
    threading.Thread(target=read, daemon=True).start()
    while not any(ev.get("event") == "reconciled" for _, ev in events):
        if proc.poll() is not None:
            raise SystemExit(proc.stderr.read())
        time.sleep(0.05)
    print(f"{a.files} files indexed and embedded at start in {time.time() - t0:.1f}s", flush=True)

    keyword_lag, meaning_lag = [], []
    pending, pending_lock, done = [], threading.Lock(), threading.Event()
    db = data / "catalog.sqlite"

    def watch_vectors():
        # A round is meaning-searchable once every passage holding its token
        # has a vector; polled every 0.1 s on a read-only connection.
        while not done.is_set() or pending:
            with pending_lock:
                snapshot = list(pending)
            for tok, t in snapshot:
                if time.time() - t > 600:
                    raise SystemExit(f"{tok}: passages still without vectors after 600 s")
                if missing_vectors(db, tok) == 0:
                    meaning_lag.append(time.time() - t)
                    with pending_lock:
                        pending.remove((tok, t))
            time.sleep(0.1)
    watcher_thread = threading.Thread(target=watch_vectors, daemon=True)
    watcher_thread.start()
    names = [p.name for p in sources]
    start_all = time.time()
    for r in range(a.rounds):
        round_start = start_all + r * a.every
        time.sleep(max(0.0, round_start - time.time()))
        token = f"fresh{r}r{os.getpid()}"
        chosen = [names[(r * a.per_round + i) % len(names)] for i in range(a.per_round)]
        written = {}
        qfile = work / f"q{r}.tsv"
        with open(qfile, "w") as q:
            for i, name in enumerate(chosen):
                word = f"{token}w{i}"
                q.write(f"{i}\t{word}\n")
                (docs / name).write_text(f"{texts[name]}\nEdited {word} {token}.\n")
                written[str(i)] = time.time()
        with pending_lock:
            pending.append((token, time.time()))
        # Poll keyword search until every word of the round is found.
        left = dict(written)
        while left:
            for i in found_words(a.crumb, data, qfile):
                if i in left:
                    keyword_lag.append(time.time() - left.pop(i))
            if time.time() > round_start + 300:
                raise SystemExit(f"round {r}: {len(left)} words never found")
    done.set()
    watcher_thread.join(timeout=600)
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=120)
    batches = sum(1 for _, ev in events if ev.get("event") == "batch")
    embedded = sum(ev.get("passages", 0) for _, ev in events if ev.get("event") == "embedded")
    print(json.dumps({
        "files": a.files, "rounds": a.rounds, "per_round": a.per_round, "every_s": a.every,
        "keyword_lag_p50_s": round(pct(keyword_lag, 50), 2),
        "keyword_lag_p95_s": round(pct(keyword_lag, 95), 2),
        "keyword_lag_max_s": round(max(keyword_lag), 2),
        "meaning_lag_per_round_p50_s": round(pct(meaning_lag, 50), 2),
        "meaning_lag_per_round_max_s": round(max(meaning_lag), 2),
        "batches": batches, "passages_embedded_while_editing": embedded, "exit": code,
    }), flush=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
