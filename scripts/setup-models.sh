#!/usr/bin/env bash
# Builds the test/benchmark stand-in for the embedder (all-MiniLM-L6-v2, the base of
# mxbai-embed-xsmall-v1) into <repo>/.cache/models/minilm. Idempotent: get-minilm.sh checks
# sha256s and returns at once when the files are already there.
#
# Usage: scripts/setup-models.sh   Env: CRUMB_SHARED_MODELS (default <repo>/../shared/models)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${CRUMB_SHARED_MODELS:-"$repo/../shared/models"}
dest="$repo/.cache/models/minilm"
if [ ! -x "$shared/get-minilm.sh" ]; then
  echo "setup-models: $shared/get-minilm.sh not found (set CRUMB_SHARED_MODELS)" >&2
  exit 1
fi
mkdir -p "$dest"
"$shared/get-minilm.sh" "$dest"

# The dynamic-int8 variant (MatMulInteger, u8 activations × s8 weights) of the
# same real weights (per-channel weight scales: per-tensor scales left some
# passages at cosine 0.79 to fp32, per-channel at 0.98 or more), as mixedbread publishes `onnx/model_quantized.onnx` for
# mxbai-embed-xsmall-v1. onnxruntime's own quantiser builds it; it is what the
# engine picks on CPUs with fast int8 (see OnnxVariant::Auto). Deterministic, so
# the sha256 below pins it.
quantized="$dest/onnx/model_quantized.onnx"
want_sha=$(cat "$repo/scripts/minilm-quantized.sha256" 2>/dev/null || true)
if [ ! -s "$quantized" ] || { [ -n "$want_sha" ] && [ "$(sha256sum "$quantized" | cut -d' ' -f1)" != "$want_sha" ]; }; then
  venv="$repo/.cache/py"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import onnx, onnxruntime' 2>/dev/null; then
    python3 -m venv "$venv"
    wheel=$(ls "$repo"/.cache/onnxruntime/wheels/onnxruntime-1.32.0-*.whl 2>/dev/null | head -n1 || true)
    "$venv/bin/pip" install -q ${wheel:-onnxruntime==1.32.0} onnx==1.23.2 numpy
  fi
  "$venv/bin/python" - "$dest/onnx/model.onnx" "$quantized.part" <<'PY'
import logging, sys
import onnx
logging.disable(logging.WARNING)
from onnxruntime.quantization import QuantType, quantize_dynamic
# The FFN down-projections (intermediate -> hidden) read GELU outputs, whose
# outliers make their dynamically quantised activations the main error source:
# keeping those 6 of 36 weight MatMuls in fp32 halved the embedding error
# (mean cosine to fp32 0.9954 -> 0.9978 on SciFact passages) for ~25% of the
# int8 speed-up.
model = onnx.load(sys.argv[1])
weights = {i.name: tuple(i.dims) for i in model.graph.initializer}
down = [n.name for n in model.graph.node if n.op_type == "MatMul"
        and any(len(weights.get(x, ())) == 2 and weights[x][0] > weights[x][1] for x in n.input)]
quantize_dynamic(sys.argv[1], sys.argv[2], weight_type=QuantType.QInt8, per_channel=True,
                 nodes_to_exclude=down)
PY
  mv "$quantized.part" "$quantized"
  if [ -n "$want_sha" ] && [ "$(sha256sum "$quantized" | cut -d' ' -f1)" != "$want_sha" ]; then
    echo "setup-models: $quantized does not match scripts/minilm-quantized.sha256" >&2
    exit 1
  fi
  echo "setup-models: built $quantized (dynamic int8)"
fi
