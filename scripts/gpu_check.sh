#!/usr/bin/env bash
# The GPU check (issue 16), one script, under 8 minutes on one GPU, no network needed:
#   1. the `ci` profile trained and evaluated on CUDA with bf16 autocast      → gpu_train_ci.csv
#   2. the head-scaling benchmark at ViT-B/16 512², batch 8, bf16 autocast, N = 150, 1,284, 5,000, 21,841:
#      baseline (where it fits), the paper's RankSeg head, the large-vocabulary shortlist
#                                                                           → gpu_head_scaling.{csv,md}
#   3. end-to-end training images/s of the whole ViT-B/16 model at N = 1,284 → gpu_end_to_end.csv
# Usage: scripts/gpu_check.sh [--dry-run] [--out DIR]
#   default: CUDA, writes results/benchmarks/gpu_* and figures/benchmarks/gpu_head_scaling.{png,pdf}
#   --dry-run: the same steps at a tiny setting on CPU in well under a minute, into --out (default: a temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TQDM_DISABLE=1 MPLBACKEND=Agg
PY="${PYTHON:-python}"
[ -z "${PYTHON:-}" ] && [ -x .venv/bin/python ] && PY=.venv/bin/python

dry=0
out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) dry=1 ;;
        --out) out="$2"; shift ;;
        *) echo "unknown option $1 (use --dry-run, --out DIR)" >&2; exit 2 ;;
    esac
    shift
done

if [ "$dry" = 1 ]; then
    out="${out:-$(mktemp -d)}"
    figures="$out/figures"
    train=(--device cpu --set train.iterations=2 --set data.num_train=8 --set data.num_val=4)
    bench=(--device cpu --threads 1 --settings test --vocab 12 200 --batch 2 --e2e-sizes test --e2e-vocab 150
           --repeats 2 --rounds 1 --cap-s 60)
else
    out="${out:-results/benchmarks}"
    figures="${out/results/figures}"
    [ "$figures" = "$out" ] && figures="$out/figures"
    train=(--device cuda)
    # eager bf16 only, one round of 5 warm repeats after 3 warm-up calls: the whole check fits in 8 minutes;
    # the baseline's training logits at N = 5,000 and 21,841 (≥ 126 GB in fp32) are skipped, not attempted
    bench=(--device cuda --settings vitb16_512 --vocab 150 1284 5000 21841 --batch 8 --variants eager_bf16
           --e2e-sizes vit_b16_512 --e2e-vocab 1284 --repeats 5 --rounds 1 --cap-s 120 --max-mem-gb 120)
fi
mkdir -p "$out" "$figures"
start=$(date +%s)

echo "== 1/2 ci profile: train and evaluate (${train[1]})"
"$PY" -m rankseg.experiments.train_check --profile ci "${train[@]}" --out "$out/gpu_train_ci.csv"

echo "== 2/2 head scaling and end-to-end throughput"
"$PY" -m rankseg.bench.head_scaling "${bench[@]}" --heads segmenter rankseg rankseg_shortlist \
    --prefix gpu_ --results "$out" --figures "$figures"

echo "== done in $(( $(date +%s) - start )) s; results in $out"
