#!/usr/bin/env bash
# Head-scaling and end-to-end benchmarks. Usage: benchmarks/run.sh [cpu|cuda] [extra head_scaling options]
# CPU: ≈20 min on 2 shared cores (3 interleaved rounds, CPU time of one thread). CUDA: eager fp32, eager bf16 and compiled bf16 at ViT-B/16 512², batch 8.
# Writes results/benchmarks/{head_scaling,end_to_end}.csv and figures/benchmarks/head_scaling.{png,pdf}.
set -euo pipefail
cd "$(dirname "$0")/.."
device="${1:-cpu}"
shift || true
PYTHON="${PYTHON:-python}"
[ -x .venv/bin/python ] && PYTHON="${PYTHON_OVERRIDE:-.venv/bin/python}"
exec "$PYTHON" -m rankseg.bench.head_scaling --device "$device" "$@"
