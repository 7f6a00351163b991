"""Table builders shared by notebooks: paired (own classifier, RankSeg) rows, paper columns and the
class-frequency prior's reference row."""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

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
