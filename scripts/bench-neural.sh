#!/usr/bin/env bash
# Neural search speed and its quality guards, in one quiet run (make bench-neural).
# Records the commit, the load average and the machine's int8/fp32 GEMM peak first,
# then, on BEIR SciFact (5,183 abstracts as text files):
#   1. embedding throughput of `crumb index` end to end (dynamic int8 by default),
#      between two runs of Python onnxruntime fp32 on 1,000 of the same passages
#      with the same threads (A B A), and crumb's peak RSS;
#   2. NDCG@10 of bm25, vector and hybrid, int8 and fp32 embedder;
#   3. the reranker on the exact (query, window) pairs the search path sends for
#      the first 30 test queries (top 10 files, 192-token windows): crumb with one
#      session of 2 threads, crumb with its default pool (2 sessions x 1 thread),
#      and Python onnxruntime (2 threads) on the same pairs, interleaved A B C A B C A B C;
#   4. `crumb search` hybrid + rerank latency in-process (top 10 files, default 20);
#   5. a keyword-only `crumb search` with and without models installed (lazy loading).
# Usage: scripts/bench-neural.sh   (needs make setup; run nothing else meanwhile)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-"$repo/target"}
shared=${CRUMB_SHARED_MODELS:-"$repo/../shared/models"}
reranker="$shared/mxbai-rerank-xsmall-v1-arch-random"
minilm="$repo/.cache/models/minilm"
work="$repo/.cache/bench/neural"
threads=${THREADS:-$(nproc)}
mkdir -p "$work"
scripts/setup-models.sh >/dev/null
venv="$repo/.cache/bench-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import onnx, onnxruntime, tokenizers, numpy' 2>/dev/null; then
  python3 -m venv "$venv"
  wheel=$(ls "$repo"/.cache/onnxruntime/wheels/onnxruntime-1.32.0-*.whl 2>/dev/null | head -n1 || true)
  "$venv/bin/pip" install -q ${wheel:-onnxruntime==1.32.0} numpy tokenizers onnx
fi
py="$venv/bin/python"
# One invocation, so the engine is built once with the features both need.
cargo build -q --release -p crumb-cli -p crumb-engine --bin crumb --example bench_rerank
crumb="$CARGO_TARGET_DIR/release/crumb"
bench="$CARGO_TARGET_DIR/release/examples/bench_rerank"

echo "# commit $(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty'), $(date -u +%FT%TZ)"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$py" scripts/bench_models.py igemm "$threads"
"$py" scripts/bench_models.py sgemm "$threads"

echo "## 1. embedding throughput"
python3 scripts/bench-scifact.py --modes bm25 --embedder none --crumb "$crumb" --work "$work" >/dev/null
docs="$work/docs"
emb="$work/data-embed-e2e"
sample="$work/passages-1000.txt"
if [ ! -s "$sample" ]; then
  # The passages as the chunker cut them, from a BM25-only index of the same files.
  "$py" - "$work/data-none/catalog.sqlite" "$sample" <<'PY'
import random, sqlite3, sys
rows = [r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT text FROM passages ORDER BY id")]
random.Random(7).shuffle(rows)
open(sys.argv[2], "w").write("\n".join(t.replace("\n", " ") for t in rows[:1000]) + "\n")
PY
fi
"$py" scripts/bench_models.py embed "$minilm" "$sample" fp32 "$threads" 32 1 512
rm -rf "$emb"
/usr/bin/time -f '{"crumb_index_peak_rss_mb": %M}' "$crumb" --data-dir "$emb" index "$docs" \
  --embedder "$minilm" --reranker none --json 2>"$work/time.txt" >"$work/index.json"
"$py" - "$work/index.json" "$work/time.txt" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
rss = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])["crumb_index_peak_rss_mb"] // 1024
print(json.dumps({"impl": "crumb index (end to end)", "passages": r["embedded"], "seconds": round(r["seconds"], 1),
                  "passages_per_s": round(r["embedded"] / r["seconds"], 2), "peak_rss_mb": rss}))
PY
"$py" scripts/bench_models.py embed "$minilm" "$sample" fp32 "$threads" 32 1 512

echo "## 2. quality (NDCG@10, 300 test queries)"
python3 scripts/bench-scifact.py --modes bm25,vector,hybrid --embedder "$minilm" --embedder-variant int8 --crumb "$crumb" --work "$work" | sed 's/^/int8 /'
python3 scripts/bench-scifact.py --modes vector,hybrid --embedder "$minilm" --embedder-variant fp32 --crumb "$crumb" --work "$work" | sed 's/^/fp32 /'

echo "## 3. reranker on the search path's pairs"
head -n 30 "$work/queries-test.tsv" > "$work/queries-30.tsv"
"$bench" pairs "$work/data-none" "$reranker" "$work/queries-30.tsv" "$work/pairs.jsonl" 10 192
for round in 1 2 3; do
  "$bench" score "$reranker" "$work/pairs.jsonl" 1 "$threads" 1
  "$bench" score "$reranker" "$work/pairs.jsonl" "$threads" 1 1
  "$py" scripts/bench_models.py rerank-pairs "$reranker" "$work/pairs.jsonl" "$threads" 1
done

echo "## 4. crumb search, hybrid + rerank (first 30 test queries, in-process ms)"
for top in 10 20; do
  python3 scripts/bench-scifact.py --modes hybrid --embedder "$minilm" --reranker "$reranker" \
    --rerank-top "$top" --max-queries 30 --crumb "$crumb" --work "$work" | sed "s/^/top $top files: /"
done

echo "## 5. keyword-only search process, 20 runs each (wall ms, p50)"
"$py" - "$crumb" "$work/data-none" <<'PY'
import os, statistics, subprocess, sys, tempfile, time
crumb, data = sys.argv[1], sys.argv[2]
def run(extra, env):
    ms = []
    for _ in range(20):
        t = time.perf_counter()
        subprocess.run([crumb, "--data-dir", data, "search", "protein folding", "--json"] + extra,
                       check=True, stdout=subprocess.DEVNULL, env=env)
        ms.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(ms), 1)
env = dict(os.environ, CRUMB_DATA_DIR=tempfile.mkdtemp())
for _ in range(2):
    print({"default flags (no vectors, no models installed)": run([], env),
           "--embedder none --reranker none": run(["--embedder", "none", "--reranker", "none"], env)})
PY
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
