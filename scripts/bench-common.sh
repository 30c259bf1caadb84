# Shared setup for scripts/bench-embed.sh and scripts/bench-rerank.sh (sourced).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
shared=${CRUMB_SHARED_MODELS:-"$repo/../shared/models"}
scifact=${CRUMB_SCIFACT:-"$repo/../shared/datasets/scifact"}
venv="$repo/.cache/bench-venv"
out="$repo/.cache/bench"
mkdir -p "$out"
scripts/setup-onnxruntime.sh >/dev/null
scripts/setup-models.sh >/dev/null
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  wheel=$(ls "$repo"/.cache/onnxruntime/wheels/onnxruntime-1.32.0-*.whl 2>/dev/null | head -n1 || true)
  "$venv/bin/pip" install -q ${wheel:-onnxruntime==1.32.0} numpy tokenizers
fi
py="$venv/bin/python"
[ -s "$out/passages.txt" ] || "$py" scripts/bench_models.py passages "$scifact/corpus.jsonl" "$out/passages.txt" 128
# The engine crate at opt-level 3 (its dependencies are already optimised in the
# dev profile), without a full release build of every dependency.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-"$repo/target"}
cargo build -q -p crumb-engine --example bench_models --config 'profile.dev.package.crumb-engine.opt-level=3'
bench="$CARGO_TARGET_DIR/debug/examples/bench_models"
