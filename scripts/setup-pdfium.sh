#!/usr/bin/env bash
# Installs the pdfium shared library that Crumb's PDF extractor loads at run time.
# pdfium ships inside the `pypdfium2` wheel on PyPI (the `pypdfium2_raw/libpdfium.so` member), so
# it is fetched with pip like the ONNX Runtime library, checked, and unpacked into
# .cache/pdfium/. Idempotent: does nothing when the library is already there.
# Usage: scripts/setup-pdfium.sh [DEST_DIR]      (default: .cache/pdfium in the repository)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$root/.cache/pdfium}
version=5.15.2 # pdfium build 8149
lib=libpdfium.so
case "$(uname -s)" in
  Darwin) lib=libpdfium.dylib ;;
esac
# The stamp records which version is installed so a version bump reinstalls.
if [ -s "$dest/$lib" ] && [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$version" ]; then
  exit 0
fi
command -v python3 >/dev/null || { echo "setup-pdfium: python3 is needed to fetch pdfium" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$work" "pypdfium2==$version"
wheel=$(ls "$work"/pypdfium2-*.whl)
mkdir -p "$dest"
python3 - "$wheel" "$dest" "$lib" <<'PY'
import sys, zipfile, os
wheel, dest, lib = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z:
    member = next(n for n in z.namelist() if n.endswith("/" + lib))
    data = z.read(member)
tmp = os.path.join(dest, lib + ".part")
with open(tmp, "wb") as f:
    f.write(data)
os.replace(tmp, os.path.join(dest, lib))
PY
echo "$version" > "$dest/VERSION"
echo "setup-pdfium: installed $dest/$lib (pypdfium2 $version)"
