"""Result tables: provenance alone does not rewrite them, their columns have one order, and the notebooks'
relative output folders are taken from the project root."""

import os

import pandas as pd
import pytest

from rankseg.experiments import output
from rankseg.experiments.notebook import setup
from rankseg.experiments.runner import RunRecord
from rankseg.paths import ROOT


@pytest.fixture
def results_in(tmp_path, monkeypatch):
    monkeypatch.setattr(output, "RESULTS_OVERRIDE", tmp_path)
    return tmp_path


def save(df: pd.DataFrame, device: str = "cpu A", seeds: str = "0"):
    return output.save_table(df, "t", profile="ci", dataset="emojiscenes", seeds=seeds, device=device)


def test_save_table_leaves_the_file_alone_when_only_provenance_changes(results_in, monkeypatch):
    df = pd.DataFrame({"model": ["a", "b"], "miou": [7.857123, float("nan")]})
    monkeypatch.setattr(output, "git_revision", lambda: "aaaaaaa")
    path = save(df)
    before = path.read_bytes()
    os.utime(path, (0, 0))

    monkeypatch.setattr(output, "git_revision", lambda: "bbbbbbb")
    assert save(df, device="gpu B") == path
    assert path.read_bytes() == before and path.stat().st_mtime == 0

    # below the written precision (%.4g) is the same table too
    assert save(df.assign(miou=[7.857099, float("nan")]), device="gpu B").read_bytes() == before


@pytest.mark.parametrize("change", ["value", "setting", "column order", "new row"])
def test_save_table_rewrites_a_changed_table_with_the_current_provenance(results_in, monkeypatch, change):
    df = pd.DataFrame({"model": ["a"], "miou": [7.86], "map": [1.5]})
    monkeypatch.setattr(output, "git_revision", lambda: "aaaaaaa")
    path = save(df)
    monkeypatch.setattr(output, "git_revision", lambda: "bbbbbbb")
    seeds = "0"
    if change == "value":
        df = df.assign(miou=[7.87])
    elif change == "setting":
        seeds = "0,1"
    elif change == "column order":
        df = df[["model", "map", "miou"]]
    else:
        df = pd.concat([df, df])
    save(df, device="gpu B", seeds=seeds)
    written = pd.read_csv(path)
    assert list(written["git_revision"].unique()) == ["bbbbbbb"] and set(written["device"]) == {"gpu B"}
    assert list(written.columns[:3]) == list(df.columns)


def test_fresh_and_cached_records_give_the_same_column_order():
    fresh = {"miou": 1.0, "pixel_acc": 2.0, "map": 3.0, "recall_at_k": 4.0}  # EvalResult.summary() order
    cached = dict(sorted(fresh.items()))  # what a record stored with sort_keys=True reads back as
    cfg = setup(profile="ci", device="cpu").base
    rows = [RunRecord(key="k", config=cfg, final=f, curves=pd.DataFrame(), seconds=0.0, device="cpu").final
            for f in (fresh, cached)]
    assert list(pd.DataFrame([rows[0]]).columns) == list(pd.DataFrame([rows[1]]).columns)


def test_relative_roots_are_taken_from_the_project_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a kernel started elsewhere, e.g. in notebooks/
    try:
        ctx = setup(profile="ci", device="cpu", results_root="results/_lab_test", figures_root="figures/_lab_test",
                    dataset="ade20k", data_root="data/ade20k")
        assert ctx.results == ROOT / "results/_lab_test/ci" and ctx.figures == ROOT / "figures/_lab_test/ci"
        assert ctx.base.data.root == str(ROOT / "data/ade20k")
        absolute = setup(profile="ci", device="cpu", results_root=str(tmp_path / "r"))
        assert absolute.results == tmp_path / "r" / "ci"
    finally:
        setup(profile="ci", device="cpu")  # back to the project's own folders for the other tests
