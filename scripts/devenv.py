"""The checkout's native libraries and OCR models, named for the `crumb`
processes a benchmark starts, as the Makefile and scripts/dev-env.sh do:
crumb never searches the working directory or its ancestors for them.
Imported by the scripts beside it, so running one directly works too."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

for _var, _rel in (("ORT_DYLIB_PATH", ".cache/onnxruntime/libonnxruntime.so"),
                   ("CRUMB_PDFIUM", ".cache/pdfium"), ("CRUMB_OCR_MODELS", ".cache/models/ocr")):
    os.environ.setdefault(_var, str(ROOT / _rel))
