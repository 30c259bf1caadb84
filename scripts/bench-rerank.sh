#!/usr/bin/env bash
# Reranker latency for the top 30 passages with the mxbai-rerank-xsmall-v1 architecture
# (random weights, int8, the published quantisation), Crumb vs Python onnxruntime.
# Usage: scripts/bench-rerank.sh [THREADS...]   (default: 1 and all cores)
source "$(dirname "$0")/bench-common.sh"
model="$shared/mxbai-rerank-xsmall-v1-arch-random"
threads=("$@"); [ ${#threads[@]} -gt 0 ] || threads=(1 "$(nproc)")
for t in "${threads[@]}"; do
  "$py" scripts/bench_models.py rerank "$model" "$out/passages.txt" "$t" 30 10
  "$bench" rerank "$model" "$out/passages.txt" "$t" 30 10
done
