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
