"""Trains every run the notebooks need at one profile, two at a time (one thread each), filling the run
cache (results/<profile>/runs) that the notebooks then read. Equivalent to running the notebooks, faster
on a 2-core machine because two single-thread runs use the cores better than one two-thread run.

    python scripts/run_default_grid.py --workers 2                          # every default notebook's runs
    python scripts/run_default_grid.py --table1-only --seeds 0 1 2 --large-vocab   # notebook 04: Table 1, both N
    python scripts/run_default_grid.py --device cuda --workers 8 --threads 2       # on a GPU machine

Runs already in the cache are read, not trained; an interrupted run resumes from its last checkpoint.
"""

from __future__ import annotations

import argparse
import dataclasses
from concurrent.futures import ProcessPoolExecutor

from rankseg.experiments import variants


def context(profile: str, device: str = "auto", mask2former: bool = False):
    """The notebooks' context at `profile`; with `mask2former`, notebook 12's (its Mask2Former profile as the base)."""
    from rankseg.config import mask2former_profile, override
    from rankseg.experiments.notebook import setup

    ctx = setup(profile=profile, device=device)
    base = mask2former_profile(profile) if mask2former else ctx.base
    return dataclasses.replace(ctx, base=override(base, {"train.device": device}))


def grid(profile: str) -> list[dict]:
    ctx = context(profile)
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


def table1_runs(large_vocab: bool, num_train: int) -> list[dict]:
    """Notebook 04: Table 1's four rows and the train+eval oracle, at N = 150 or at the large vocabulary."""
    runs = [*variants.TABLE1.values(), variants.ORACLE_TRAIN_EVAL]
    return [{**r, **variants.large_vocab(num_train)} for r in runs] if large_vocab else runs


def table8_runs(profile: str) -> list[dict]:
    """Notebook 10: every framework with RankSeg, with its own classifier and with the multi-label head only."""
    return [r for fw in variants.FRAMEWORKS[profile].values()
            for r in (fw, {**fw, **variants.BASELINE}, {**fw, **variants.MT_ONLY})]


def table9_runs(profile: str, base) -> list[dict]:
    """Notebook 11: EncNet, ESSNet and the ESSNet grids (k, embedding dimension)."""
    runs = [variants.ENCNET, {**variants.ESSNET, "model.essnet_k": base.model.top_k}]
    runs += [{**variants.ESSNET, "model.essnet_k": k} for k in variants.ESSNET_K_GRID[profile]]
    runs += [{**variants.ESSNET, "model.essnet_k": base.model.top_k, "model.essnet_dim": d}
             for d in variants.ESSNET_DIM_GRID[profile]]
    return runs


def mask2former_runs(profile: str) -> list[dict]:
    """Notebook 12: the Mask2Former table's runs (on its own base: `context(..., mask2former=True)`)."""
    return list(variants.mask2former_runs(context(profile, mask2former=True).base.train.iterations).values())


def _one(args: tuple[str, str, int, dict, int, bool]) -> str:
    import torch

    profile, device, threads, changes, seed, m2f = args
    torch.set_num_threads(threads)
    record = context(profile, device, m2f).run(changes, seed)
    f = record.final
    return (f"{record.key} {changes} seed {seed}: mIoU {f['miou']:.2f}, recall@K {f.get('recall_at_k')}, "
            f"late change {f.get('miou_late_change')}, {record.seconds:.0f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="default")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="torch threads per worker")
    ap.add_argument("--device", default="auto", help="auto, cpu or cuda")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--table1-only", action="store_true", help="only the runs of Table 1 (notebook 04)")
    ap.add_argument("--large-vocab", action="store_true", help="Table 1 at EmojiScenes-1284 too (with --table1-only)")
    ap.add_argument("--only", choices=["table8", "table9", "mask2former"],
                    help="only the runs of notebook 10, 11 or 12")
    args = ap.parse_args()
    ctx = context(args.profile)
    num_train = ctx.base.data.num_train
    if args.table1_only:
        runs = table1_runs(False, num_train) + (table1_runs(True, num_train) if args.large_vocab else [])
    elif args.only == "table8":
        runs = table8_runs(args.profile)
    elif args.only == "table9":
        runs = table9_runs(args.profile, ctx.base)
    elif args.only != "mask2former":
        runs = grid(args.profile)
    else:
        runs = []
    jobs = [(args.profile, args.device, args.threads, changes, seed, False)
            for seed in args.seeds for changes in runs]
    if args.only == "mask2former" or not (args.only or args.table1_only):
        jobs += [(args.profile, args.device, args.threads, changes, seed, True)
                 for seed in args.seeds for changes in mask2former_runs(args.profile)]
    print(f"{len(jobs)} runs")
    with ProcessPoolExecutor(args.workers) as pool:
        for line in pool.map(_one, jobs):
            print(line, flush=True)


if __name__ == "__main__":
    main()
