#!/usr/bin/env bash
# Reranker latency for the top 30 passages with the mxbai-rerank-xsmall-v1 architecture
# (random weights, int8, the published quantisation), Crumb vs Python onnxruntime.
# Pairs are truncated to 512 tokens (the model's window, worst case) and to 352 (the
# chunker's 320-token passages plus a query), both sides alike.
# Usage: scripts/bench-rerank.sh [THREADS...]   (default: 1 and all cores)
source "$(dirname "$0")/bench-common.sh"
model="$shared/mxbai-rerank-xsmall-v1-arch-random"
threads=("$@"); [ ${#threads[@]} -gt 0 ] || threads=(1 "$(nproc)")
for t in "${threads[@]}"; do
  for max in 512 352; do
    "$py" scripts/bench_models.py rerank "$model" "$out/passages.txt" "$t" 30 5 "$max"
    "$bench" rerank "$model" "$out/passages.txt" "$t" 30 5 "$max"
  done
done
