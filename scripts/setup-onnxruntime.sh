#!/usr/bin/env bash
# Installs the ONNX Runtime shared library that `ort` (load-dynamic) opens at run time.
# Source: the official `onnxruntime` wheel on PyPI, which carries the library as
# onnxruntime/capi/libonnxruntime.so.<version>. Idempotent and non-interactive.
#
# Usage: scripts/setup-onnxruntime.sh [DEST]   (default: <repo>/.cache/onnxruntime)
# Env:   ORT_VERSION (default 1.32.0, the version ort 2.0.0-rc.15 is built against)
#        ORT_WHEEL   an already-downloaded wheel to use instead of pip download
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-"$repo/.cache/onnxruntime"}
ver=${ORT_VERSION:-1.32.0}

case "$(uname -s)" in
  Linux)  member="onnxruntime/capi/libonnxruntime.so.$ver"; lib="libonnxruntime.so" ;;
  Darwin) member="onnxruntime/capi/libonnxruntime.$ver.dylib"; lib="libonnxruntime.dylib" ;;
  *) echo "setup-onnxruntime: unsupported OS $(uname -s); set ORT_DYLIB_PATH to an onnxruntime library" >&2; exit 1 ;;
esac

# The stamp records which version is installed so a version bump reinstalls.
if [ -f "$dest/$lib" ] && [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$ver" ]; then
  exit 0
fi
mkdir -p "$dest/wheels"

wheel=${ORT_WHEEL:-}
if [ -z "$wheel" ]; then
  wheel=$(ls "$dest/wheels"/onnxruntime-"$ver"-*.whl 2>/dev/null | head -n1 || true)
fi
if [ -z "$wheel" ]; then
  py=$(command -v python3 || command -v python)
  "$py" -m pip download -q --no-deps --only-binary=:all: -d "$dest/wheels" "onnxruntime==$ver"
  wheel=$(ls "$dest/wheels"/onnxruntime-"$ver"-*.whl | head -n1)
fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 - "$wheel" "$member" "$tmp/$lib" <<'PY'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
mv "$tmp/$lib" "$dest/$lib"
# ort opens the unversioned name; the versioned one helps ldd/otool readers.
ln -sf "$lib" "$dest/$(basename "$member")"
echo "$ver" > "$dest/VERSION"
echo "onnxruntime $ver installed in $dest/$lib"
