#!/usr/bin/env bash
# make bundle: a .deb of the app that searches by meaning offline from its
# first launch. Its resources (usr/lib/Crumb/ once installed) hold
#   onnxruntime/libonnxruntime.so   pdfium/libpdfium.so
#   models/mxbai-embed-xsmall-v1/   models/mxbai-rerank-xsmall-v1/  (int8)
#   models/ocr/                     (PP-OCRv4 det/cls, PP-OCRv6 small rec, sha256-checked)
# and the package also installs the `crumb` CLI as /usr/bin/crumb.
#
# The two models are fetched through the manifest's downloader, every byte
# checked against a sha256:
# - from the Hugging Face Hub when it answers (CRUMB_BUNDLE_SOURCE=hub), with
#   the real manifest; files it calls "unpinned" need CRUMB_BUNDLE_ALLOW_UNPINNED=1;
# - else (CRUMB_BUNDLE_SOURCE=mirror, what happens on machines without the hub)
#   from a local mirror served over HTTP on 127.0.0.1 that holds stand-in files
#   under the real names (scripts/bundle-mirror.py). Such a bundle is a TEST
#   BUNDLE: its file name says so, TEST-BUNDLE.json in its resources says what
#   stands in for what, and the app's About box shows it.
#
# Debug profile (`tauri bundle --debug`): a release build takes 20-30 minutes
# on the project's 2 cores; the bundle's layout and resolution are the same.
# Set CRUMB_BUNDLE_PROFILE=release for a release build.
#
# Output: target/bundle-out/Crumb_<version>_amd64[_TEST-BUNDLE].deb
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
profile=${CRUMB_BUNDLE_PROFILE:-debug}
stage="$CARGO_TARGET_DIR/bundle-resources"
out="$CARGO_TARGET_DIR/bundle-out"
tmp=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

source_kind=${CRUMB_BUNDLE_SOURCE:-}
if [ -z "$source_kind" ]; then
  if curl -fsS -o /dev/null --max-time 5 https://huggingface.co/api/models/mixedbread-ai/mxbai-embed-xsmall-v1; then
    source_kind=hub
  else
    source_kind=mirror
  fi
fi
echo "bundle: models from the $source_kind; $profile profile"

rm -rf "$stage"
mkdir -p "$stage/onnxruntime" "$stage/pdfium" "$stage/models/ocr" "$out"

# Native libraries: the ones `make setup` installed and checked.
[ -f "$ORT_DYLIB_PATH" ] || { echo "no ONNX Runtime at $ORT_DYLIB_PATH: run make setup" >&2; exit 1; }
[ -f "$CRUMB_PDFIUM/libpdfium.so" ] || { echo "no pdfium in $CRUMB_PDFIUM: run make setup" >&2; exit 1; }
cp -L "$ORT_DYLIB_PATH" "$stage/onnxruntime/libonnxruntime.so"
cp -L "$CRUMB_PDFIUM/libpdfium.so" "$stage/pdfium/libpdfium.so"

# OCR models: copied from .cache/models/ocr and checked against the manifest.
python3 - "$CRUMB_OCR_MODELS" "$stage/models/ocr" <<'EOF'
import hashlib, json, shutil, sys
from pathlib import Path
src, dest = map(Path, sys.argv[1:])
ocr = json.loads(Path("models/manifest.json").read_text())["ocr_models"]
for f in ocr["files"]:
    p = src / f["path"]
    data = p.read_bytes() if p.is_file() else b""
    got = hashlib.sha256(data).hexdigest()
    if len(data) != f["size"] or got != f["sha256"]:
        sys.exit(f"{p}: size {len(data)} sha256 {got}, the manifest says {f['size']} {f['sha256']} (run scripts/setup-ocr.sh)")
    shutil.copyfile(p, dest / f["path"])
print(f"bundle: OCR models verified ({len(ocr['files'])} files)")
EOF

npm run build --prefix ui
cargo_flags=(--workspace --features crumb-app/custom-protocol)
[ "$profile" = release ] && cargo_flags+=(--release)
cargo build "${cargo_flags[@]}"
crumb="$CARGO_TARGET_DIR/$profile/crumb"

fetch=("$crumb" --data-dir "$tmp/data" models fetch mxbai-embed-xsmall-v1 mxbai-rerank-xsmall-v1 --into "$stage/models")
suffix=
if [ "$source_kind" = mirror ]; then
  python3 scripts/bundle-mirror.py "$tmp/mirror" "$tmp/test-manifest.json" "$stage/TEST-BUNDLE.json"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 -m http.server "$port" --bind 127.0.0.1 --directory "$tmp/mirror" >"$tmp/http.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 50); do curl -fsS -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  fetch+=(--manifest "$tmp/test-manifest.json" --base-url "http://127.0.0.1:$port")
  suffix=_TEST-BUNDLE
else
  [ "${CRUMB_BUNDLE_ALLOW_UNPINNED:-0}" = 1 ] && fetch+=(--allow-unpinned)
fi
"${fetch[@]}"
# Hashes recorded for unpinned files stay with the download, not the package.
find "$stage/models" -name .seen-sha256.json -delete

# Resources and the CLI go in through a config overlay, so the checked-in
# tauri.conf.json stays buildable without them.
python3 - "$stage" "$crumb" >"$tmp/bundle.conf.json" <<'EOF'
import json, os, sys
stage, crumb = sys.argv[1:]
rel = lambda p: os.path.relpath(p, os.getcwd())
res = {rel(f"{stage}/{d}") + "/": f"{d}/" for d in ("onnxruntime", "pdfium", "models")}
if os.path.exists(f"{stage}/TEST-BUNDLE.json"):
    res[rel(f"{stage}/TEST-BUNDLE.json")] = "TEST-BUNDLE.json"
print(json.dumps({"bundle": {"resources": res,
                             "linux": {"deb": {"files": {"/usr/bin/crumb": rel(crumb)}}}}}))
EOF
tauri_flags=(--bundles deb --config "$tmp/bundle.conf.json")
[ "$profile" = debug ] && tauri_flags+=(--debug)
ui/node_modules/.bin/tauri bundle "${tauri_flags[@]}"

built=$(ls -t "$CARGO_TARGET_DIR/$profile/bundle/deb/"*.deb | head -n1)
name=$(basename "$built" .deb)
rm -f "$out/$name"*.deb
mv "$built" "$out/$name$suffix.deb"
echo "bundle: $out/$name$suffix.deb ($(du -h "$out/$name$suffix.deb" | cut -f1))"
