"""Trains every run the notebooks need at one profile, two at a time (one thread each), filling the run
cache (results/<profile>/runs) that the notebooks then read. Equivalent to running the notebooks, faster
on a 2-core machine because two single-thread runs use the cores better than one two-thread run.

    python scripts/run_default_grid.py --profile default --workers 2
    python scripts/run_default_grid.py --table1-only --seeds 1 2     # the extra seeds of notebook 04
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor

from rankseg.experiments import variants


def grid(profile: str) -> list[dict]:
    from rankseg.experiments.notebook import setup

    ctx = setup(profile=profile)
    base = ctx.base
    runs = [variants.BASELINE, variants.RANKSEG, *variants.TABLE1.values(), variants.ORACLE_TRAIN_EVAL]
    runs += [{**variants.INDEPENDENT, "train.classifier_iterations": max(1, int(s * base.train.classifier_iterations))}
             for s in variants.CLASSIFIER_STRENGTH.values()]
    runs += [{"model.top_k": k} for k in variants.K_GRID[profile]]
    runs += [{"loss.ml_weight": w} for w in variants.ML_WEIGHT_GRID[profile]]
    runs += [*variants.HEADS.values(), *variants.TEMPERATURE_IMPL.values(), *variants.OVERFITTING.values()]
    runs += table9_runs(profile, base) + table8_runs(profile)
    unique = []
    for r in runs:
        if ctx.config(r) not in [ctx.config(u) for u in unique]:
            unique.append(r)
    return unique


def table8_runs(profile: str) -> list[dict]:
    """Notebook 10: every framework with RankSeg and with its own classifier."""
    return [r for fw in variants.FRAMEWORKS[profile].values()
            for r in (fw, {**fw, **variants.BASELINE}, {**fw, **variants.MT_ONLY})]


def table9_runs(profile: str, base) -> list[dict]:
    """Notebook 11: EncNet, ESSNet and the ESSNet grids (k, embedding dimension)."""
    runs = [variants.ENCNET, {**variants.ESSNET, "model.essnet_k": base.model.top_k}]
    runs += [{**variants.ESSNET, "model.essnet_k": k} for k in variants.ESSNET_K_GRID[profile]]
    runs += [{**variants.ESSNET, "model.essnet_k": base.model.top_k, "model.essnet_dim": d}
             for d in variants.ESSNET_DIM_GRID[profile]]
    return runs


def _one(args: tuple[str, dict, int]) -> str:
    import torch

    torch.set_num_threads(1)
    from rankseg.experiments.notebook import setup

    profile, changes, seed = args
    ctx = setup(profile=profile)
    record = ctx.run(changes, seed)
    return f"{changes} seed {seed}: mIoU {record.final['miou']:.2f} in {record.seconds:.0f} s"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="default")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--table1-only", action="store_true", help="only the runs of Table 1 (notebook 04)")
    ap.add_argument("--only", choices=["table8", "table9"], help="only the runs of notebook 10 or 11")
    args = ap.parse_args()
    if args.table1_only:
        runs = list(variants.TABLE1.values())
    elif args.only == "table8":
        runs = table8_runs(args.profile)
    elif args.only == "table9":
        from rankseg.config import profile as make_profile

        runs = table9_runs(args.profile, make_profile(args.profile))
    else:
        runs = grid(args.profile)
    jobs = [(args.profile, changes, seed) for seed in args.seeds for changes in runs]
    print(f"{len(jobs)} runs")
    with ProcessPoolExecutor(args.workers) as pool:
        for line in pool.map(_one, jobs):
            print(line, flush=True)


if __name__ == "__main__":
    main()
