#!/usr/bin/env bash
# OCR benchmark (docs/BENCHMARKS.md, "OCR"): Crumb's PaddleOCR pipeline against tesseract 5 on
# the same 150 and 300 dpi renderings of text pages of ../shared/corpus, with pdftotext's text as
# ground truth. Installs tesseract (Debian tesseract-ocr, tesseract-ocr-eng) when missing.
# Usage: scripts/bench-ocr.sh [--pages N] [--dpi 150 300]   (run alone: /tmp/quiet-run.sh)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup-ocr.sh"
"$root/scripts/setup-onnxruntime.sh"
if ! command -v tesseract >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx eng; then
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    tesseract-ocr tesseract-ocr-eng poppler-utils
fi
cargo build --release --quiet -p crumb-engine --example ocr-images --manifest-path "$root/Cargo.toml"
venv="$root/.cache/py"
py=$([ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import numpy' 2>/dev/null && echo "$venv/bin/python" || echo python3)
echo "commit $(git -C "$root" rev-parse --short HEAD), $(tesseract --version 2>&1 | head -n1), $(nproc) cores, load: $(uptime | sed 's/.*load average: //')"
"$py" "$root/scripts/bench-ocr.py" --crumb "${CARGO_TARGET_DIR:-$root/target}/release/examples/ocr-images" "$@"
echo "load after: $(uptime | sed 's/.*load average: //')"
