"""Reliability: kills during a checkpoint write, pickle-free state, resume config checks, validation checked
before training, curves written as training goes."""

import math
import os
import pickle
import shutil
from importlib import import_module
from pathlib import Path

import pandas as pd
import pytest
import torch
from safetensors import SafetensorError

import rankseg.engine.checkpoint as checkpoint
from rankseg.config import override, profile
from rankseg.constants import IGNORE_INDEX
from rankseg.engine import EvalOptions, train
from rankseg.engine.checkpoint import load_state
from rankseg.metrics import SegmentationMeter
from rankseg.models.build import build_segmenter
from synthetic import Rectangles

N = 150
train_module = import_module("rankseg.engine.train")  # the module: rankseg.engine.train is also the function
fit_module = import_module("rankseg.engine.fit")  # the shared loop, which writes the checkpoints


@pytest.fixture(scope="module")
def data():
    return Rectangles(n=16, num_classes=N, size=32), Rectangles(n=4, num_classes=N, size=32, seed=1)


def cfg_for(**changes):
    return override(profile("ci"), {"data.image_size": 32, "model.top_k": 10, "train.iterations": 4,
                                    "train.batch_size": 2, "train.log_every": 1, **changes})


def assert_same_run(a, b):
    pd.testing.assert_frame_equal(a.curves, b.curves, check_exact=True)
    assert a.final.summary() == b.final.summary()
    for (k, x), y in zip(a.model.state_dict().items(), b.model.state_dict().values(), strict=True):
        assert torch.equal(x, y), k


class Killed(BaseException):
    """A kill: a BaseException, so no `except Exception` clean-up runs, as with SIGKILL."""


def disk_writes():
    """Every primitive a checkpoint write may use to write, move or delete its files (old and new code).
    fsync is left out: a killed process sees the same files whether or not they reached the disk."""
    targets = [(os, "replace"), (shutil, "rmtree"), (torch, "save"), (checkpoint, "save_file")]
    return targets + [(checkpoint, name) for name in ("_write_json",) if hasattr(checkpoint, name)]


def count_writes(monkeypatch, kill_at=None):
    """Wraps the checkpoint's disk operations; raises Killed at the `kill_at`-th one (0-based).
    Returns the list of (checkpoint number, operation) seen so far."""
    seen = []
    saves = [0]
    for owner, name in disk_writes():
        original = getattr(owner, name)

        def wrapped(*args, _original=original, _name=name, **kwargs):
            if len(seen) == kill_at:
                raise Killed(_name)
            seen.append((saves[0], _name))
            return _original(*args, **kwargs)

        monkeypatch.setattr(owner, name, wrapped)
    save = fit_module.save_checkpoint

    def counted_save(*args, **kwargs):
        saves[0] += 1
        return save(*args, **kwargs)

    monkeypatch.setattr(fit_module, "save_checkpoint", counted_save)
    return seen


def test_a_kill_at_every_step_of_a_checkpoint_write_resumes_identically(data, tmp_path):
    cfg = cfg_for(**{"train.checkpoint_every": 1})
    with pytest.MonkeyPatch.context() as mp:
        seen = count_writes(mp)
        full = train(cfg, tmp_path / "full", datasets=data, progress=False)
    # the second checkpoint (iteration 2), which replaces the one of iteration 1
    steps = [i for i, (save, _) in enumerate(seen) if save == 2]
    assert len(steps) >= 3
    for kill_at in steps:
        run_dir = tmp_path / f"killed_{kill_at}"
        with pytest.MonkeyPatch.context() as mp, pytest.raises(Killed):
            count_writes(mp, kill_at=kill_at)
            train(cfg, run_dir, datasets=data, progress=False)
        resumed = train(cfg, run_dir, datasets=data, progress=False)
        assert_same_run(full, resumed)
        assert not list(run_dir.glob("checkpoint.*")), "a stale temporary or previous checkpoint was left behind"


class Payload:
    """Unpickling this writes a marker file: code run by loading a checkpoint."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "pwned"))


def test_a_pickled_trainer_state_is_refused_and_never_run(data, tmp_path):
    cfg = cfg_for(**{"train.iterations": 2})
    train(cfg, tmp_path / "run", datasets=data, progress=False)
    marker = tmp_path / "marker"
    # an older rankseg's layout: weights beside a pickled trainer_state.pt
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    shutil.copy(next((tmp_path / "run").rglob("model.safetensors")), legacy / "model.safetensors")
    with open(legacy / "trainer_state.pt", "wb") as f:
        pickle.dump({"iteration": 1, "payload": Payload(marker)}, f)
    with pytest.raises(Exception) as refused:  # noqa: B017 - the type is checked below, after the payload
        train(cfg, legacy, datasets=data, progress=False)
    assert not marker.exists(), "resuming ran the code planted in trainer_state.pt"
    assert refused.type is checkpoint.UnsafeCheckpointError and "pickle" in str(refused.value)
    # every file of a current checkpoint replaced by a pickle
    for name in checkpoint.FILES:
        run_dir = tmp_path / f"planted_{name}"
        shutil.copytree(tmp_path / "run", run_dir)
        with open(run_dir / "checkpoint" / name, "wb") as f:
            pickle.dump(Payload(marker), f)
        with pytest.raises((SafetensorError, ValueError)):  # not a safetensors file, not JSON
            train(cfg, run_dir, datasets=data, progress=False)
        assert not marker.exists()


def test_trainer_state_holds_no_pickle(data, tmp_path):
    train(cfg_for(**{"train.iterations": 2}), tmp_path, datasets=data, progress=False)
    files = sorted(p.name for p in (tmp_path / "checkpoint").iterdir())
    assert files == sorted(checkpoint.FILES)
    state = load_state(tmp_path)
    assert state["iteration"] == 2 and state["optimizer"]["state"]  # Adam moments, keyed by parameter index
    assert all(isinstance(k, int) for k in state["optimizer"]["state"])


def test_resume_refuses_a_changed_config_naming_the_fields(data, tmp_path):
    cfg = cfg_for(**{"train.iterations": 2})
    train(cfg, tmp_path, datasets=data, progress=False)
    longer = override(cfg, {"train.iterations": 4})
    with pytest.raises(ValueError, match=r"loss.ml_weight: 10.0 -> 3.0; train.lr: 0.001 -> 0.01\)"):
        train(override(cfg, {"train.lr": 0.01, "loss.ml_weight": 3.0}), tmp_path, datasets=data, progress=False)
    with pytest.raises(ValueError, match=r"model.top_k: 10 -> 12"):
        train(override(longer, {"model.top_k": 12}), tmp_path, datasets=data, progress=False)
    # operational fields may change; an explicit request continues with a new result-relevant config
    ok = override(longer, {"train.log_every": 2, "train.lr": 0.01})
    with pytest.raises(ValueError, match="train.iterations"):
        train(ok, tmp_path, datasets=data, progress=False)
    result = train(ok, tmp_path, datasets=data, progress=False, allow_config_change=True)
    assert result.curves["iteration"].max() == 4
    state = load_state(tmp_path)
    assert state["config_changes"] == [{"iteration": 2, "fields": {"train.iterations": [2, 4],
                                                                    "train.lr": [0.001, 0.01]}}]


class Counting(torch.utils.data.Dataset):
    def __init__(self, base):
        self.base, self.reads = base, 0
        self.num_classes, self.class_names, self.is_stuff = base.num_classes, base.class_names, base.is_stuff

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        self.reads += 1
        return self.base[i]


class BadLabel(Counting):
    def __getitem__(self, i):
        image, label = super().__getitem__(i)
        if i == 2:
            label = label.clone()
            label[5, 5] = N + 7
        return image, label


def test_a_bad_validation_label_fails_before_the_first_step(data, tmp_path):
    train_set = Counting(data[0])
    with pytest.raises(ValueError, match=r"validation set item 2 has label values \[157\]"):
        train(cfg_for(), tmp_path, datasets=(train_set, BadLabel(data[1])), progress=False)
    assert train_set.reads == 0


def test_a_failed_final_evaluation_keeps_the_trained_run(data, tmp_path, monkeypatch):
    cfg = cfg_for()
    full = train(cfg, tmp_path / "full", datasets=data, progress=False)
    evaluate = train_module.evaluate

    def failing(*args, **kwargs):
        raise OSError("disk gone during the final evaluation")

    monkeypatch.setattr(train_module, "evaluate", failing)
    with pytest.raises(OSError, match="final evaluation"):
        train(cfg, tmp_path / "run", datasets=data, progress=False)
    assert load_state(tmp_path / "run")["iteration"] == 4
    monkeypatch.setattr(train_module, "evaluate", evaluate)
    train_set = Counting(data[0])
    resumed = train(cfg, tmp_path / "run", datasets=(train_set, data[1]), progress=False)
    assert train_set.reads == 0  # evaluated, not trained again
    assert_same_run(full, resumed)


class Crashing(Counting):
    def __init__(self, base, crash_at):
        super().__init__(base)
        self.crash_at = crash_at

    def __getitem__(self, i):
        if self.reads + 1 == self.crash_at:
            raise RuntimeError("simulated crash")
        return super().__getitem__(i)


def test_curves_are_written_as_training_goes(data, tmp_path):
    cfg = cfg_for()
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(cfg, tmp_path, datasets=(Crashing(data[0], crash_at=3 * 2 + 1), data[1]), progress=False)
    curves = pd.read_csv(tmp_path / "curves.csv")
    assert curves["iteration"].tolist() == [1, 2, 3] and curves["total"].notna().all()


def test_a_truncated_curves_file_is_repaired(data, tmp_path):
    cfg = cfg_for(**{"train.eval_every": 2})
    full = train(cfg, tmp_path, datasets=data, progress=False)
    path = tmp_path / "curves.csv"
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    again = train(cfg, tmp_path, datasets=data, progress=False)
    pd.testing.assert_frame_equal(pd.read_csv(path), full.curves, check_exact=False)
    pd.testing.assert_frame_equal(again.curves, full.curves)


def test_pixel_accuracy_is_nan_when_no_pixel_is_labelled():
    meter = SegmentationMeter(3)
    meter.update(torch.zeros(1, 4, 4, dtype=torch.long), torch.full((1, 4, 4), IGNORE_INDEX))
    assert math.isnan(meter.pixel_accuracy()) and math.isnan(meter.miou())
    meter.update(torch.zeros(1, 1, 2, dtype=torch.long), torch.tensor([[[0, 1]]]))
    assert meter.pixel_accuracy() == 0.5


def test_top_k_zero_at_evaluation_is_an_error(data):
    with pytest.raises(ValueError, match="top_k=0 must be >= 1"):
        EvalOptions(top_k=0)
    model = build_segmenter(cfg_for()).eval()
    images = torch.rand(1, 3, 32, 32)
    with pytest.raises(ValueError, match="K=0"):
        model(images, top_k=0)
    assert model(images, top_k=3).class_ids.shape == (1, 3)


def test_tensorboard_is_an_option(data, tmp_path):
    cfg = cfg_for(**{"train.iterations": 2, "train.tensorboard": True})
    try:
        import torch.utils.tensorboard  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install tensorboard"):
            train(cfg, tmp_path, datasets=data, progress=False)
        return
    train(cfg, tmp_path, datasets=data, progress=False)
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
