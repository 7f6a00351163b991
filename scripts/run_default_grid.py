"""Trains every run the notebooks need at one profile, two at a time (one thread each), filling the run
cache (results/<profile>/runs) that the notebooks then read. Equivalent to running the notebooks, faster
on a 2-core machine because two single-thread runs use the cores better than one two-thread run.

    python scripts/run_default_grid.py --profile default --workers 2
    python scripts/run_default_grid.py --table1-only --seeds 1 2     # the extra seeds of notebook 04
    python scripts/run_default_grid.py --regime --table1-only --seeds 0 1 2 --large-vocab   # Table 1, new regime
    python scripts/run_default_grid.py --regime --device cuda --workers 8 --threads 2        # on a GPU machine

`--regime` trains on `config.regime_default()` (issue 13's regime) instead of `profile("default")`: the interim
until the default profile becomes that regime, once its runs are committed. Runs already in the cache are read,
not trained; an interrupted run resumes from its last checkpoint.
"""

from __future__ import annotations

import argparse
import dataclasses
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from rankseg.experiments import variants


def context(profile: str, regime: bool = False, device: str = "auto", mask2former: bool = False):
    """The notebooks' context at `profile`, or on the regime of issue 13 (`regime_default`) when `regime`; with
    `mask2former`, notebook 12's (its Mask2Former profile as the base)."""
    from rankseg.config import mask2former_profile, mask2former_regime, override, regime_default
    from rankseg.experiments.notebook import setup

    ctx = setup(profile=profile, device=device)
    if mask2former:
        base = mask2former_regime() if regime else mask2former_profile(profile)
    else:
        base = regime_default() if regime else ctx.base
    return dataclasses.replace(ctx, base=override(base, {"train.device": device}))


def grid(profile: str, regime: bool = False) -> list[dict]:
    ctx = context(profile, regime)
    base = ctx.base
    runs = [variants.BASELINE, variants.RANKSEG, *variants.TABLE1.values(), variants.ORACLE_TRAIN_EVAL]
    runs += [{**variants.INDEPENDENT, "train.classifier_iterations": max(1, int(s * base.train.classifier_iterations))}
             for s in variants.CLASSIFIER_STRENGTH.values()]
    runs += [{"model.top_k": k} for k in variants.K_GRID[profile]]
    runs += [{"loss.ml_weight": w} for w in variants.ML_WEIGHT_GRID[profile]]
    runs += [*variants.HEADS.values(), *variants.TEMPERATURE_IMPL.values(), *variants.OVERFITTING.values()]
    runs += table9_runs(profile, base) + table8_runs(profile, regime)
    unique = []
    for r in runs:
        if ctx.config(r) not in [ctx.config(u) for u in unique]:
            unique.append(r)
    return unique


def table1_runs(large_vocab: bool, num_train: int) -> list[dict]:
    """Notebook 04: Table 1's four rows and the train+eval oracle, at N = 150 or at the large vocabulary."""
    runs = [*variants.TABLE1.values(), variants.ORACLE_TRAIN_EVAL]
    return [{**r, **variants.large_vocab(num_train)} for r in runs] if large_vocab else runs


TABLE1_CSV = "regime_table1.csv"


def table1_summary(ctx, seeds: list[int], large_vocab: bool) -> pd.DataFrame:
    """Table 1 as far as the run cache holds it (nothing is trained): per method, the mean and std of mIoU over the
    seeds that have a record, the late mIoU change, recall@K and mAP; beside them the full method given every
    ground-truth class at evaluation, the train+eval oracle, and the class-frequency prior's recall@K and mAP."""
    from rankseg.experiments.runner import cached_record

    num_train = ctx.base.data.num_train
    blocks = [False] + ([True] if large_vocab else [])
    rows = []
    for lv in blocks:
        names = [*variants.TABLE1, "GT at train+eval"]  # table1_runs' order
        for method, changes in zip(names, table1_runs(lv, num_train), strict=True):
            records = [r for seed in seeds if (r := cached_record(ctx.config(changes, seed))) is not None]
            if records:
                rows.append(_row(method, records, [r.final for r in records]))
            if method == "+MT+LS+RA" and records:
                finals = [ctx.evaluate(r, oracle=True) for r in records]
                rows.append(_row("+MT+LS+RA, GT at eval", records, finals))
        if not lv:  # the prior reads every training label: minutes at 16,000 scenes, cached by the context
            cfg = ctx.config()
            rows.append({"method": "class-frequency prior", "num_classes": cfg.data.num_classes,
                         "top_k": cfg.model.top_k, "seeds": "", **ctx.class_frequency_prior(cfg=cfg)})
    table = pd.DataFrame(rows)
    for _, block in table.groupby("num_classes"):
        base = block.loc[block["method"] == "Baseline", "miou"]
        if len(base):
            table.loc[block.index, "gain"] = block["miou"] - base.iloc[0]
    return table


def _row(method: str, records: list, finals: list[dict]) -> dict:
    df = pd.DataFrame(finals)
    cfg = records[0].config
    # an evaluation with other options (GT at eval) has no training curve, hence no late change
    late = pd.to_numeric(df["miou_late_change"]) if "miou_late_change" in df else pd.Series(dtype=float)
    return {"method": method, "num_classes": cfg.data.num_classes, "top_k": cfg.model.top_k,
            "seeds": ",".join(str(r.config.train.seed) for r in records), "miou": df["miou"].mean(),
            "miou_std": df["miou"].std(), "miou_late_change": late.mean(),
            "recall_at_k": df["recall_at_k"].mean(), "map": df["map"].mean(),
            "train_seconds": sum(r.seconds for r in records) / len(records),
            "run_keys": " ".join(r.key for r in records)}


def table8_runs(profile: str, regime: bool = False) -> list[dict]:
    """Notebook 10: every framework with RankSeg and with its own classifier."""
    frameworks = variants.REGIME_FRAMEWORKS if regime else variants.FRAMEWORKS[profile]
    return [r for fw in frameworks.values()
            for r in (fw, {**fw, **variants.BASELINE}, {**fw, **variants.MT_ONLY})]


def table9_runs(profile: str, base) -> list[dict]:
    """Notebook 11: EncNet, ESSNet and the ESSNet grids (k, embedding dimension)."""
    runs = [variants.ENCNET, {**variants.ESSNET, "model.essnet_k": base.model.top_k}]
    runs += [{**variants.ESSNET, "model.essnet_k": k} for k in variants.ESSNET_K_GRID[profile]]
    runs += [{**variants.ESSNET, "model.essnet_k": base.model.top_k, "model.essnet_dim": d}
             for d in variants.ESSNET_DIM_GRID[profile]]
    return runs


def mask2former_runs(profile: str, regime: bool) -> list[dict]:
    """Notebook 12: the Mask2Former table's runs (on its own base: `context(..., mask2former=True)`)."""
    return list(variants.mask2former_runs(context(profile, regime, mask2former=True).base.train.iterations).values())


def _one(args: tuple[str, bool, str, int, dict, int, bool]) -> str:
    import torch

    profile, regime, device, threads, changes, seed, m2f = args
    torch.set_num_threads(threads)
    record = context(profile, regime, device, m2f).run(changes, seed)
    f = record.final
    return (f"{record.key} {changes} seed {seed}: mIoU {f['miou']:.2f}, recall@K {f.get('recall_at_k')}, "
            f"late change {f.get('miou_late_change')}, {record.seconds:.0f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="default")
    ap.add_argument("--regime", action="store_true", help="on config.regime_default() (issue 13's regime)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="torch threads per worker")
    ap.add_argument("--device", default="auto", help="auto, cpu or cuda")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--table1-only", action="store_true", help="only the runs of Table 1 (notebook 04)")
    ap.add_argument("--large-vocab", action="store_true", help="Table 1 at EmojiScenes-1284 too (with --table1-only)")
    ap.add_argument("--only", choices=["table8", "table9", "mask2former"],
                    help="only the runs of notebook 10, 11 or 12")
    ap.add_argument("--summarize", action="store_true",
                    help=f"train nothing: write Table 1 from the cached runs to results/<profile>/{TABLE1_CSV}")
    args = ap.parse_args()
    ctx = context(args.profile, args.regime)
    if args.summarize:
        table = table1_summary(ctx, args.seeds, args.large_vocab)
        path = ctx.results / TABLE1_CSV
        table.to_csv(path, index=False, float_format="%.4g")
        print(table.drop(columns="run_keys").round(2).to_string(index=False))
        return
    num_train = ctx.base.data.num_train
    if args.table1_only:
        runs = table1_runs(False, num_train) + (table1_runs(True, num_train) if args.large_vocab else [])
    elif args.only == "table8":
        runs = table8_runs(args.profile, args.regime)
    elif args.only == "table9":
        runs = table9_runs(args.profile, ctx.base)
    elif args.only != "mask2former":
        runs = grid(args.profile, args.regime)
    else:
        runs = []
    jobs = [(args.profile, args.regime, args.device, args.threads, changes, seed, False)
            for seed in args.seeds for changes in runs]
    if args.only == "mask2former" or not (args.only or args.table1_only):
        jobs += [(args.profile, args.regime, args.device, args.threads, changes, seed, True)
                 for seed in args.seeds for changes in mask2former_runs(args.profile, args.regime)]
    print(f"{len(jobs)} runs")
    with ProcessPoolExecutor(args.workers) as pool:
        for line in pool.map(_one, jobs):
            print(line, flush=True)


if __name__ == "__main__":
    main()
