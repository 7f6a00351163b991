"""Accuracy of the large-vocabulary shortlist against the paper's multi-label head on EmojiScenes-1284.

    python scripts/large_vocab_accuracy.py --profile default                      # the real comparison
    python scripts/large_vocab_accuracy.py --profile ci --set train.iterations=2  # a quick check

Both heads train RankSeg in Table 1's large-vocabulary setting (`variants.large_vocab`: N = 1,284, K = 100, the
official COCO+LVIS loss weight, the training set scaled with N) on the profile; `--set` changes come last.
Trains (or reads from the run cache, results/<profile>/runs/) two runs that differ only in `model.ml_shortlist`:
the faithful head over all N classes (None) and the shortlist of M classes, and writes
results/<profile>/large_vocab_accuracy.csv: mIoU, pixel accuracy, multi-label mAP, recall@K of the selected
classes, training seconds and seconds per training step (wall clock of the whole run, evaluation included).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

import pandas as pd

from rankseg.cli import build_config
from rankseg.config import Config, override, parse_sets
from rankseg.experiments import output, runner, variants
from rankseg.experiments.output import git_revision

COLUMNS = ["head", "ml_shortlist", "n_classes", "top_k", "miou", "pixel_acc", "map", "recall_at_k", "train_seconds",
           "seconds_per_step", "iterations", "run_key", "profile", "device", "git_revision"]


def configs(base: Config, shortlist: int) -> dict[str, Config]:
    """The faithful head and the shortlist option on the same base config (EmojiScenes-1284 unless overridden)."""
    m = min(shortlist, base.data.num_classes)
    return {"faithful": override(base, {"model.ml_shortlist": None}),
            f"shortlist M={m}": override(base, {"model.ml_shortlist": m})}


def compare(base: Config, shortlist: int) -> pd.DataFrame:
    """Train or read both runs through the run cache; one row per head."""
    rows = []
    for head, cfg in configs(base, shortlist).items():
        record = runner.run(cfg, progress=False)
        f, iters = record.final, cfg.train.iterations
        rows.append(dict(head=head, ml_shortlist=cfg.model.ml_shortlist, n_classes=cfg.data.num_classes,
                         top_k=cfg.model.top_k, miou=f["miou"], pixel_acc=f["pixel_acc"], map=f["map"],
                         recall_at_k=f["recall_at_k"], train_seconds=record.seconds,
                         seconds_per_step=record.seconds / iters, iterations=iters, run_key=record.key,
                         profile=cfg.name, device=record.device, git_revision=git_revision()))
    return pd.DataFrame(rows, columns=COLUMNS)


def main(argv: Sequence[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=["ci", "default", "paper"], default="default")
    ap.add_argument("--shortlist", type=int, default=256, help="M, the shortlist length (default: %(default)s)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config overrides")
    ap.add_argument("--results-root", type=Path, help="instead of results/ (records and the CSV)")
    ap.add_argument("--runs-root", type=Path, help="instead of runs/ (checkpoints)")
    args = ap.parse_args(argv)
    if args.results_root is not None:
        output.RESULTS_OVERRIDE = args.results_root
    if args.runs_root is not None:
        runner.RUNS = args.runs_root
    profile = build_config(args.profile, "emojiscenes", None, [])
    base = override(profile, {**variants.large_vocab(profile.data.num_train), **parse_sets(args.set)})
    table = compare(base, args.shortlist)
    path = output.results_dir(base.name) / "large_vocab_accuracy.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, float_format="%.4g")
    print(table.to_string(index=False))
    return path


if __name__ == "__main__":
    main()
