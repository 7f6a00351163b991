"""Segmenter on a frozen CNN feature pyramid (the CPU `default` regime's encoder): shapes, batch independence,
frozen weights and batch-norm statistics, config errors."""

import pytest
import torch

from rankseg.config import override, profile
from rankseg.engine.train import train
from rankseg.models.build import build_model
from rankseg.models.feature_encoder import PyramidTokens

PYRAMID = {"model.token_encoder": "feature_pyramid", "model.backbone": "tf_efficientnet_lite0",
           "model.feature_indices": (1, 2, 4), "model.output_stride": 16, "model.freeze_backbone": True}


def config(**changes):
    return override(profile("ci"), {**PYRAMID, **changes})


def test_tokens_fuse_every_level_at_the_finest_stride():
    torch.manual_seed(0)
    model = build_model(config()).eval()
    enc = model.encoder
    assert isinstance(enc, PyramidTokens) and enc.stride == 4 and enc.embed_dim == sum(enc.features.channels)
    tokens, grid = enc(torch.rand(2, 3, 64, 64))
    assert grid == (16, 16) and tokens.shape == (2, 256, enc.embed_dim)
    out = model(torch.rand(2, 3, 64, 64))
    assert out.pixel_logits.shape == (2, 20, 16, 16) and out.predict((64, 64)).shape == (2, 64, 64)


def test_prediction_same_alone_and_in_batch():
    torch.manual_seed(0)
    model = build_model(config()).eval()
    images = torch.rand(3, 3, 64, 64)
    with torch.no_grad():
        batch = model(images)
        for i in range(3):
            alone = model(images[i:i + 1])
            assert alone.class_ids.equal(batch.class_ids[i:i + 1])
            torch.testing.assert_close(alone.pixel_logits, batch.pixel_logits[i:i + 1], rtol=1e-4, atol=1e-4)


def test_frozen_encoder_keeps_weights_and_batch_norm_statistics(tmp_path):
    cfg = config(**{"train.iterations": 3, "train.eval_every": 0})
    torch.manual_seed(0)
    before = {k: v.clone() for k, v in build_model(cfg).state_dict().items()}
    model = train(cfg, tmp_path, progress=False).model
    after = model.state_dict()
    encoder_keys = [k for k in before if k.startswith("encoder.")]
    assert encoder_keys and all(before[k].equal(after[k]) for k in encoder_keys)  # running stats included
    assert any(not before[k].equal(after[k]) for k in before if k.startswith("decoder."))
    model.train()
    assert not model.encoder.training and model.decoder.training
    assert not any(p.requires_grad for p in model.encoder.parameters())


def test_unfrozen_pyramid_trains_its_encoder():
    model = build_model(config(**{"model.freeze_backbone": False})).train()
    out = model(torch.rand(2, 3, 64, 64))
    out.pixel_logits.sum().backward()
    assert model.encoder.training and any(p.grad is not None for p in model.encoder.parameters())


def test_pyramid_tokens_are_refused_by_frameworks_without_tokens():
    """deeplabv3 reads its CNN's stages directly (freezing it is allowed: tests/test_frameworks_frozen.py)."""
    with pytest.raises(ValueError, match="token_encoder='feature_pyramid'.*'deeplabv3'"):
        config(**{"model.framework": "deeplabv3", "model.backbone": "resnet18"})
