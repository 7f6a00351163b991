"""Table builders shared by notebooks: paired (own classifier, RankSeg) rows, paper columns and the
class-frequency prior's reference row."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pandas as pd

from rankseg.experiments.readings import verdict
from rankseg.experiments.runner import RunRecord

PRIOR_ROW = "class-frequency prior"  # the label of the prior's row in every table that has one


def with_prior_rows(table: pd.DataFrame, priors: Mapping[int, Mapping[str, float]], *, label: str,
                    k: str | None = None, columns: Mapping[str, str] | None = None,
                    fill: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """A copy of `table` with the class-frequency prior's row(s) appended: PRIOR_ROW in the `label` column, the
    prior's recall@K and mAP in the table's columns of those names, every other column empty (NaN).

    Arguments:
        priors: K -> {"recall_at_k": %, "map": %} (`Context.class_frequency_prior`); one row per K, in K order.
        label: the column that names a row (method, setting, head, ...).
        k: the table's K column, set to each prior row's K; without it `priors` must hold a single K.
        columns: prior metric -> table column, for tables that name them otherwise ({"recall_at_k":
            "recall_at_k mean"}); by default recall_at_k and map, those of them the table has.
        fill: other columns of the prior row(s) to set (e.g. the task of a table with one block per task).
    """
    if k is None and len(priors) != 1:
        raise ValueError(f"a table without a K column takes the prior at one K, got {sorted(priors)}")
    if k is not None and k not in table:
        raise ValueError(f"no K column {k!r} in the table (columns: {list(table.columns)})")
    names = dict(columns) if columns is not None else {m: m for m in ("recall_at_k", "map") if m in table}
    missing = [c for c in [label, *names.values(), *(fill or {})] if c not in table]
    if missing or not names:
        raise ValueError(f"the table lacks the column(s) {missing or ['recall_at_k', 'map']} for the prior's row")
    rows = [{label: PRIOR_ROW, **({k: kk} if k is not None else {}), **(fill or {}),
             **{col: values[metric] for metric, col in names.items()}} for kk, values in sorted(priors.items())]
    if pd.api.types.is_numeric_dtype(table[label]):  # a numeric label (a loss weight) becomes text, 10 not 10.0
        table = table.assign(**{label: table[label].map("{:g}".format)})
    return pd.concat([table, pd.DataFrame(rows, columns=table.columns)], ignore_index=True)


def is_prior_row(table: pd.DataFrame, label: str) -> pd.Series:
    """True for the rows `with_prior_rows` appended (they hold no run)."""
    return table[label] == PRIOR_ROW


def with_paper_columns(table: pd.DataFrame, key: str, values: dict[str, dict[str, float]]) -> pd.DataFrame:
    """Adds one "paper <benchmark>" column per benchmark, filled where `values[row key]` has it."""
    benchmarks = list(dict.fromkeys(b for v in values.values() for b in v))
    for bench in benchmarks:
        table[f"paper {bench}"] = table[key].map(lambda name, b=bench: values.get(name, {}).get(b))
    return table


def framework_table(ctx: Any, runs: dict[str, dict[str, RunRecord]], reference: dict[str, dict]) -> pd.DataFrame:
    """Table 8: one row per (framework, classifier) with scores, cost, the gain over the framework's own
    classifier, and the paper's values for the same framework where it reports them.

    runs: framework → {"own": record, "RankSeg": record, optionally "MT only": record}."""
    labels = {"own": "own (all N classes)", "MT only": "MT only (class-token cosine over all N)",
              "RankSeg": "RankSeg"}
    rows = []
    for name, records in runs.items():
        own = records["own"]
        ref = reference.get(name, {})
        for key, r in records.items():
            row = {"framework": name, "backbone": r.config.model.backbone, "classifier": labels[key], **r.final,
                   **ctx.cost(r), "train_seconds": r.seconds}
            if key != "own":
                row["gain"] = r.final["miou"] - own.final["miou"]
            if key == "RankSeg":
                # the same trained model, evaluated without dropping classes (K = N: sorting only) and with
                # the ground-truth label set: how much of the gap is the ranking's
                row["miou K=N at eval"] = ctx.evaluate(r, top_k=r.config.data.num_classes)["miou"]
                row["miou GT labels at eval"] = ctx.evaluate(r, oracle=True)["miou"]
            for bench, value in ref.items():
                if bench == "backbone":
                    row["paper backbone"] = value
                elif key != "MT only":
                    row[f"paper {bench}"] = value[key == "RankSeg"]
            rows.append(row)
    df = pd.DataFrame(rows)
    first = ["framework", "backbone", "classifier", "miou", "gain", "miou_late_change", "miou K=N at eval",
             "miou GT labels at eval"]
    return df[first + [c for c in df.columns if c not in first]]


# Table 1's oracle rows (notebook 04): the full method's models given every ground-truth class at evaluation (as
# many channels as the image has classes, not K), and models trained and evaluated with the ground-truth label set.
GT_AT_EVAL, GT_TRAIN_EVAL = "+MT+LS+RA, GT at eval", "GT at train+eval"


def component_runs(ctx: Any, seeds: Sequence[int], vocab: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Table 1's runs at one vocabulary (`vocab`: config changes such as `variants.large_vocab(...)`), one row per
    (method, seed) with the run's final scores: the four rows of `variants.TABLE1`, GT_AT_EVAL and GT_TRAIN_EVAL.
    Trains what the run cache lacks."""
    from rankseg.experiments import variants

    methods = {**variants.TABLE1, GT_TRAIN_EVAL: variants.ORACLE_TRAIN_EVAL}
    rows = []
    for name, changes in methods.items():
        for seed in seeds:
            r = ctx.run({**changes, **(vocab or {})}, seed)
            info = {"num_classes": r.config.data.num_classes, "top_k": r.config.model.top_k, "seed": seed,
                    "run": r.key}
            rows.append({"method": name, **info, **r.final, "train_seconds": r.seconds})
            if name == "+MT+LS+RA":  # an evaluation, not a run: no training curve, no late change
                rows.append({"method": GT_AT_EVAL, **info, **ctx.evaluate(r, oracle=True)})
    order = {m: i for i, m in enumerate([*variants.TABLE1, GT_AT_EVAL, GT_TRAIN_EVAL])}
    return pd.DataFrame(rows).sort_values("method", key=lambda s: s.map(order), kind="stable", ignore_index=True)


def component_table(runs: pd.DataFrame, priors: Mapping[int, tuple[int, Mapping[str, float]]]) -> pd.DataFrame:
    """Table 1 from `component_runs` (one or several vocabularies): per vocabulary and method the mean and std of
    mIoU over the seeds, the gain over the same vocabulary's baseline and the std of its per-seed differences
    (`gain_std`: the spread the gain is judged by) and its `verdict` (`readings.verdict`: is it a gain beyond that
    spread), the late mIoU change, mAP, recall@K and training time; then the class-frequency prior's row per
    vocabulary (`priors`: N -> (K, {"recall_at_k", "map"}))."""
    rows = []
    for n, block in runs.groupby("num_classes", sort=False):
        per_seed = block.pivot(index="seed", columns="method", values="miou")
        base = per_seed["Baseline"].mean() if "Baseline" in per_seed else None
        for method, g in block.groupby("method", sort=False):
            diff = (per_seed[method] - per_seed["Baseline"]).dropna() if "Baseline" in per_seed else pd.Series()
            late = pd.to_numeric(g["miou_late_change"], errors="coerce") if "miou_late_change" in g else None
            rows.append({"method": method, "num_classes": n, "top_k": g["top_k"].iloc[0],
                         "run_seeds": ",".join(map(str, g["seed"])), "miou": g["miou"].mean(), "miou_std": g["miou"].std(),
                         "gain": diff.mean() if len(diff) else None, "gain_std": diff.std() if len(diff) > 1 else None,
                         "miou_late_change": late.mean() if late is not None else None,
                         "map": g["map"].mean() if "map" in g else None,
                         "recall_at_k": g["recall_at_k"].mean() if "recall_at_k" in g else None,
                         "train_seconds": g["train_seconds"].mean() if "train_seconds" in g else None,
                         "verdict": verdict(diff, baseline=base) if len(diff) and method != "Baseline" else None,
                         "runs": " ".join(g["run"])})
        if n in priors:
            k, prior = priors[n]
            rows.append({"method": PRIOR_ROW, "num_classes": n, "top_k": k, "recall_at_k": prior["recall_at_k"],
                         "map": prior["map"]})
    return pd.DataFrame(rows)
