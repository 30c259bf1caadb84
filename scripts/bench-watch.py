#!/usr/bin/env python3
"""Live-indexing latency through the real `crumb` binary.

Starts `crumb watch --json` on a folder (by default a copy of the shared
personal-documents corpus, so the watcher has a realistic tree to watch),
then measures, from a second process as a user would see it:

1. save-to-searchable: write a small text file with a unique word, then run
   `crumb search` until it finds it (also: until the watcher reports the
   batch committed);
2. a 500-file burst: write 500 small files at once, then run one
   `crumb search --queries` over all 500 unique words until every one hits.

Embedder off (keyword index only). Usage:

    scripts/bench-watch.py [--crumb PATH] [--work DIR] [--trials 20]
        [--burst 500] [--no-corpus]
"""
import argparse, json, os, shutil, signal, statistics, subprocess, sys, tempfile, threading, time
from pathlib import Path

from devenv import pct

ROOT = Path(__file__).resolve().parent.parent
# Keyword index only: no model is loaded by the watcher or by the searches.
NO_MODELS = ["--embedder", "none", "--reranker", "none"]
CORPUS = Path(os.environ.get("CRUMB_CORPUS", ROOT.parent / "shared/corpus/files"))


class Watch:
    """A running `crumb watch --json`, its events timestamped on arrival."""

    def __init__(self, crumb, data, docs):
        self.proc = subprocess.Popen(
            [crumb, "--data-dir", str(data), "watch", "--json", "--embedder", "none", str(docs)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.events = []
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.events.append((time.time(), ev))

    def wait_for(self, kind, after=0.0, timeout=600):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                for t, ev in self.events:
                    if t >= after and ev.get("event") == kind:
                        return t, ev
            time.sleep(0.005)
        raise SystemExit(f"no {kind} event within {timeout}s")

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=60)
        return code, self.proc.stderr.read()


def search_hits(crumb, data, word):
    out = subprocess.run([crumb, "--data-dir", str(data), "search", word, "--json",
                          "--mode", "bm25", "--limit", "1", *NO_MODELS],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return []
    return json.loads(out.stdout)


def all_found(crumb, data, qfile, n):
    out = subprocess.run([crumb, "--data-dir", str(data), "search", "--queries", str(qfile),
                          "--mode", "bm25", "--limit", "1", *NO_MODELS],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return 0
    return sum(1 for line in out.stdout.splitlines() if json.loads(line)["hits"])



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crumb", default=str(ROOT / "target/release/crumb"))
    ap.add_argument("--work", default=None)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--burst", type=int, default=500)
    ap.add_argument("--no-corpus", action="store_true")
    a = ap.parse_args()
    work = Path(a.work or tempfile.mkdtemp(prefix="crumb-bench-watch-"))
    shutil.rmtree(work, ignore_errors=True)
    docs, data = work / "docs", work / "data"
    docs.mkdir(parents=True)
    if not a.no_corpus and CORPUS.is_dir():
        shutil.copytree(CORPUS, docs / "corpus")
    n_files = sum(1 for p in docs.rglob("*") if p.is_file())

    t0 = time.time()
    w = Watch(a.crumb, data, docs)
    t_rec, rec = w.wait_for("reconciled")
    print(f"tree: {n_files} files; start-up reconcile {t_rec - t0:.1f}s "
          f"({rec['report']['indexed']} indexed)", flush=True)

    # 1. Save to searchable, one small file at a time.
    searchable, committed = [], []
    (docs / "latency").mkdir()
    for i in range(a.trials):
        word = f"latency{i}q{os.getpid()}"
        start = time.time()
        (docs / "latency" / f"note{i}.txt").write_text(f"meeting notes {word}\n")
        while not search_hits(a.crumb, data, word):
            pass
        searchable.append(time.time() - start)
        t_batch, _ = w.wait_for("batch", after=start)
        committed.append(t_batch - start)
        time.sleep(0.3)  # let the next trial start from an idle watcher

    # 2. A burst of small files, all written at once.
    burst = docs / "burst"
    qfile = work / "burst-queries.tsv"
    with open(qfile, "w") as q:
        for i in range(a.burst):
            q.write(f"{i}\tburst{i}z{os.getpid()}\n")
    start = time.time()
    for i in range(a.burst):
        d = burst / f"d{i % 20}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i}.txt").write_text(f"burst file burst{i}z{os.getpid()} body text\n")
    t_written = time.time() - start
    found = 0
    while found < a.burst:
        found = all_found(a.crumb, data, qfile, a.burst)
    t_burst = time.time() - start

    code, stderr = w.stop()
    res = {
        "files_in_tree": n_files,
        "reconcile_s": round(t_rec - t0, 2),
        "save_to_searchable_s": {"median": round(statistics.median(searchable), 3),
                                 "p95": round(pct(searchable, 95), 3),
                                 "max": round(max(searchable), 3)},
        "save_to_committed_s": {"median": round(statistics.median(committed), 3),
                                "p95": round(pct(committed, 95), 3),
                                "max": round(max(committed), 3)},
        "burst_files": a.burst,
        "burst_written_s": round(t_written, 2),
        "burst_all_searchable_s": round(t_burst, 2),
        "sigint_exit_code": code,
    }
    print(json.dumps(res, indent=2))
    if code != 0:
        print(stderr, file=sys.stderr)
        sys.exit(1)
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
