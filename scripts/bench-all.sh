#!/usr/bin/env bash
# Every figure of docs/BENCHMARKS.md that a script produces, in one quiet run
# at one commit: neural search (bench-neural.sh), the app window
# (bench-app.sh), indexing throughput, live indexing, the vector index and the
# adversarial set. Run it with nothing else on the machine:
#   scripts/bench-all.sh 2>&1 | tee bench.log
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-"$repo/target"}
# Build everything first, so no build overlaps a measurement.
npm run build --prefix ui >/dev/null
cargo build -q --workspace
cargo build -q --release -p crumb-cli -p crumb-engine --bin crumb --example bench_rerank --example bench_models
rel="$CARGO_TARGET_DIR/release"
echo "# commit $(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty'), load $(cut -d' ' -f1-3 /proc/loadavg)"
scripts/bench-neural.sh
echo "## app window"
scripts/bench-app.sh 2>&1 | grep -v '^\s*$' | tail -25
echo "## indexing throughput (load $(cut -d' ' -f1-3 /proc/loadavg))"
python3 scripts/bench-index.py --crumb "$rel/crumb"
d=$(mktemp -d); python3 - "$d" <<'PY'
import json, sys, pathlib
d = pathlib.Path(sys.argv[1]) / "scifact"; d.mkdir()
for line in open("../shared/datasets/scifact/corpus.jsonl"):
    x = json.loads(line); (d / f"{x['_id']}.txt").write_text(f"{x['title']}\n\n{x['text']}\n")
PY
python3 scripts/bench-index.py "$d/scifact" --crumb "$rel/crumb"; rm -rf "$d"
echo "## live indexing (load $(cut -d' ' -f1-3 /proc/loadavg))"
python3 scripts/bench-watch.py --crumb "$rel/crumb" --trials 30
echo "## vector index, 1M x 384 (load $(cut -d' ' -f1-3 /proc/loadavg))"
/usr/bin/time -f 'peak RSS %M KB' "$rel/examples/bench_models" vectors 1000000 384
echo "## adversarial set (load $(cut -d' ' -f1-3 /proc/loadavg))"
h=$(mktemp -d); ../shared/adversarial/make-huge-line.sh "$h/huge-line.txt" >/dev/null
a=$(mktemp -d)
/usr/bin/time -f 'wall %e s, peak RSS %M KB' "$CARGO_TARGET_DIR/debug/crumb" --data-dir "$a" index ../shared/adversarial "$h" --embedder none --json \
  | python3 -c 'import json,sys; r=json.load(sys.stdin); print({k: r[k] for k in ("seen","indexed","failed","skipped")})'
rm -rf "$a" "$h"
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
