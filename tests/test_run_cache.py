"""The run cache: what a key covers, the committed records, retraining a record without its checkpoint,
and results derived from a model cached beside its record."""

import json

import pytest
import torch

from rankseg.config import KEY_SCHEMA, OPERATIONAL_FIELDS, Config, override, profile, result_differences
from rankseg.experiments import output, runner
from rankseg.experiments.runner import derived, derived_arrays, derived_paths, load_model, read_record, run, run_key
from rankseg.paths import RESULTS
from synthetic import Rectangles


def cfg_for(**changes) -> Config:
    return override(profile("ci"), {"data.image_size": 32, "model.top_k": 10, "train.iterations": 2,
                                    "train.log_every": 1, **changes})


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    """Records under tmp_path/results, checkpoints under tmp_path/runs."""
    monkeypatch.setattr(output, "RESULTS_OVERRIDE", tmp_path / "results")
    monkeypatch.setattr(runner, "RUNS", tmp_path / "runs")
    return tmp_path


@pytest.fixture(scope="module")
def data():
    return Rectangles(n=8, num_classes=150, size=32), Rectangles(n=4, num_classes=150, size=32, seed=1)


@pytest.mark.parametrize("changes", [{"train.device": "cpu"}, {"train.num_workers": 2}, {"train.log_every": 5},
                                     {"train.eval_batch_size": 3}, {"train.checkpoint_every": 7},
                                     {"data.root": "/somewhere/else"}])
def test_operational_settings_keep_the_key(changes):
    assert run_key(cfg_for(**changes)) == run_key(cfg_for())
    assert result_differences(cfg_for(**changes), cfg_for()) == []


@pytest.mark.parametrize("changes", [{"model.top_k": 5}, {"train.lr": 1e-4}, {"train.seed": 1}, {"loss.ml_weight": 1.0},
                                     {"data.num_train": 9}, {"train.eval_every": 1}, {"model.oracle": "eval"},
                                     {"mask2former.num_queries": 9}, {"train.amp": False}])
def test_result_relevant_fields_change_the_key(changes):
    assert run_key(cfg_for(**changes)) != run_key(cfg_for())
    assert result_differences(cfg_for(**changes), cfg_for()) == sorted(changes)


def test_operational_fields_exist():
    cfg = cfg_for().to_dict()
    for section, names in OPERATIONAL_FIELDS.items():
        assert set(names) <= set(cfg[section])


def test_committed_records_are_keyed_by_the_current_schema():
    paths = list(RESULTS.glob("*/runs/*.json"))
    assert paths, "no committed run records"
    for path in paths:
        d = json.loads(path.read_text())
        assert d["schema"] == KEY_SCHEMA, path
        assert run_key(Config.from_dict(d["config"])) == path.stem, path
        assert d["provenance"].get("git_revision"), path


def test_a_cached_record_is_reused_on_another_device(cache, data, monkeypatch):
    first = run(cfg_for(), datasets=data, progress=False)
    assert {"git_revision", "torch", "timm", "numpy"} <= set(first.provenance)

    def no_training(*args, **kwargs):
        raise AssertionError("a cached run was trained again")

    monkeypatch.setattr(runner, "train", no_training)
    again = run(cfg_for(**{"train.device": "cpu", "train.num_workers": 1}), datasets=data, progress=False)
    assert again.key == first.key and again.final == first.final


def test_load_model_retrains_a_record_without_checkpoint(cache, data):
    record = run(cfg_for(), datasets=data, progress=False)
    trained, _ = load_model(record, datasets=data, progress=False)
    expected = {k: v.clone() for k, v in trained.state_dict().items()}
    for f in sorted(record.run_dir.rglob("*"), reverse=True):  # what a fresh clone lacks: runs/ is not committed
        f.unlink() if f.is_file() else f.rmdir()
    record = read_record(record.path)
    model, ranker = load_model(record, datasets=data, progress=False)
    assert ranker is None and not model.training
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, expected[name], rtol=0, atol=0, msg=name)


def test_load_model_finishes_a_checkpoint_short_of_the_schedule(cache, data, monkeypatch):
    """A checkpoint left by an interrupted retraining (its step short of train.iterations) is trained on to the end,
    never read as the recorded model; a complete one is read as it is."""
    import warnings

    from rankseg.engine.checkpoint import STATE_FILE, checkpoint_dir, checkpoint_iteration

    record = run(cfg_for(), datasets=data, progress=False)
    assert checkpoint_iteration(record.run_dir) == record.config.train.iterations
    calls, real = [], runner._train_record
    monkeypatch.setattr(runner, "_train_record", lambda *a, **k: calls.append(k) or real(*a, **k))
    load_model(record, datasets=data, progress=False)
    assert not calls
    state = checkpoint_dir(record.run_dir) / STATE_FILE
    state.write_text(json.dumps({**json.loads(state.read_text()), "iteration": 1}))  # as if killed at step 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the resumed run may differ from its record, which it then replaces
        load_model(record, datasets=data, progress=False)
    assert len(calls) == 1 and calls[0]["resume"]
    assert checkpoint_iteration(record.run_dir) == record.config.train.iterations


def test_derived_results_are_computed_once_and_dropped_on_retrain(cache, data):
    record = run(cfg_for(), datasets=data, progress=False)
    calls = []

    def compute():
        calls.append(1)
        return {"miou": 1.5, "nan": float("nan")}

    assert derived(record, "x", compute)["miou"] == 1.5
    assert derived(record, "x", compute)["miou"] == 1.5 and len(calls) == 1
    arrays = derived_arrays(record, "p", lambda: {"pred": torch.arange(6).reshape(2, 3).numpy()})
    assert derived_arrays(record, "p", lambda: {})["pred"].tolist() == arrays["pred"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert all(p.is_file() for p in derived_paths(record))
    run(cfg_for(), datasets=data, progress=False, retrain=True)
    assert not any(p.is_file() for p in derived_paths(record))


def test_notebook_context_reads_derived_results_without_a_model(cache, monkeypatch):
    from rankseg.experiments.notebook import setup

    ctx = setup(profile="ci", device="cpu", results_root=str(cache / "results"), figures_root=str(cache / "figures"))
    record = ctx.run({"train.iterations": 2})
    samples, scores = ctx.samples(record, [0, 3]), ctx.evaluate(record, oracle=True)
    temps = ctx.temperatures(record)
    assert len(temps) == record.config.model.top_k and samples[1].pred.shape == samples[1].label.shape
    assert set(samples[0].selected.tolist()) <= set(range(150)) and samples[0].scores.shape == (150,)

    fresh = setup(profile="ci", device="cpu", results_root=str(cache / "results"), figures_root=str(cache / "figures"))

    def no_model(record):
        raise AssertionError("the model was needed although its results are cached")

    monkeypatch.setattr(fresh, "load_model", no_model)
    again = fresh.samples(record, [0, 3])
    assert fresh.evaluate(record, oracle=True) == scores and fresh.temperatures(record) == temps
    for a, b in zip(samples, again, strict=True):
        assert (a.pred == b.pred).all() and (a.scores == b.scores).all() and (a.image == b.image).all()
    with pytest.raises(AssertionError, match="cached"):
        fresh.evaluate(record, top_k=5)  # not cached yet: needs the model


def test_a_retrained_run_that_differs_replaces_its_record(cache, data):
    record = run(cfg_for(), datasets=data, progress=False)
    true_final = dict(record.final)
    for f in sorted(record.run_dir.rglob("*"), reverse=True):
        f.unlink() if f.is_file() else f.rmdir()
    derived(record, "x", lambda: 1)
    d = json.loads(record.path.read_text())
    d["final"]["miou"] += 1.0  # as if recorded on other hardware
    record.path.write_text(json.dumps(d))
    stale = read_record(record.path)
    with pytest.warns(UserWarning, match=r"differs from its record \(miou"):
        load_model(stale, datasets=data, progress=False)
    assert stale.final == true_final == read_record(record.path).final
    assert not derived_paths(record)[0].is_file()
