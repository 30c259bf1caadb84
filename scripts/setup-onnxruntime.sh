#!/usr/bin/env bash
# Installs the ONNX Runtime shared library that `ort` (load-dynamic) opens at run time.
# Source: the official `onnxruntime` wheel on PyPI, which carries the library as
# onnxruntime/capi/libonnxruntime.so.<version>. Idempotent and non-interactive.
#
# Usage: scripts/setup-onnxruntime.sh [DEST]   (default: <repo>/.cache/onnxruntime)
# Env:   ORT_VERSION (default 1.32.0, the version ort 2.0.0-rc.15 is built against)
#        ORT_PACKAGE onnxruntime (CPU, default) or onnxruntime-gpu (adds the CUDA provider
#                    libraries next to the runtime, for builds with `--features cuda`)
#        ORT_WHEEL   an already-downloaded wheel to use instead of pip download
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-"$repo/.cache/onnxruntime"}
ver=${ORT_VERSION:-1.32.0}
pkg=${ORT_PACKAGE:-onnxruntime}
stamp="$pkg $ver"

case "$(uname -s)" in
  Linux)  member="onnxruntime/capi/libonnxruntime.so.$ver"; lib="libonnxruntime.so" ;;
  Darwin) member="onnxruntime/capi/libonnxruntime.$ver.dylib"; lib="libonnxruntime.dylib" ;;
  *) echo "setup-onnxruntime: unsupported OS $(uname -s); set ORT_DYLIB_PATH to an onnxruntime library" >&2; exit 1 ;;
esac

# The stamp records which version is installed so a version bump reinstalls.
if [ -f "$dest/$lib" ] && [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi
mkdir -p "$dest/wheels"

wheel=${ORT_WHEEL:-}
if [ -z "$wheel" ]; then
  wheel=$(ls "$dest/wheels"/"${pkg//-/_}"-"$ver"-*.whl 2>/dev/null | head -n1 || true)
fi
if [ -z "$wheel" ]; then
  py=$(command -v python3 || command -v python)
  "$py" -m pip download -q --no-deps --only-binary=:all: -d "$dest/wheels" "$pkg==$ver"
  wheel=$(ls "$dest/wheels"/"${pkg//-/_}"-"$ver"-*.whl | head -n1)
fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 - "$wheel" "$member" "$tmp" "$lib" <<'PY'
import os, shutil, sys, zipfile
wheel, member, tmp, lib = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    with z.open(member) as src, open(os.path.join(tmp, lib), "wb") as dst:
        shutil.copyfileobj(src, dst)
    # Execution-provider plugins (CUDA, TensorRT…) must sit beside the runtime.
    for name in z.namelist():
        base = os.path.basename(name)
        if name.startswith("onnxruntime/capi/libonnxruntime_providers_"):
            with z.open(name) as src, open(os.path.join(tmp, base), "wb") as dst:
                shutil.copyfileobj(src, dst)
PY
mv "$tmp"/libonnxruntime* "$dest/"
# ort opens the unversioned name; the versioned one helps ldd/otool readers.
ln -sf "$lib" "$dest/$(basename "$member")"
echo "$stamp" > "$dest/VERSION"
echo "$pkg $ver installed in $dest/$lib"
