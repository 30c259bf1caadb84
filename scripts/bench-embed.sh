#!/usr/bin/env bash
# Embedding throughput (passages/s at 256 tokens), Crumb vs Python onnxruntime on the same
# ONNX file, inputs and thread count, interleaved in one run; plus the vector index's memory.
# Usage: scripts/bench-embed.sh [THREADS...]   (default: 1 and all cores)
source "$(dirname "$0")/bench-common.sh"
minilm="$repo/.cache/models/minilm"
threads=("$@"); [ ${#threads[@]} -gt 0 ] || threads=(1 "$(nproc)")
if command -v gcc >/dev/null && grep -q avx512f /proc/cpuinfo 2>/dev/null; then
  gcc -O2 -mavx512f -o "$out/bench-peak" scripts/bench-peak.c
  for _ in 1 2 3 4 5; do "$out/bench-peak"; done
fi
"$py" scripts/bench_models.py sgemm 1
for t in "${threads[@]}"; do
  for v in fp32 int8; do
    for round in 1 2 3; do
      "$py" scripts/bench_models.py embed "$minilm" "$out/passages.txt" "$v" "$t" 32 1
      "$bench" embed "$minilm" "$out/passages.txt" "$v" "$t" 32 1
    done
  done
done
"$bench" vectors 1000000 384
