"""Table builders shared by notebooks: paired (own classifier, RankSeg) rows and paper columns."""

from __future__ import annotations

from typing import Any

import pandas as pd

from rankseg.experiments.runner import RunRecord


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
    first = ["framework", "backbone", "classifier", "miou", "gain", "miou K=N at eval", "miou GT labels at eval"]
    return df[first + [c for c in df.columns if c not in first]]
