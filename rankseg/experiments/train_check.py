"""Train and evaluate a profile once on a device (bf16 autocast on CUDA: `train.amp`) and write one CSV row:
the GPU check's proof that the package trains end to end on that device.

    python -m rankseg.experiments.train_check --profile ci --device cuda --out results/benchmarks/gpu_train_ci.csv
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Sequence

import pandas as pd
import torch

from rankseg.config import override, parse_sets, profile
from rankseg.engine.runtime import describe_device, pick_device
from rankseg.engine.train import train
from rankseg.experiments.output import git_revision


def main(argv: Sequence[str] | None = None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=["ci", "default", "paper"], default="ci")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config overrides")
    ap.add_argument("--out", type=Path, required=True, help="the CSV to write")
    args = ap.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device is available")
    # no weight downloads: the check must run on a machine without network
    try:
        changes = {"train.device": args.device, "train.amp": True, "model.pretrained": False, **parse_sets(args.set)}
    except ValueError as err:
        raise SystemExit(str(err)) from err
    cfg = override(profile(args.profile), changes)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as run_dir:
        result = train(cfg, run_dir, resume=False, progress=False)
    seconds = time.perf_counter() - start
    device = pick_device(cfg.train.device)
    row = dict(profile=cfg.name, num_classes=cfg.data.num_classes, iterations=cfg.train.iterations,
               batch=cfg.train.batch_size, image_size=cfg.data.image_size,
               amp="bf16" if cfg.train.amp and device.type == "cuda" else "off", **result.final.summary(),
               seconds=round(seconds, 1), device=describe_device(device), git_revision=git_revision())
    table = pd.DataFrame([row])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False, float_format="%.4g")
    print(table.to_string(index=False))
    return table


if __name__ == "__main__":
    main()
