#!/usr/bin/env bash
# Installs the OCR models (PaddleOCR PP-OCRv4 mobile, Apache-2.0) into .cache/models/ocr/:
#   det.onnx  text detection (DB),            ch_PP-OCRv4_det_infer.onnx
#   rec.onnx  text recognition (CRNN + CTC),  ch_PP-OCRv4_rec_infer.onnx; its character list
#             is in the model's own metadata (`character`), written out as keys.txt
#   cls.onnx  180° text-line orientation,     ch_ppocr_mobile_v2.0_cls_infer.onnx
# They ship inside the `rapidocr-onnxruntime` wheel on PyPI, fetched with pip like ONNX Runtime
# and pdfium; the wheel and every model are checked against the sha256s below.
# Idempotent and non-interactive: returns at once when the checked files are there.
#
# Usage: scripts/setup-ocr.sh [DEST]   (default: <repo>/.cache/models/ocr)
# Env:   OCR_WHEEL  an already-downloaded rapidocr_onnxruntime wheel to use instead of pip
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-"$repo/.cache/models/ocr"}
version=1.4.4
wheel_sha=971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf
# dest name, member in the wheel, sha256 (also in models/manifest.json)
models="det.onnx rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9
rec.onnx rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx 48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b
cls.onnx rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c"

sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
all_ok() {
  while read -r name _ want; do
    [ "$(sha "$dest/$name")" = "$want" ] || return 1
  done <<< "$models"
  [ -s "$dest/keys.txt" ]
}
all_ok && exit 0

command -v python3 >/dev/null || { echo "setup-ocr: python3 is needed to fetch the OCR models" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
wheel=${OCR_WHEEL:-}
if [ -z "$wheel" ]; then
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$work" "rapidocr-onnxruntime==$version"
  wheel=$(ls "$work"/rapidocr_onnxruntime-"$version"-*.whl)
fi
if [ "$(sha "$wheel")" != "$wheel_sha" ]; then
  echo "setup-ocr: $wheel does not match the pinned sha256 $wheel_sha" >&2
  exit 1
fi
mkdir -p "$dest"
python3 - "$wheel" "$dest" <<PY
import os, sys, zipfile
wheel, dest = sys.argv[1:3]
models = """$models"""
with zipfile.ZipFile(wheel) as z:
    for line in models.splitlines():
        name, member, _ = line.split()
        tmp = os.path.join(dest, name + ".part")
        with open(tmp, "wb") as f:
            f.write(z.read(member))
        os.replace(tmp, os.path.join(dest, name))
PY
while read -r name _ want; do
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
echo "setup-ocr: installed PP-OCRv4 det/rec/cls in $dest (rapidocr-onnxruntime $version)"
