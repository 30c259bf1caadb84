"""The checkout's native libraries and OCR models, named for the `crumb`
processes a benchmark starts, as the Makefile and scripts/dev-env.sh do:
crumb never searches the working directory or its ancestors for them.
Imported by the scripts beside it, so running one directly works too. Also what the benchmark
scripts all report and all start: a percentile, and the port of a `crumb serve`."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

for _var, _rel in (("ORT_DYLIB_PATH", ".cache/onnxruntime/libonnxruntime.so"),
                   ("CRUMB_PDFIUM", ".cache/pdfium"), ("CRUMB_OCR_MODELS", ".cache/models/ocr")):
    os.environ.setdefault(_var, str(ROOT / _rel))


def pct(xs, p):
    """The p-th percentile of xs (nearest rank); NaN when there is nothing to rank."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def scifact_test_queries():
    """SciFact's 300 test queries, id -> text, chosen as bench-scifact.py chooses them (whose
    scratch queries file a `--max-queries` run shortens, so it is not read instead)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_scifact", ROOT / "scripts/bench-scifact.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.split_queries("test")[0]


def served_port(proc):
    """The port a `crumb serve --port 0` started as `proc` (stdout a text pipe) says it
    listens on; exits with its error output if it stops before saying so."""
    for line in proc.stdout:
        if "127.0.0.1:" in line:
            return int(line.split("127.0.0.1:")[1].split()[0].strip("/"))
    err = proc.stderr.read() if proc.stderr else ""
    raise SystemExit(f"crumb serve did not start:\n{err[-3000:]}")
