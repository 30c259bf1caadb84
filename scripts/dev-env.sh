# Sourced by scripts run outside make: names the checkout's ONNX Runtime,
# pdfium and OCR models explicitly, as the Makefile does, because crumb never
# looks in the working directory or its ancestors.
_crumb_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ORT_DYLIB_PATH="${ORT_DYLIB_PATH:-$_crumb_repo/.cache/onnxruntime/libonnxruntime.so}"
export CRUMB_PDFIUM="${CRUMB_PDFIUM:-$_crumb_repo/.cache/pdfium}"
export CRUMB_OCR_MODELS="${CRUMB_OCR_MODELS:-$_crumb_repo/.cache/models/ocr}"
unset _crumb_repo
