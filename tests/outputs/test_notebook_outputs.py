"""Checks on what the notebooks wrote (run after nbval, which only checks that they run).

The `ci` tables must exist with their provenance and sane values; the committed `default` tables must
agree with the run records they were made from, and README.md must be what its generator makes of them.
"""

import json

import pandas as pd
import pytest

from rankseg.config import Config, mask2former_profile, override, profile as make_profile
from rankseg.experiments import readme, variants
from rankseg.experiments.prior import prior_key
from rankseg.experiments.runner import run_key
from rankseg.experiments.tables import PRIOR_ROW
from rankseg.paths import RESULTS, ROOT

EXPECTED = ["01_quickstart", "02_label_statistics", "03_oracle", "04_table1_components", "05_table6ab_schemes",
            "05_table6c_top_k", "05_table6d_loss_weight", "05_table6e_heads", "06_fig7_temperatures",
            "07_fig9_overfitting", "08_dynamic_k", "09_false_positive_classes", "10_table8_frameworks",
            "11_table9_encnet_essnet", "11_essnet_ablations"]


def table(profile, name):
    path = RESULTS / profile / f"{name}.csv"
    assert path.is_file(), f"{path} missing: did the notebook run?"
    return pd.read_csv(path)


@pytest.mark.parametrize("name", EXPECTED)
def test_ci_tables_exist_with_provenance(name):
    df = table("ci", name)
    assert {"profile", "dataset", "seeds", "device", "git_revision"} <= set(df.columns)
    assert (df["profile"] == "ci").all()
    for col in [c for c in df.columns if c.startswith("miou")]:
        low = -100 if col == "miou_late_change" else 0  # a change, which may be negative
        assert df[col].dropna().between(low, 100).all()


# Each table with the class-frequency prior's row: (label column, K column or None, the prior's columns)
PRIOR_TABLES = {"01_quickstart": ("model", None, ["recall_at_k", "map"]),
                "03_oracle": ("setting", None, ["recall_at_k mean"]),
                "04_table1_components": ("method", None, ["recall_at_k", "map"]),
                "05_table6ab_schemes": ("scheme", None, ["recall_at_k", "map"]),
                "05_table6c_top_k": ("experiment", "K", ["recall_at_k", "map"]),
                "05_table6d_loss_weight": ("ml loss weight", None, ["recall_at_k", "map"]),
                "05_table6e_heads": ("head", None, ["recall_at_k", "map"]),
                "06_temperature_realisations": ("realisation", None, ["recall_at_k", "map"]),
                "07_fig9_overfitting": ("setting", None, ["map"]),
                "08_dynamic_k": ("selection", None, ["recall_at_k", "map"]),
                "10_table8_frameworks": ("classifier", None, ["recall_at_k", "map"]),
                "11_table9_encnet_essnet": ("method", None, ["recall_at_k", "map"]),
                "12_mask2former": ("method", None, ["map"])}


def prior_rows(df, label):
    return df[df[label].astype(str) == PRIOR_ROW]


@pytest.mark.parametrize("profile", ["ci", "default"])
@pytest.mark.parametrize("name", PRIOR_TABLES)
def test_prior_row_holds_the_prior_only(profile, name):
    """The prior's row has its recall@K and mAP and nothing a run would give (it has no run)."""
    if not (RESULTS / profile / f"{name}.csv").is_file():
        pytest.skip(f"no {profile} table {name}")
    label, k, cols = PRIOR_TABLES[name]
    df = table(profile, name)
    rows = prior_rows(df, label)
    assert len(rows) >= 1, f"{name}: no {PRIOR_ROW!r} row"
    kept = {label, *cols, "profile", "dataset", "seeds", "device", "git_revision", "task", "num_classes", "top_k"}
    kept |= {k} if k else set()
    assert rows.drop(columns=[c for c in kept if c in df]).isna().all().all(), f"{name}: the prior's row holds a run's value"
    assert rows[cols].notna().all().all() and rows[cols].apply(lambda c: c.between(0, 100)).all().all()
    if k:  # one prior row per K of the table, recall@K growing with K
        assert sorted(rows[k]) == sorted(df.loc[df[label].astype(str) != PRIOR_ROW, k].unique())
        assert rows.sort_values(k)["recall_at_k"].is_monotonic_increasing


def _committed_prior(cfg, k):
    path = RESULTS / "default" / "prior" / f"{prior_key(cfg, k)}.json"
    assert path.is_file(), f"{path} missing: the default prior must be committed (a fresh clone does not recompute it)"
    return json.loads(path.read_text())


@pytest.mark.skipif(not (RESULTS / "default" / "04_table1_components.csv").is_file(), reason="no default results")
def test_default_prior_rows_are_the_committed_prior():
    base = make_profile("default")
    for name, (label, k, cols) in PRIOR_TABLES.items():
        cfg = mask2former_profile("default") if name.startswith("12_") else base
        for _, row in prior_rows(table("default", name), label).iterrows():
            if row.get("num_classes", cfg.data.num_classes) != cfg.data.num_classes:  # Table 1's large vocabulary
                cfg = override(base, variants.large_vocab(base.data.num_train))
            stored = _committed_prior(cfg, int(row[k]) if k else cfg.model.top_k)
            for col in cols:
                assert row[col] == pytest.approx(stored[col.split()[0]], abs=0.01), (name, col)


def test_ci_oracle_and_top_k_semantics():
    oracle = table("ci", "03_oracle").set_index("setting")
    assert oracle.loc["RankSeg + GT (train+eval)", "recall_at_k mean"] == 100
    assert oracle.loc["RankSeg + GT (eval)", "recall_at_k mean"] == 100
    top_k = table("ci", "05_table6c_top_k")
    at_eval = top_k[top_k["experiment"].str.contains("changed at evaluation")]
    assert at_eval["recall_at_k"].is_monotonic_increasing  # more classes kept, more ground truth recalled
    assert at_eval["recall_at_k"].iloc[-1] == 100  # K = N keeps every class


def _records(profile):
    out = {}
    for p in (RESULTS / profile / "runs").glob("*.json"):
        d = json.loads(p.read_text())
        out[p.stem] = (Config.from_dict(d["config"]), d["final"])
    return out


@pytest.mark.skipif(not (RESULTS / "default" / "04_table1_components.csv").is_file(), reason="no default results")
def test_default_table1_matches_its_runs():
    """Each trained row of Table 1 is the mean over the run records it names (its seeds'), the late change too; the
    baseline's records are the default profile's baseline runs."""
    records = _records("default")
    t1 = table("default", "04_table1_components")
    base = t1[t1["method"] == "Baseline"].iloc[0]
    seeds = [int(s) for s in str(base["run_seeds"]).split(",")]
    assert base["runs"].split() == [run_key(override(make_profile("default"), {**variants.BASELINE, "train.seed": s}))
                                    for s in seeds]
    for _, row in t1[(t1["method"] != PRIOR_ROW) & ~t1["method"].str.contains("GT at eval")].iterrows():
        finals = [records[key][1] for key in row["runs"].split()]
        assert len(finals) == len(str(row["run_seeds"]).split(","))
        # the CSV keeps 4 significant digits
        assert row["miou"] == pytest.approx(sum(f["miou"] for f in finals) / len(finals), rel=1e-3, abs=1e-3)
        late = pd.Series([f["miou_late_change"] for f in finals], dtype=float)
        assert row["miou_late_change"] == pytest.approx(late.mean(), rel=1e-3, abs=1e-3, nan_ok=True)


def test_ci_frameworks_table_pairs_each_framework():
    fw = table("ci", "10_table8_frameworks")
    assert set(fw["framework"]) >= {"Segmenter", "DeepLabv3", "UPerNet"}
    fw = fw[fw["classifier"] != PRIOR_ROW]  # the prior's row: no framework, no run (checked above)
    for _, g in fw.groupby("framework"):
        assert list(g["classifier"]) == ["own (all N classes)", "MT only (class-token cosine over all N)", "RankSeg"]
        own, rs = g.iloc[0], g.iloc[2]
        assert rs["gain"] == pytest.approx(rs["miou"] - own["miou"], abs=0.01)  # CSVs keep 4 significant digits
        assert rs["recall_at_k"] == rs["recall_at_k"] and own["recall_at_k"] != own["recall_at_k"]  # NaN: no selection
    assert (fw["GFLOPs"] > 0).all() and (fw["params (M)"] > 0).all()
    enc = table("ci", "11_table9_encnet_essnet").set_index("method")
    assert enc.loc["EncNet", "map"] == enc.loc["EncNet", "map"]  # the SE branch is scored as a multi-label classifier


@pytest.mark.skipif(not (RESULTS / "default" / "10_table8_frameworks.csv").is_file(), reason="no default results")
def test_default_frameworks_table_matches_its_runs():
    records = _records("default")
    fw = table("default", "10_table8_frameworks")
    fw = fw[fw["classifier"] != PRIOR_ROW]
    assert len(fw) == 9
    for _, row in fw[fw["framework"] != "Segmenter"].iterrows():
        ranked, mt = row["classifier"] == "RankSeg", row["classifier"].startswith("MT only")
        match = [f["miou"] for c, f in records.values() if c.model.framework == row["framework"].lower()
                 and c.model.backbone == row["backbone"] and c.model.label_selection == ranked
                 and c.model.multilabel == (ranked or mt)]
        assert match and row["miou"] == pytest.approx(match[0], abs=0.01)


@pytest.mark.skipif(not (RESULTS / "default").is_dir(), reason="no default results")
def test_documents_are_generated_from_the_csvs():
    results, main = (ROOT / "RESULTS.md").read_text(), (ROOT / "README.md").read_text()
    for name in readme.TABLES:
        assert readme.render(name, "default") in results, f"RESULTS.md section {name} is stale: run python -m rankseg.experiments.readme"
    assert readme.gains_table("default", headline=True) in main and readme.gains_table("default") in results
    for name in readme.DOCUMENTS:  # the generator has nothing left to change
        text = (ROOT / name).read_text()
        assert readme.update(ROOT / name, "default") == text, f"{name} is stale: run python -m rankseg.experiments.readme"
    assert "| nan" not in results and "nan |" not in results


# --- notebook 12: Mask2Former + RankSeg -------------------------------------------------------------------------
M2F_METHODS = ["Mask2Former", "+ RankSeg", "+ RankSeg + GT (train+eval)", "+ RankSeg + GT (eval)"]


@pytest.mark.parametrize("profile", ["ci", "default"])
def test_mask2former_table(profile):
    if not (RESULTS / profile / "12_mask2former.csv").is_file():
        pytest.skip(f"no {profile} table of notebook 12")
    df = table(profile, "12_mask2former")
    assert {"profile", "dataset", "seeds", "device", "git_revision"} <= set(df.columns)
    prior = df[df["method"] == PRIOR_ROW]  # no run: checked by test_prior_row_holds_the_prior_only
    assert sorted(prior["task"]) == ["image panoptic", "image semantic"]
    df = df[df["method"] != PRIOR_ROW]
    assert set(df["task"]) == {"image semantic", "image panoptic", "video semantic"}
    assert set(df["method"]) <= set(M2F_METHODS) and "Mask2Former" in set(df["method"])
    assert df["ours"].dropna().between(0, 100).all()
    pan = df[df["task"] == "image panoptic"]
    assert (pan["metric"] == "PQ").all() and (df[df["task"] != "image panoptic"]["metric"] == "mIoU").all()
    for _, row in df.iterrows():
        base = df[(df["task"] == row["task"]) & (df["method"] == "Mask2Former")]["ours"].iloc[0]
        assert row["gain vs Mask2Former"] == pytest.approx(row["ours"] - base, abs=0.02)  # CSV keeps 4 digits
    assert (df["params_M"] > 0).all() and (df["gflops_per_frame"] > 0).all()
    # the paper's values sit in their own columns, labelled as the paper's setting
    assert df.loc[(df["task"] == "image semantic") & (df["method"] == "+ RankSeg"), "paper value"].iloc[0] == 54.9
    if profile == "default":  # every trained row is the score of its cached run
        for _, row in df[~df["method"].str.contains("GT \\(eval\\)")].iterrows():
            final = json.loads((RESULTS / "default" / "runs" / f"{row['run']}.json").read_text())["final"]
            key = "pq" if row["metric"] == "PQ" else "miou"
            assert row["ours"] == pytest.approx(final[key], abs=0.02)
