"""scripts/regime_pilots.py: every pilot is a valid config of the baseline or of a standalone classifier (never
RankSeg: the regime must not be tuned on the method under test), and bad names are refused."""

import subprocess
import sys

import pytest

from rankseg.paths import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import regime_pilots  # noqa: E402


@pytest.mark.parametrize("name", list(regime_pilots.PILOTS))
def test_pilots_are_baselines_or_standalone_classifiers(name):
    cfg = regime_pilots.pilot_config(name)
    assert not cfg.model.label_selection and cfg.model.oracle == "none"
    assert cfg.model.multilabel == (cfg.loss.seg_weight == 0)  # a classifier pilot learns no pixels
    assert cfg.model.freeze_backbone and cfg.model.token_encoder == "feature_pyramid"
    assert cfg.train.iterations // cfg.train.eval_every >= 8  # dense enough curves to judge convergence


def test_unknown_pilot_is_refused():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "regime_pilots.py"), "no_such_pilot"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "unknown pilot(s) ['no_such_pilot']" in out.stderr


def test_step_costs_measure_every_grid_config(monkeypatch):
    monkeypatch.setattr(regime_pilots, "STEP_COSTS", {"baseline": regime_pilots.BASELINE, "RankSeg": {}})
    monkeypatch.setattr(regime_pilots, "pilot_config", lambda name: regime_pilots.override(
        regime_pilots.profile("ci"), {"model.multilabel": False, "model.label_selection": False}))
    rows = regime_pilots.step_costs("baseline_d128", repeats=1)
    assert [r["config"] for r in rows] == ["baseline", "RankSeg"]
    assert all(0 < r["cpu_s_min"] <= r["cpu_s_median"] <= r["cpu_s_max"] for r in rows)
