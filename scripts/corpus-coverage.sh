#!/usr/bin/env bash
# Per-format extraction yield on a corpus, with poppler's pdftotext side by side for PDF.
# Runs Crumb's contained extraction (worker processes, time and memory limits) over every file
# under the given folders and prints a Markdown table: files, yielding text, failed, skipped, %.
# A file "yields text" when extraction succeeds with at least one non-blank character; for
# pdftotext, when its output holds at least one non-whitespace character.
#
# Usage: scripts/corpus-coverage.sh DIR... [> table.md]
#   e.g. scripts/corpus-coverage.sh ../shared/corpus/files /tmp/debdocs
#   (get the Debian part first with: ../shared/corpus/get-debian-docs.sh /tmp/debdocs)
# Environment: OUT=folder for the raw TSVs (default: a temp folder, path printed on stderr).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 DIR..." >&2; exit 2; }
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
"$root/scripts/setup-pdfium.sh"
cargo build --quiet -p crumb-engine --example extract-files --manifest-path "$root/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$root/target}/debug/examples/extract-files
find "$@" -type f | sort > "$out/files.txt"
"$bin" < "$out/files.txt" > "$out/crumb.tsv"
grep -i '\.pdf$' "$out/files.txt" | while IFS= read -r f; do
  n=$(timeout 60 pdftotext -q "$f" - 2>/dev/null | tr -d '[:space:]' | wc -c || true)
  printf '%s\t%s\n' "$f" "${n:-0}"
done > "$out/pdftotext.tsv"
echo "raw results in $out" >&2
python3 - "$out/crumb.tsv" "$out/pdftotext.tsv" <<'PY'
import sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
pop = {p: int(n) for p, n in (l.rstrip("\n").split("\t") for l in open(sys.argv[2]) if l.strip())}
by = collections.defaultdict(lambda: collections.Counter())
reasons = collections.defaultdict(collections.Counter)
for path, kind, status, chars, blocks, ms, reason in rows:
    c = by[kind]
    c["files"] += 1
    c[status] += 1
    if status != "ok":
        reasons[kind][reason.split(":")[0] + (": " + reason.split(":")[1].strip()[:40] if ":" in reason else "")] += 1
print("| format | files | text | failed | skipped | yield |")
print("|---|---:|---:|---:|---:|---:|")
for kind in sorted(by, key=lambda k: -by[k]["files"]):
    c = by[kind]
    print(f"| {kind} | {c['files']} | {c['ok']} | {c['failed']} | {c['skipped']} | {100*c['ok']/c['files']:.1f}% |")
tot = sum(by.values(), collections.Counter())
print(f"| **all** | {tot['files']} | {tot['ok']} | {tot['failed']} | {tot['skipped']} | {100*tot['ok']/tot['files']:.1f}% |")
crumb_pdf = {r[0]: r[2] == "ok" for r in rows if r[1] == "pdf"}
both = sum(1 for p in crumb_pdf if crumb_pdf[p] and pop.get(p, 0) > 0)
only_c = sorted(p for p in crumb_pdf if crumb_pdf[p] and pop.get(p, 0) == 0)
only_p = sorted(p for p in crumb_pdf if not crumb_pdf[p] and pop.get(p, 0) > 0)
print()
print(f"PDF side by side ({len(crumb_pdf)} files): Crumb (pdfium) yields text from {sum(crumb_pdf.values())}, "
      f"pdftotext from {sum(1 for p in crumb_pdf if pop.get(p, 0) > 0)}; both {both}, "
      f"only Crumb {len(only_c)}, only pdftotext {len(only_p)}.")
for p in only_p:
    print(f"- only pdftotext: {p}")
print()
print("Reasons for files without text:")
for kind in sorted(reasons):
    for r, n in reasons[kind].most_common(6):
        print(f"- {kind}: {n} × {r}")
PY
