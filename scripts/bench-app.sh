#!/usr/bin/env bash
# Keystroke-to-paint latency of the app window on SciFact (see tests/e2e/bench.mjs).
# Needs what scripts/e2e.sh needs, plus the ONNX Runtime (scripts/setup-onnxruntime.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
npm run build --prefix ui
# --workspace: the same features as `make test`, so nothing is built twice.
cargo build --workspace
export PATH="$HOME/.cargo/bin:$PATH"
exec xvfb-run -a -s "-screen 0 1280x800x24" \
  env LIBGL_ALWAYS_SOFTWARE=1 NO_AT_BRIDGE=1 \
  dbus-run-session -- node tests/e2e/bench.mjs
