#!/usr/bin/env python3
"""Builds the local model mirror `make bundle` fetches from when the model hub
is unreachable, and the test manifest that goes with it.

The mirror holds stand-in files (from ../shared/models and the MiniLM folder
scripts/setup-models.sh builds) under the real models' file names, laid out
as the Hub serves them (`<repo>/resolve/<revision>/<path>`). The test
manifest is models/manifest.json with the two bundled models' files replaced
by the stand-ins' sizes and sha256s, so the ordinary downloader still checks
every byte. It is marked `"test_bundle": true`, and TEST-BUNDLE.json (written
into the bundle's resources) says what stands in for what: the app's About
box shows it, and the package's file name says TEST-BUNDLE. A stand-in is
never labelled as the real model.

Usage: bundle-mirror.py MIRROR_DIR TEST_MANIFEST MARKER_JSON
"""

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CRUMB_SHARED", REPO.parent / "shared"))
MINILM = Path(os.environ.get("CRUMB_MINILM_DIR", REPO / ".cache/models/minilm"))
RERANK = SHARED / "models/mxbai-rerank-xsmall-v1-arch-random"

# model -> (what stands in, {file in the real repo: stand-in file}). Only the
# int8 graphs are bundled; the loader falls back to them without an fp32 file.
STAND_INS = {
    "mxbai-embed-xsmall-v1": (
        "all-MiniLM-L6-v2 (real weights of the model mxbai-embed-xsmall-v1 was fine-tuned "
        "from; same BERT layout, tokenizer and ONNX inputs), dynamic-int8 export by "
        "scripts/setup-models.sh. Finds text by meaning, but it is NOT mxbai-embed-xsmall-v1.",
        {
            "config.json": MINILM / "config.json",
            "tokenizer.json": MINILM / "tokenizer.json",
            "1_Pooling/config.json": MINILM / "1_Pooling/config.json",
            "onnx/model_quantized.onnx": MINILM / "onnx/model_quantized.onnx",
        },
    ),
    "mxbai-rerank-xsmall-v1": (
        "RANDOM weights in the exact mxbai-rerank-xsmall-v1 architecture, int8-quantised like "
        "the published file (../shared/models/mxbai-rerank-xsmall-v1-arch-random). It runs "
        "the real reranking code path; its scores mean nothing.",
        {
            "config.json": RERANK / "config.json",
            "tokenizer.json": RERANK / "tokenizer.json",
            "onnx/model_quantized.onnx": RERANK / "onnx/model_quantized.onnx",
        },
    ),
}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    mirror, manifest_out, marker_out = map(Path, sys.argv[1:])
    missing = [str(p) for _, files in STAND_INS.values() for p in files.values() if not p.is_file()]
    if missing:
        print(
            "stand-in models missing: " + ", ".join(missing)
            + "\n(run `make setup`: scripts/setup-models.sh builds the MiniLM folder; the "
            "reranker stand-in comes from ../shared/models)",
            file=sys.stderr,
        )
        return 1
    manifest = json.loads((REPO / "models/manifest.json").read_text())
    manifest["test_bundle"] = True
    manifest["notes"] = [
        "TEST MANIFEST written by scripts/bundle-mirror.py for a test bundle: the bundled "
        "models' files are STAND-INS served from a local mirror, pinned here to the stand-ins' "
        "own sizes and sha256s. Never use it for a release."
    ]
    marker = {
        "test_bundle": True,
        "summary": "Test bundle: the bundled models are stand-ins, not the real mixedbread models.",
        "models": {},
    }
    for entry in manifest["models"]:
        if entry["name"] not in STAND_INS:
            continue
        note, files = STAND_INS[entry["name"]]
        entry["files"] = []
        for rel, src in files.items():
            dest = mirror / entry["repo"] / "resolve" / entry["revision"] / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
            entry["files"].append({
                "path": rel,
                "size": src.stat().st_size,
                "sha256": sha256(src),
                "default": True,
                "stand_in_for": f"{entry['repo']}/{rel}",
                "stand_in_source": str(src),
            })
        marker["models"][entry["name"]] = note
    manifest_out.write_text(json.dumps(manifest, indent=2) + "\n")
    marker_out.write_text(json.dumps(marker, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
