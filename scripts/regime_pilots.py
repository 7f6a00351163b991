"""Pilots for choosing the `default` regime (issue 13): the Segmenter baseline and a standalone multi-label
classifier only, never RankSeg, so that the regime is not tuned to the method under test.

Each pilot is a config (a candidate regime plus changes) trained through the package's own engine; a row per
pilot goes to results/default/regime_pilot.csv: the setting, its cost per step (CPU seconds, one thread), steps,
and the validation mIoU, recall@K of the ground-truth classes and mAP at the end, plus the mIoU change over the
last 20 % of the steps (miou_late_change). The standalone classifier is the joint multi-label head with its pixel loss switched
off (loss.seg_weight = 0): frozen features → the decoder's projection → the multi-label layer over all N classes.

    python scripts/regime_pilots.py --list
    python scripts/regime_pilots.py baseline_os16 classifier_os16 --workers 2
"""

from __future__ import annotations

import argparse
import csv
import time
from concurrent.futures import ProcessPoolExecutor

from rankseg.config import Config, first_default, override
from rankseg.models.pretrained import EFFICIENTNET_LITE0_PYPI
from rankseg.paths import RESULTS, RUNS

CSV = RESULTS / "default" / "regime_pilot.csv"
K = 50  # recall@K of the ranking, at the default's K
PRIOR = "class_frequency_prior"
COSTS_CSV = RESULTS / "default" / "regime_step_costs.csv"

# The candidate regime: Segmenter's mask transformer on a frozen ImageNet EfficientNet-Lite0 feature pyramid.
CANDIDATE = {
    "data.num_train": 16_000, "data.num_val": 300, "data.image_size": 64,
    "model.token_encoder": "feature_pyramid", "model.backbone": "tf_efficientnet_lite0",
    "model.pretrained_path": EFFICIENTNET_LITE0_PYPI, "model.freeze_backbone": True,
    "model.feature_indices": (1, 2, 4), "model.output_stride": 16, "model.drop_path_rate": 0.0,
    "train.iterations": 1000, "train.batch_size": 16, "train.lr": 1e-3, "train.weight_decay": 0.01,
    "train.warmup_iters": 50, "train.eval_every": 100, "train.eval_batch_size": 50, "train.log_every": 50,
}
BASELINE = {"model.multilabel": False, "model.label_selection": False}
SMALL = {"model.d_model": 128, "model.n_heads": 4, "model.mlp_ratio": 2.0}  # about half the decoder's cost
CLASSIFIER = {"model.multilabel": True, "model.label_selection": False, "loss.seg_weight": 0.0}

PILOTS: dict[str, dict] = {
    # the segmentation baseline: feature levels, and the shared pilots' stride-8 two-level setting
    "baseline_os16": {**BASELINE},
    "baseline_os8_s4s8": {**BASELINE, "model.feature_indices": (1, 4), "model.output_stride": 8},
    "baseline_2k_images": {**BASELINE, "data.num_train": 2000},
    "baseline_d128": {**BASELINE, **SMALL},
    "baseline_d128_1500_steps": {**BASELINE, **SMALL, "train.iterations": 1500, "train.eval_every": 150},
    "baseline_2000_steps": {**BASELINE, "train.iterations": 2000, "train.eval_every": 200},
    # the convergence target (< 1 mIoU point over the last 20 % of the steps): the chosen regime at twice the steps
    "baseline_d128_3000_steps": {**BASELINE, **SMALL, "train.iterations": 3000, "train.eval_every": 300},
    # the standalone multi-label classifier (K = 50 for recall@K)
    "classifier_os16": {**CLASSIFIER},
    "classifier_os16_lr3e-4": {**CLASSIFIER, "train.lr": 3e-4},
    "classifier_d128": {**CLASSIFIER, **SMALL},
    "classifier_d128_1500_steps": {**CLASSIFIER, **SMALL, "train.iterations": 1500, "train.eval_every": 150},
    "classifier_d128_3000_steps": {**CLASSIFIER, **SMALL, "train.iterations": 3000, "train.eval_every": 300},
    "classifier_os16_2000_steps": {**CLASSIFIER, "train.iterations": 2000, "train.eval_every": 200},
    "classifier_os16_fresh_scenes": {**CLASSIFIER, "data.num_train": 1_000_000, "train.iterations": 2000,
                                     "train.eval_every": 200},
}


def pilot_config(name: str) -> Config:
    return override(first_default(), {**CANDIDATE, **PILOTS[name], "name": "default"})


def run_pilot(name: str) -> dict:
    import torch

    torch.set_num_threads(1)
    from rankseg.engine.curves import late_change
    from rankseg.engine.evaluate import EvalOptions
    from rankseg.engine.train import evaluate_run, train, validation_set

    if name == PRIOR:
        return prior_row()
    cfg = pilot_config(name)
    start_cpu, start = time.process_time(), time.time()
    result = train(cfg, RUNS / "pilots" / name, progress=False)
    cpu_s = time.process_time() - start_cpu
    curves = result.curves
    evals = curves[curves["miou"].notna()] if "miou" in curves else curves.iloc[:0]
    steps = cfg.train.iterations
    classifier, nan = cfg.loss.seg_weight == 0, float("nan")
    # a classifier does not select: its recall@K (K = the default's 50) is that of its ranking, evaluated again
    final = evaluate_run(result.model, cfg, validation_set(cfg), options=EvalOptions(top_k=K)).summary() \
        if classifier else result.final.summary()
    return {"setting": name, "changes": {**PILOTS[name]}, "cpu_s_per_step": cpu_s / steps,
            "wall_s": time.time() - start, "steps": steps, "evaluations": len(evals),
            # a classifier pilot trains no pixel classifier: its mIoU means nothing, its mAP's late change does
            "miou": nan if classifier else final["miou"],
            "miou_late_change": nan if classifier else _none_to_nan(late_change(curves, steps)),
            "map_late_change": _none_to_nan(late_change(curves, steps, column="map")),
            "recall_at_k": final["recall_at_k"], "map": final["map"]}


def prior_row() -> dict:
    """The class-frequency prior: every validation image ranks the classes by their training-set image counts."""
    from rankseg.data.build import build_datasets
    from rankseg.experiments.prior import class_frequency_prior

    cfg = pilot_config("baseline_os16")
    train_set, val_set = build_datasets(cfg.data)
    nan = float("nan")
    return {"setting": PRIOR, "changes": {}, "cpu_s_per_step": nan, "wall_s": nan, "steps": 0, "evaluations": 0,
            "miou": nan, "miou_late_change": nan, "map_late_change": nan,
            **class_frequency_prior(train_set, val_set, num_classes=cfg.data.num_classes, k=K)}


# What the grid's costliest runs would cost per step in the candidate regime: one forward and backward pass of
# a batch, CPU time on one thread (no data loading, no evaluation), for the budget of issue 13's grid.
STEP_COSTS: dict[str, dict] = {
    "baseline N=150": {**BASELINE},
    "RankSeg N=150 K=50": {},
    "baseline N=1284": {**BASELINE, "data.num_classes": 1284},
    "+MT N=1284": {"model.label_selection": False, "data.num_classes": 1284},
    "RankSeg N=1284 K=100": {"data.num_classes": 1284, "model.top_k": 100},
}


def step_costs(base: str, repeats: int = 3) -> list[dict]:
    """Median, min and max CPU seconds of a training step's forward and backward pass (after one warm-up) of
    each STEP_COSTS config on top of pilot `base`, run one after another in this process."""
    import statistics

    import torch

    from rankseg.models.build import build_model

    torch.set_num_threads(1)
    rows = []
    for name, changes in STEP_COSTS.items():
        cfg = override(pilot_config(base), {"model.multilabel": True, "model.label_selection": True,
                                            "loss.seg_weight": 1.0, **changes})
        torch.manual_seed(0)
        model = build_model(cfg).train()
        images = torch.rand(cfg.train.batch_size, 3, cfg.data.image_size, cfg.data.image_size)
        times = []
        for _ in range(repeats + 1):
            start = time.process_time()
            out = model(images)
            loss = out.pixel_logits.float().mean() + (0 if out.ml_logits is None else out.ml_logits.float().mean())
            loss.backward()
            times.append(time.process_time() - start)
        rows.append({"pilot": base, "config": name, "batch": cfg.train.batch_size, "cpu_s_median":
                     statistics.median(times[1:]), "cpu_s_min": min(times[1:]), "cpu_s_max": max(times[1:])})
    return rows


def _none_to_nan(value: float | None) -> float:
    return float("nan") if value is None else value


def write_row(row: dict) -> None:
    CSV.parent.mkdir(parents=True, exist_ok=True)
    rows = [r for r in _read() if r["setting"] != row["setting"]] + [row]
    with CSV.open("w", newline="") as f:
        # the file's column order first (clean diffs), then any column an older or newer version adds
        fields = [k for r in rows[:-1] for k in r] + list(row)
        writer = csv.DictWriter(f, fieldnames=list(dict.fromkeys(fields)))
        writer.writeheader()
        writer.writerows(rows)


def _read() -> list[dict]:
    if not CSV.is_file():
        return []
    with CSV.open() as f:
        return list(csv.DictReader(f))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pilots", nargs="*", help=f"pilot names (default: all): {', '.join(PILOTS)}")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--list", action="store_true", help="print the pilots and their changes, then stop")
    parser.add_argument("--step-costs", metavar="PILOT", help="measure the grid's step costs on top of PILOT "
                        f"(forward + backward, CPU time) into {COSTS_CSV.relative_to(RESULTS.parent)}, then stop")
    args = parser.parse_args()
    names = args.pilots or [PRIOR, *PILOTS]
    unknown = sorted(set(names) - {PRIOR, *PILOTS})
    if unknown:
        parser.error(f"unknown pilot(s) {unknown}; known: {', '.join(PILOTS)}")
    if args.step_costs:
        if args.step_costs not in PILOTS:
            parser.error(f"unknown pilot {args.step_costs!r}; known: {', '.join(PILOTS)}")
        import pandas as pd

        table = pd.DataFrame(step_costs(args.step_costs))
        table.to_csv(COSTS_CSV, index=False, float_format="%.3f")
        print(table.to_string(index=False))
        return
    if args.list:
        for n in names:
            print(n, PILOTS.get(n, "training-set class image counts as the ranking"))
        return
    with ProcessPoolExecutor(args.workers) as pool:
        for row in pool.map(run_pilot, names):
            write_row(row)
            print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)


if __name__ == "__main__":
    main()
