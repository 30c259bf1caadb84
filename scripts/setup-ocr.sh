#!/usr/bin/env bash
# Installs the OCR models (PaddleOCR, Apache-2.0) into .cache/models/ocr/:
#   det.onnx  text detection (DB),            PP-OCRv4 mobile, ch_PP-OCRv4_det_infer.onnx from the
#             `rapidocr-onnxruntime` 1.4.4 wheel
#   rec.onnx  text recognition (CTC),         PP-OCRv6 small, PP-OCRv6_rec_small.onnx from the
#             `rapidocr` 3.10.0 wheel; its character list is in the model's own metadata
#             (`character`), written out as keys.txt
#   cls.onnx  180° text-line orientation,     ch_ppocr_mobile_v2.0_cls, the same file in both wheels
# Why this mix (docs/BENCHMARKS.md, "OCR"): PP-OCRv6's recogniser cut the character error rate
# by a quarter against PP-OCRv4's; PP-OCRv6's detector cut it a little more but raised a letter
# page's peak RSS by 100 MB, close to what the extraction worker's 1 GiB address space allows.
# Both wheels are on PyPI, fetched with pip like ONNX Runtime and pdfium; each wheel and every
# model are checked against the sha256s below.
# Idempotent and non-interactive: returns at once when the checked files are there.
#
# Usage: scripts/setup-ocr.sh [DEST]   (default: <repo>/.cache/models/ocr)
# Env:   OCR_WHEEL, OCR_WHEEL_V6  already-downloaded rapidocr_onnxruntime 1.4.4 and rapidocr 3.10.0
#        wheels to use instead of pip
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-"$repo/.cache/models/ocr"}
# wheel: package, version, sha256
wheels="rapidocr-onnxruntime 1.4.4 971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf
rapidocr 3.10.0 2fc34e26cd0f48514804a94f8832283039c7334076bff60768b1fed9ad068050"
# dest name, package, member in its wheel, sha256 (also in models/manifest.json)
models="det.onnx rapidocr-onnxruntime rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9
rec.onnx rapidocr rapidocr/models/PP-OCRv6_rec_small.onnx 6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884
cls.onnx rapidocr-onnxruntime rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c"

sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
all_ok() {
  while read -r name _ _ want; do
    [ "$(sha "$dest/$name")" = "$want" ] || return 1
  done <<< "$models"
  [ -s "$dest/keys.txt" ]
}
all_ok && exit 0

command -v python3 >/dev/null || { echo "setup-ocr: python3 is needed to fetch the OCR models" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fetch_wheel() {  # package version sha256 preset -> path of the checked wheel
  local pkg=$1 version=$2 want=$3 wheel=$4
  if [ -z "$wheel" ]; then
    python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$work" "$pkg==$version" >&2
    wheel=$(ls "$work"/"${pkg//-/_}"-"$version"-*.whl)
  fi
  if [ "$(sha "$wheel")" != "$want" ]; then
    echo "setup-ocr: $wheel does not match the pinned sha256 $want" >&2
    return 1
  fi
  echo "$wheel"
}
declare -A wheel_of
while read -r pkg version want; do
  preset=$([ "$pkg" = rapidocr ] && echo "${OCR_WHEEL_V6:-}" || echo "${OCR_WHEEL:-}")
  wheel_of[$pkg]=$(fetch_wheel "$pkg" "$version" "$want" "$preset")
done <<< "$wheels"
mkdir -p "$dest"
python3 - "$dest" "rapidocr-onnxruntime=${wheel_of[rapidocr-onnxruntime]}" "rapidocr=${wheel_of[rapidocr]}" <<PY
import os, sys, zipfile
dest = sys.argv[1]
wheels = dict(a.split("=", 1) for a in sys.argv[2:])
models = """$models"""
for line in models.splitlines():
    name, pkg, member, _ = line.split()
    with zipfile.ZipFile(wheels[pkg]) as z:
        data = z.read(member)
    tmp = os.path.join(dest, name + ".part")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, os.path.join(dest, name))
PY
while read -r name _ _ want; do
  if [ "$(sha "$dest/$name")" != "$want" ]; then
    echo "setup-ocr: $dest/$name does not match its pinned sha256 $want" >&2
    exit 1
  fi
done <<< "$models"
# The recogniser's character list, for reading and for other tools (Crumb reads the same list
# from the model's metadata when keys.txt is absent). ONNX metadata is a protobuf map at the end
# of the file; pulling the one string out needs no onnx package.
python3 - "$dest/rec.onnx" "$dest/keys.txt" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
key = b"\x0a\x09character\x12"
at = data.rfind(key)
if at < 0:
    sys.exit("setup-ocr: rec.onnx has no 'character' metadata")
pos, shift, n = at + len(key), 0, 0
while True:  # varint length of the value
    b = data[pos]; pos += 1
    n |= (b & 0x7F) << shift; shift += 7
    if not b & 0x80:
        break
keys = data[pos:pos + n].decode("utf-8")
tmp = sys.argv[2] + ".part"
with open(tmp, "w", encoding="utf-8") as f:
    f.write(keys if keys.endswith("\n") else keys + "\n")
import os; os.replace(tmp, sys.argv[2])
print(f"setup-ocr: {keys.count(chr(10)) + 1} characters in keys.txt")
PY
echo "setup-ocr: installed PP-OCRv4 det, PP-OCRv6 small rec and the v2 cls in $dest"
