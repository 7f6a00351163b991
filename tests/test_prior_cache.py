"""The class-frequency prior as the notebooks use it: cached per data config and K under results/<profile>/prior/
(so that a fresh clone reads it instead of every training label), and its row appended to a table."""

import json
import math

import pandas as pd
import pytest

from rankseg.config import override, profile
from rankseg.data.build import build_datasets
from rankseg.experiments import output, prior
from rankseg.experiments.notebook import setup
from rankseg.experiments.prior import class_frequency_prior, prior_path
from rankseg.experiments.runner import read_record
from rankseg.experiments.tables import PRIOR_ROW, is_prior_row, with_prior_rows
from rankseg.paths import RESULTS

TINY = {"data.num_train": 12, "data.num_val": 6, "data.image_size": 32}


@pytest.fixture()
def ctx(tmp_path, monkeypatch):
    """A ci notebook context on a tiny EmojiScenes whose results go to tmp_path/results."""
    for name in ("RESULTS_OVERRIDE", "FIGURES_OVERRIDE"):  # setup sets them: put back after the test
        monkeypatch.setattr(output, name, getattr(output, name))
    c = setup(profile="ci", device="cpu", results_root=str(tmp_path / "results"),
              figures_root=str(tmp_path / "figures"))
    c.base = override(c.base, TINY)
    return c


def test_the_prior_is_computed_once_then_read_from_its_cache(ctx, monkeypatch):
    first = ctx.class_frequency_prior()
    path = prior_path(ctx.base, ctx.base.model.top_k)
    assert path.is_file() and path.parent == ctx.results / "prior"
    stored = json.loads(path.read_text())
    assert stored["k"] == ctx.base.model.top_k and stored["data"]["num_train"] == 12
    train, val = build_datasets(ctx.base.data)
    direct = class_frequency_prior(train, val, num_classes=ctx.base.data.num_classes, k=ctx.base.model.top_k)
    assert first == direct and set(first) == {"recall_at_k", "map"}

    def no_labels(*args, **kwargs):
        raise AssertionError("the prior was computed again although it is cached")

    monkeypatch.setattr(prior, "class_frequency_prior", no_labels)
    monkeypatch.setattr(prior, "build_datasets", no_labels)
    fresh = setup(profile="ci", device="cpu", results_root=str(ctx.results.parent),
                  figures_root=str(ctx.figures.parent))  # a fresh clone's session
    assert fresh.class_frequency_prior(cfg=ctx.base) == first
    assert ctx.class_frequency_prior() == first


def test_another_k_or_data_config_has_its_own_cache_file(ctx):
    k = ctx.base.model.top_k
    at_k, at_5 = ctx.class_frequency_prior(), ctx.class_frequency_prior(5)
    other = override(ctx.base, {"data.num_val": 7})
    assert len({prior_path(ctx.base, k), prior_path(ctx.base, 5), prior_path(other, k)}) == 3
    assert at_5["map"] == at_k["map"] and at_5["recall_at_k"] < at_k["recall_at_k"]  # K changes recall only
    assert ctx.class_frequency_prior(cfg=other) is not None and prior_path(other, k).is_file()
    train, val = build_datasets(other.data)
    assert ctx.class_frequency_prior(cfg=other) == class_frequency_prior(train, val, num_classes=150, k=k)
    # operational fields (where the data lies on a machine, the device) do not change the key
    assert prior_path(override(ctx.base, {"train.device": "cuda", "data.root": "/else"}), k) == prior_path(ctx.base, k)


def test_prior_rows_take_the_label_column_and_leave_the_rest_empty():
    table = pd.DataFrame({"method": ["baseline", "RankSeg"], "seed": [0, 0], "miou": [7.0, 5.0],
                          "map": [math.nan, 12.0], "recall_at_k": [math.nan, 72.0]})
    out = with_prior_rows(table, {50: {"recall_at_k": 69.0, "map": 7.7}}, label="method")
    assert list(out.columns) == list(table.columns) and len(out) == 3 and len(table) == 2
    row = out.iloc[-1]
    assert row["method"] == PRIOR_ROW and (row["recall_at_k"], row["map"]) == (69.0, 7.7)
    assert math.isnan(row["miou"]) and math.isnan(row["seed"])
    assert is_prior_row(out, "method").tolist() == [False, False, True]


def test_one_prior_row_per_k_of_a_k_column_and_renamed_columns():
    table = pd.DataFrame({"experiment": ["trained"] * 2, "K": [10, 50], "miou": [2.0, 4.0], "recall_at_k": [37.0, 72.0],
                          "map": [12.0, 12.0]})
    priors = {50: {"recall_at_k": 69.0, "map": 7.7}, 10: {"recall_at_k": 33.0, "map": 7.7}}
    out = with_prior_rows(table, priors, label="experiment", k="K")
    assert out.loc[is_prior_row(out, "experiment"), ["K", "recall_at_k"]].values.tolist() == [[10, 33.0], [50, 69.0]]
    with pytest.raises(ValueError, match="one K"):
        with_prior_rows(table, priors, label="experiment")
    agg = pd.DataFrame({"setting": ["RankSeg"], "recall_at_k mean": [72.0], "recall_at_k std": [math.nan]})
    out = with_prior_rows(agg, {50: priors[50]}, label="setting", columns={"recall_at_k": "recall_at_k mean"})
    assert out.iloc[-1]["recall_at_k mean"] == 69.0 and math.isnan(out.iloc[-1]["recall_at_k std"])
    m2f = pd.DataFrame({"task": ["image semantic"], "method": ["Mask2Former"], "ours": [1.2], "map": [math.nan]})
    out = with_prior_rows(m2f, {150: {"recall_at_k": 100.0, "map": 7.7}}, label="method",
                          fill={"task": "image semantic"})
    assert out.iloc[-1][["task", "method", "map"]].tolist() == ["image semantic", PRIOR_ROW, 7.7]  # no recall column
    weights = pd.DataFrame({"ml loss weight": [1.0, 10.0], "map": [9.9, 12.0]})
    out = with_prior_rows(weights, {50: priors[50]}, label="ml loss weight")
    assert out["ml loss weight"].tolist() == ["1", "10", PRIOR_ROW] and weights["ml loss weight"].tolist() == [1, 10]
    with pytest.raises(ValueError, match="lacks"):
        with_prior_rows(pd.DataFrame({"method": ["a"], "miou": [1.0]}), {50: priors[50]}, label="method")


def test_context_with_prior_uses_each_row_k(ctx):
    table = pd.DataFrame({"experiment": ["a", "b"], "K": [5, ctx.base.model.top_k], "recall_at_k": [1.0, 2.0],
                          "map": [3.0, 3.0]})
    out = ctx.with_prior(table, label="experiment", k="K")
    rows = out[is_prior_row(out, "experiment")]
    assert rows["K"].tolist() == [5, ctx.base.model.top_k]
    assert rows["recall_at_k"].tolist() == [ctx.class_frequency_prior(k)["recall_at_k"] for k in rows["K"]]


def test_the_default_prior_is_committed():
    """The notebooks' default prior rows are read, never recomputed, in a fresh clone."""
    if not (RESULTS / "default").is_dir():
        pytest.skip("no default results")
    base = profile("default")
    assert (RESULTS / "default" / "prior" / prior_path(base, base.model.top_k).name).is_file()


def test_an_older_record_gets_its_late_change_from_its_curves(tmp_path):
    cfg = override(profile("ci"), {"train.iterations": 100})
    curves = [{"iteration": 50, "miou": 1.0}, {"iteration": 80, "miou": 2.0}, {"iteration": 90, "loss": 0.5},
              {"iteration": 100, "miou": 2.5}]
    d = {"schema": 4, "config": cfg.to_dict(), "final": {"miou": 2.5}, "seconds": 1.0, "device": "cpu",
         "curves": curves}
    path = tmp_path / "abc.json"
    path.write_text(json.dumps(d))
    assert read_record(path).final == {"miou": 2.5, "miou_late_change": 0.5}  # evaluations at 80 and 100
    d["final"]["miou_late_change"] = None  # a newer record keeps what its run stored
    path.write_text(json.dumps(d))
    assert read_record(path).final["miou_late_change"] is None
