"""Engine tests: every mode trains a few steps and evaluates; resume; config errors."""

import pandas as pd
import pytest
import torch

from rankseg.config import Config, override, profile
from rankseg.engine import EvalOptions, evaluate, train
from rankseg.engine.checkpoint import load_state, load_weights
from rankseg.engine.data import IterationBatches
from rankseg.models.build import build_segmenter
from synthetic import Rectangles

N = 150
MODES = {
    "baseline": {"model.multilabel": False, "model.label_selection": False},
    "mt": {"model.label_selection": False},
    "mt_ls": {"model.rank_adaptive": False},
    "rankseg": {},
    "oracle_eval": {"model.oracle": "eval"},
    "oracle_train_eval": {"model.oracle": "train_eval"},
    "oracle_baseline": {"model.multilabel": False, "model.label_selection": False, "model.oracle": "train_eval"},
    "independent": {"model.scheme": "independent", "model.multilabel": False},
    "bce_sgd_ml_lr": {"loss.ml_loss": "bce", "train.optimizer": "sgd", "train.ml_lr_mult": 0.1, "train.lr": 0.01},
}


@pytest.fixture(scope="module")
def data():
    return Rectangles(n=16, num_classes=N, size=32), Rectangles(n=6, num_classes=N, size=32, seed=1)


def cfg_for(**changes):
    return override(profile("ci"), {"data.image_size": 32, "model.top_k": 10, "train.iterations": 3,
                                    "train.log_every": 1, "train.classifier_iterations": 2, **changes})


@pytest.mark.parametrize("mode", list(MODES))
def test_each_mode_trains_and_evaluates(mode, data, tmp_path):
    result = train(cfg_for(**MODES[mode]), tmp_path, datasets=data, progress=False)
    losses = result.curves.dropna(subset=["total"])
    assert len(losses) == 3 and losses["total"].notna().all()
    assert 0 <= result.final.miou <= 100 and 0 <= result.final.pixel_acc <= 100
    if mode in {"oracle_eval", "oracle_train_eval"}:
        assert result.final.recall_at_k == 100
    if mode != "baseline" and mode != "oracle_baseline":
        assert 0 <= result.final.map <= 100
    assert (tmp_path / "checkpoint" / "model.safetensors").is_file() and (tmp_path / "curves.csv").is_file()


class Crashing(torch.utils.data.Dataset):
    """Raises on the `crash_at`-th item read: a run killed mid-training."""

    def __init__(self, base, crash_at):
        self.base, self.crash_at, self.reads = base, crash_at, 0
        self.class_names, self.num_classes, self.is_stuff = base.class_names, base.num_classes, base.is_stuff

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        self.reads += 1
        if self.reads == self.crash_at:
            raise RuntimeError("simulated crash")
        return self.base[i]


def test_resume_continues_identically(data, tmp_path):
    cfg = cfg_for(**{"train.iterations": 6, "train.checkpoint_every": 2, "train.batch_size": 4})
    full = train(cfg, tmp_path / "full", datasets=data, progress=False)
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(cfg, tmp_path / "crashed", datasets=(Crashing(data[0], crash_at=4 * 4 + 2), data[1]), progress=False)
    assert load_state(tmp_path / "crashed")["iteration"] == 4
    resumed = train(cfg, tmp_path / "crashed", datasets=data, progress=False)
    pd.testing.assert_frame_equal(full.curves, resumed.curves)
    for (k, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, msg=k)


def test_checkpoint_carries_config(data, tmp_path):
    cfg = cfg_for()
    train(cfg, tmp_path, datasets=data, progress=False)
    model = build_segmenter(cfg)
    stored = load_weights(tmp_path, model)
    assert Config.from_dict(stored) == cfg
    res = evaluate(model, data[1], options=EvalOptions(mode="slide", crop=16, stride=8), progress=False)
    assert 0 <= res.miou <= 100


def test_iteration_batches_resume_and_ranks():
    full = list(IterationBatches(10, batch_size=3, total=7, seed=1))
    assert list(IterationBatches(10, batch_size=3, total=7, seed=1, start=4)) == full[4:]
    r0 = list(IterationBatches(10, batch_size=3, total=2, seed=1, rank=0, world_size=2))
    r1 = list(IterationBatches(10, batch_size=3, total=2, seed=1, rank=1, world_size=2))
    assert {i for b in r0 + r1 for i, _ in b} <= set(range(10)) and r0 != r1
    first_epoch = [i for b in full for i, _ in b][:10]
    assert sorted(first_epoch) == list(range(10))  # each epoch is a permutation


def test_config_errors():
    with pytest.raises(KeyError, match="unknown config key 'model.topk'"):
        override(profile("ci"), {"model.topk": 3})
    with pytest.raises(KeyError, match="unknown config section"):
        override(profile("ci"), {"optim.lr": 3})
    with pytest.raises(KeyError, match="unknown config key 'epochs'"):
        override(profile("ci"), {"epochs": 3})
    with pytest.raises(ValueError, match="unknown profile"):
        profile("huge")
    with pytest.raises(ValueError, match="label_selection needs a ranking"):
        override(profile("ci"), {"model.multilabel": False})
    assert Config.from_dict(profile("default").to_dict()) == profile("default")
    paper = profile("paper", "coco_lvis", root="/data/coco_lvis")
    assert (paper.model.top_k, paper.loss.ml_weight, paper.data.num_classes) == (100, 300.0, 1284)


def test_late_change_reads_the_last_fifth_of_the_evaluations():
    from rankseg.engine.curves import late_change

    curves = pd.DataFrame({"iteration": [50, 100, 150, 200, 200], "total": [1.0, 0.9, 0.8, float("nan"), 0.7],
                           "miou": [float("nan"), 10.0, 12.0, 15.5, float("nan")]})
    assert late_change(curves, 200, tail=0.5) == 5.5  # evaluations at 100 and 200
    assert late_change(curves, 200, tail=0.25) == 3.5  # at 150 and 200
    assert late_change(curves, 200, tail=0.1) is None  # one evaluation only
    assert late_change(curves.drop(columns="miou"), 200) is None
