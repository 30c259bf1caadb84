#!/usr/bin/env bash
# Per-format extraction yield on a corpus, with a reference extractor side by side: poppler's
# pdftotext for PDF, and catdoc's tools (the ones Recoll uses) for the legacy Office formats:
# catppt for .ppt, catdoc (and antiword) for .doc, xls2csv for .xls.
# Runs Crumb's contained extraction (worker processes, time and memory limits) over every file
# under the given folders and prints a Markdown table: files, yielding text, failed, skipped, %,
# and how many the reference tool gets text from.
# A file "yields text" when extraction succeeds with at least one non-blank character; for a
# reference tool, when its output holds at least one non-whitespace character (for xls2csv, one
# that is not CSV punctuation, since it prints "" for empty cells).
#
# Usage: scripts/corpus-coverage.sh DIR... [> table.md]
#   e.g. scripts/corpus-coverage.sh ../shared/corpus/files /tmp/debdocs
#   (get the Debian part first with: ../shared/corpus/get-debian-docs.sh /tmp/debdocs)
# Needs: pdftotext (poppler-utils), catdoc and antiword (apt-get install -y catdoc antiword).
# Environment: OUT=folder for the raw TSVs (default: a temp folder, path printed on stderr).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 DIR..." >&2; exit 2; }
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
"$root/scripts/setup-pdfium.sh"
cargo build --quiet -p crumb-engine --example extract-files --manifest-path "$root/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$root/target}/debug/examples/extract-files
for tool in pdftotext catppt catdoc antiword xls2csv; do
  command -v "$tool" >/dev/null || { echo "$tool not found: apt-get install -y poppler-utils catdoc antiword" >&2; exit 1; }
done
find "$@" -type f | sort > "$out/files.txt"
"$bin" < "$out/files.txt" > "$out/crumb.tsv"
# path, tool, characters of non-blank output
while IFS= read -r f; do
  case "${f,,}" in
    *.pdf) tools="pdftotext" ;;
    *.ppt | *.pps | *.pot) tools="catppt" ;;
    *.doc | *.dot) tools="catdoc antiword" ;;
    *.xls | *.xlt) tools="xls2csv" ;;
    *) continue ;;
  esac
  for tool in $tools; do
    case $tool in
      pdftotext) n=$(timeout 60 pdftotext -q "$f" - 2>/dev/null | tr -d '[:space:]' | wc -c || true) ;;
      xls2csv) n=$(timeout 60 xls2csv "$f" 2>/dev/null | tr -d '[:space:]",' | wc -c || true) ;;
      *) n=$(timeout 60 "$tool" "$f" 2>/dev/null | tr -d '[:space:]' | wc -c || true) ;;
    esac
    printf '%s\t%s\t%s\n' "$f" "$tool" "${n:-0}"
  done
done < "$out/files.txt" > "$out/reference.tsv"
echo "raw results in $out" >&2
python3 - "$out/crumb.tsv" "$out/reference.tsv" <<'PY'
import sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
ref = collections.defaultdict(dict)  # tool -> path -> characters
for l in open(sys.argv[2]):
    if l.strip():
        p, tool, n = l.rstrip("\n").split("\t")
        ref[tool][p] = int(n)
# The reference tool for each format, and extra ones reported beside it.
REFERENCE = {"pdf": ["pdftotext"], "ppt": ["catppt"], "doc": ["catdoc", "antiword"], "xls": ["xls2csv"]}
by = collections.defaultdict(lambda: collections.Counter())
reasons = collections.defaultdict(collections.Counter)
for path, kind, status, chars, blocks, ms, reason in rows:
    c = by[kind]
    c["files"] += 1
    c[status] += 1
    if status != "ok":
        reasons[kind][reason.split(":")[0] + (": " + reason.split(":")[1].strip()[:40] if ":" in reason else "")] += 1
print("| format | files | text | failed | skipped | yield | reference tool: text |")
print("|---|---:|---:|---:|---:|---:|---|")
for kind in sorted(by, key=lambda k: -by[k]["files"]):
    c = by[kind]
    refs = ", ".join(f"{t} {sum(1 for n in ref[t].values() if n > 0)}" for t in REFERENCE.get(kind, []))
    print(f"| {kind} | {c['files']} | {c['ok']} | {c['failed']} | {c['skipped']} | {100*c['ok']/c['files']:.1f}% | {refs} |")
tot = sum(by.values(), collections.Counter())
print(f"| **all** | {tot['files']} | {tot['ok']} | {tot['failed']} | {tot['skipped']} | {100*tot['ok']/tot['files']:.1f}% | |")
for kind, tools in REFERENCE.items():
    crumb = {r[0]: r[2] == "ok" for r in rows if r[1] == kind}
    if not crumb:
        continue
    for tool in tools:
        got = ref[tool]
        only_c = sorted(p for p in crumb if crumb[p] and got.get(p, 0) == 0)
        only_t = sorted(p for p in crumb if not crumb[p] and got.get(p, 0) > 0)
        print()
        print(f"{kind} side by side ({len(crumb)} files): Crumb yields text from {sum(crumb.values())}, "
              f"{tool} from {sum(1 for p in crumb if got.get(p, 0) > 0)}; "
              f"both {sum(1 for p in crumb if crumb[p] and got.get(p, 0) > 0)}, "
              f"only Crumb {len(only_c)}, only {tool} {len(only_t)}.")
        for p in only_t:
            print(f"- only {tool}: {p}")
print()
print("Reasons for files without text:")
for kind in sorted(reasons):
    for r, n in reasons[kind].most_common(6):
        print(f"- {kind}: {n} × {r}")
PY
