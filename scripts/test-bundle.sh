#!/usr/bin/env bash
# make test-bundle: a fresh install of the .deb `make bundle` built, used the
# way a person would on first launch, with nothing from the checkout:
# - `dpkg -x` into a temp root outside the checkout;
# - an empty HOME, no .cache, a cleared environment (no ORT_DYLIB_PATH,
#   CRUMB_PDFIUM, CRUMB_OCR_MODELS), the working directory /;
# - no network (`unshare -n`) and the checkout hidden (`unshare -m`, a tmpfs
#   over /work, where the checkout and ../shared live);
# then:
# 1. the installed app starts under Xvfb and loads ONNX Runtime and both
#    models from its resource dir (its log says from where);
# 2. the installed `crumb` indexes a folder holding a PDF and finds the PDF by
#    meaning with a query that shares no word with it, through the bundled
#    (stand-in) embedder, and the bundled reranker scores the hits.
# Prints the first-launch time to searchable (index + first search).
# Needs root (for unshare) and xvfb-run.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
deb=${1:-$(ls -t "$CARGO_TARGET_DIR"/bundle-out/*.deb 2>/dev/null | head -n1)}
[ -f "$deb" ] || { echo "no .deb: run make bundle first" >&2; exit 1; }
command -v unshare >/dev/null && command -v xvfb-run >/dev/null \
  || { echo "needs unshare (util-linux) and xvfb-run (xvfb): apt-get install util-linux xvfb" >&2; exit 1; }

root=$(mktemp -d /tmp/crumb-fresh.XXXXXX)
trap 'rm -rf "$root"' EXIT
dpkg -x "$deb" "$root/pkg"
echo "package: $(stat -c %s "$deb") bytes; installed: $(du -sb "$root/pkg" | cut -f1) bytes"
mkdir -p "$root/home" "$root/docs"
cp "$repo/tests/fixtures/bundle/baking.pdf" "$root/docs/"
printf 'The quarterly tax return is due at the end of April; keep the receipts.\n' >"$root/docs/taxes.txt"
printf 'Change the engine oil every ten thousand kilometres and check the tyres.\n' >"$root/docs/car.txt"
printf 'The committee meets on Tuesday to vote on the new parking rules.\n' >"$root/docs/minutes.txt"
cat >"$root/run.sh" <<'EOF'
#!/bin/sh
# Inside the namespaces: hide the checkout, then run the check.
set -eu
mount -t tmpfs none /work
[ -z "$(ls -A /work)" ]
cd /
exec "$@"
EOF
cat >"$root/check.sh" <<'EOF'
#!/bin/sh
set -eu
r=$1
crumb="$r/pkg/usr/bin/crumb"
app="$r/pkg/usr/bin/crumb-app"
export HOME="$r/home"
if ls -A "$HOME" | grep -q .; then echo "HOME is not empty" >&2; exit 1; fi
if curl -fsS -o /dev/null --max-time 3 https://huggingface.co 2>/dev/null; then echo "network reachable" >&2; exit 1; fi

echo "== 1. the installed app under Xvfb"
# `timeout` stands between xvfb-run and the app so it can be stopped by its
# pid (it passes the signal on); xvfb-run then stops its Xvfb.
xvfb-run -a -s "-screen 0 1280x800x24" env LIBGL_ALWAYS_SOFTWARE=1 NO_AT_BRIDGE=1 \
  dbus-run-session -- sh -c 'echo $$ >"$1/app.pid"; exec timeout 90 "$2"' sh "$r" "$app" >"$r/app.log" 2>&1 &
xvfb=$!
t0=$(date +%s%N)
for i in $(seq 180); do
  grep -q "reranker loaded" "$r/app.log" 2>/dev/null && break
  sleep 0.5
done
t1=$(date +%s%N)
[ -s "$r/app.pid" ] && kill "$(cat "$r/app.pid")" 2>/dev/null || true
wait "$xvfb" || true
echo "   app: start to models loaded: $(( (t1 - t0) / 1000000 )) ms"
grep -E "resource dir|ONNX Runtime loaded|reranker loaded|problem|error" "$r/app.log" | sed 's/^/   app: /' | cut -c1-220
grep -q "ONNX Runtime loaded.*$r/pkg/usr/lib/Crumb/onnxruntime" "$r/app.log"
grep -q "reranker loaded" "$r/app.log"

echo "== 2. the installed crumb: index, then search by meaning"
start=$(date +%s%N)
"$crumb" index "$r/docs"
# By meaning alone: the embedder must rank the PDF first.
"$crumb" search "homemade bread recipe" --mode vector --rerank-top 0 --json --limit 4 >"$r/meaning.json"
end=$(date +%s%N)
# The default search, reranked by the bundled reranker. Its stand-in has
# random weights, so its order means nothing; that it ran is what is checked.
"$crumb" search "homemade bread recipe" --json --limit 4 >"$r/hits.json"
"$crumb" status
python3 - "$r/meaning.json" "$r/hits.json" <<'PY'
import json, sys
meaning, hits = (json.load(open(p)) for p in sys.argv[1:])
for label, rows in (("by meaning", meaning), ("reranked", hits)):
    for h in rows:
        d = h["details"]
        print(f"   {label:<10} {h['path'].rsplit('/', 1)[-1]:<12} bm25_rank={d.get('bm25_rank')} "
              f"vector_rank={d.get('vector_rank')} rerank_score={d.get('rerank_score')}")
top = meaning[0]
assert top["path"].endswith("baking.pdf"), "the embedder did not find the PDF first"
assert top["details"].get("bm25_rank") is None, "the query must share no word with the PDF"
pdf = next(h for h in hits if h["path"].endswith("baking.pdf"))
assert pdf["details"].get("vector_rank") == 1
assert all(h["details"].get("rerank_score") is not None for h in hits), "the reranker did not run"
PY
echo "first launch to searchable (crumb index + first search by meaning, fresh data dir): $(( (end - start) / 1000000 )) ms"
EOF
chmod +x "$root/run.sh" "$root/check.sh"
unshare -m -n -- "$root/run.sh" env -i PATH=/usr/bin:/bin LANG=C.UTF-8 "$root/check.sh" "$root"
echo "test-bundle: passed ($deb)"
