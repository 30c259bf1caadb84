#!/usr/bin/env bash
# Bounded fuzzing of the extractors with cargo-fuzz (libFuzzer), seeded from the adversarial set
# and the corpus. Each target runs for SECONDS (default 30). Skips, successfully, when nightly Rust
# or cargo-fuzz is missing, so `make test` can always call it; the stable test suite replays every
# adversarial file through the extraction workers either way.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   targets: zipped markup email pdf
# Longer runs: scripts/fuzz.sh 3600 zipped   (findings land in crates/engine/fuzz/artifacts/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-30}
shift || true
targets=${*:-zipped markup email pdf}
if ! cargo +nightly --version >/dev/null 2>&1 || ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: skipped (needs nightly Rust and cargo-fuzz: rustup toolchain install nightly; cargo install cargo-fuzz)"
  exit 0
fi
shared=${CRUMB_SHARED:-$root/../shared}
fuzz=$root/crates/engine/fuzz
"$root/scripts/setup-pdfium.sh"
export CRUMB_PDFIUM=$root/.cache/pdfium
seed() { # target selector-byte extension...
  local target=$1 byte=$2; shift 2
  mkdir -p "$fuzz/corpus/$target"
  for ext in "$@"; do
    find "$shared/adversarial" "$shared/corpus/files" -type f -iname "*.$ext" -size -1024k 2>/dev/null | awk "NR <= 200" |
      while IFS= read -r f; do
        out="$fuzz/corpus/$target/seed-$(printf '%s' "$f" | sha1sum | cut -c1-16)"
        [ -e "$out" ] || { printf "\\x$(printf %02x "$byte")"; cat "$f"; } > "$out"
      done
  done
}
i=0; for e in docx pptx odt odp epub; do seed zipped $i $e; i=$((i+1)); done
i=0; for e in html rtf txt md; do seed markup $i $e; i=$((i+1)); done
seed email 0 eml; seed email 1 mbox; seed email 2 msg
seed pdf 0 pdf
cd "$fuzz"
failed=""
for t in $targets; do
  echo "fuzz: $t for ${secs}s"
  cargo +nightly fuzz run "$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 \
    -max_len=1048576 -print_final_stats=1 || failed="$failed $t"
done
if [ -n "$failed" ]; then
  echo "fuzz: findings in:$failed (reproducers in crates/engine/fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz: no findings"
