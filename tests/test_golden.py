"""Golden outputs of a seeded `ci` model, like torchvision's expected-output tests: its first logits on a fixed
input and the loss of each of its 6 training steps, against values committed in tests/fixtures/golden_ci.json.

A change that alters them (an init order, a loss, the data, the sampler) fails here. When the change is
intended, regenerate the values and say why in the commit:
    PYTHONPATH=. python tests/test_golden.py --update
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

from rankseg.config import override, profile
from rankseg.engine.train import train
from rankseg.models.build import build_model

FIXTURE = Path(__file__).parent / "fixtures" / "golden_ci.json"
RTOL, ATOL = 1e-5, 1e-6


def golden_config():
    return override(profile("ci"), {"train.device": "cpu", "train.log_every": 1})


def first_outputs() -> dict[str, list]:
    """The untrained model's outputs on a fixed input: a corner of the pixel logits, the first multi-label
    scores, the selected classes and the mean absolute logit."""
    torch.manual_seed(0)
    model = build_model(golden_config()).eval()
    images = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        out = model(images)
    return {"pixel_logits_corner": out.pixel_logits[:, :4, 0, :4].flatten().tolist(),
            "pixel_logits_mean_abs": [out.pixel_logits.abs().mean().item()],
            "ml_logits_first": out.ml_logits[:, :8].flatten().tolist(),
            "class_ids": out.class_ids.flatten().tolist()}


def loss_curve(run_dir: Path) -> dict[str, list]:
    """The total and per-term losses of the 6 training steps of the `ci` profile."""
    curves = train(golden_config(), run_dir, resume=False, progress=False).curves
    steps = curves.dropna(subset=["total"])
    return {name: steps[name].tolist() for name in ("total", "seg_loss", "ml_loss")}


def compute(run_dir: Path) -> dict[str, list]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the reduction order, hence the last bits, depends on the thread count
    try:
        return {**first_outputs(), **loss_curve(run_dir)}
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def actual(tmp_path_factory) -> dict[str, list]:
    return compute(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("name", ["pixel_logits_corner", "pixel_logits_mean_abs", "ml_logits_first", "class_ids",
                                  "total", "seg_loss", "ml_loss"])
def test_matches_committed_values(actual, name):
    expected = json.loads(FIXTURE.read_text())[name]
    assert len(actual[name]) == len(expected)
    torch.testing.assert_close(torch.tensor(actual[name], dtype=torch.float64),
                               torch.tensor(expected, dtype=torch.float64), rtol=RTOL, atol=ATOL)


def test_six_steps_and_a_changed_value_fails(actual):
    assert len(actual["total"]) == golden_config().train.iterations == 6
    expected = json.loads(FIXTURE.read_text())
    with pytest.raises(AssertionError):  # the tolerance is tight enough to see a change in the 5th digit
        torch.testing.assert_close(torch.tensor(expected["total"]) * (1 + 1e-4), torch.tensor(actual["total"]),
                                   rtol=RTOL, atol=ATOL)


if __name__ == "__main__":
    if "--update" not in sys.argv:
        sys.exit("usage: PYTHONPATH=. python tests/test_golden.py --update")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        values = compute(Path(tmp))
    FIXTURE.write_text(json.dumps(values, indent=1) + "\n")
    print(f"wrote {FIXTURE}")
