"""scripts/regime_pilots.py: every pilot is a valid config of the baseline or of a standalone classifier (never
RankSeg: the regime must not be tuned on the method under test), and bad names are refused."""

import subprocess
import sys

import pytest

from rankseg.config import profile
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
        profile("ci"), {"model.multilabel": False, "model.label_selection": False}))
    rows = regime_pilots.step_costs("baseline_d128", repeats=1)
    assert [r["config"] for r in rows] == ["baseline", "RankSeg"]
    assert all(0 < r["cpu_s_min"] <= r["cpu_s_median"] <= r["cpu_s_max"] for r in rows)


def test_default_profile_is_the_candidate_pilots_regime():
    """profile("default") is the config the pilots chose (the baseline pilot's, with RankSeg's parts on), with the
    ViT-only fields cleared and the independent scheme's classifier trained as long as the model; the pilots start
    from the first default (first_default), not from the profile they chose."""
    from rankseg.config import first_default, result_differences

    cfg, pilot = profile("default"), regime_pilots.pilot_config("baseline_d128_1500_steps")
    assert first_default().model.backbone == "vit_tiny_patch16_224" and not first_default().model.freeze_backbone
    assert cfg.name == "default" and cfg.model.backbone_depth is None and cfg.model.patch_size is None
    assert cfg.train.classifier_iterations == cfg.train.iterations
    assert cfg.train.iterations // cfg.train.eval_every >= 8  # the convergence target's 8 evaluations
    assert result_differences(cfg, pilot) == ["model.backbone_depth", "model.label_selection", "model.multilabel",
                                              "model.patch_size", "model.pretrained", "train.classifier_iterations"]


def test_large_vocab_scales_the_training_set_with_the_vocabulary():
    from rankseg.config import override
    from rankseg.experiments import variants

    changes = variants.large_vocab(16_000)
    cfg = override(profile("default"), changes)
    assert cfg.data.num_classes == 1284 and cfg.model.top_k == 100
    assert cfg.data.num_train / cfg.data.num_classes == pytest.approx(16_000 / 150, rel=1e-3)


def test_grid_script_lists_table1_at_both_vocabularies():
    import run_default_grid

    runs = run_default_grid.table1_runs(True, 16_000)
    assert len(runs) == len(run_default_grid.table1_runs(False, 16_000)) == 5
    assert all(r["data.num_classes"] == 1284 for r in runs)
    assert {r.get("model.oracle", "none") for r in runs} == {"none", "train_eval"}


def test_default_grid_puts_every_framework_on_the_frozen_lite0():
    """The whole default grid is a set of valid configs; Table 8's frameworks read the profile's frozen pretrained
    encoder (not the first default's Swin from scratch, which frozen would be random features)."""
    import run_default_grid

    from rankseg.config import override
    from rankseg.constants import EFFICIENTNET_LITE0_PYPI

    base = profile("default")
    configs = [override(base, r) for r in run_default_grid.grid("default")]
    assert len({c.to_json() for c in configs}) == len(configs)
    frameworks = [c for c in configs if c.model.framework in ("deeplabv3", "upernet")]
    assert len(frameworks) == 6  # two frameworks × (RankSeg, own classifier, +MT)
    for c in frameworks:
        assert c.model.backbone == "tf_efficientnet_lite0" and c.model.pretrained_path == EFFICIENTNET_LITE0_PYPI
        assert c.model.freeze_backbone and c.model.pretrained
