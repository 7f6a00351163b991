"""Backbones that return feature maps (B, C, h, w): timm CNNs and hierarchical transformers, or a ViT."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn

from rankseg.models.backbone import ViTEncoder, create_timm_model


# Small variants for CPU profiles: a name → (timm model, keyword arguments). A plain dict, read it to see
# what gets built.
BACKBONE_VARIANTS: dict[str, tuple[str, dict]] = {
    # Swin-T's layout at a quarter of the width and half the depth; windows of 4 fit 64-pixel images
    "swin_nano": ("swin_tiny_patch4_window7_224",
                  dict(window_size=4, depths=(1, 1, 2, 1), embed_dim=48, num_heads=(2, 4, 8, 16))),
}


class TimmFeatures(nn.Module):
    """A timm model with `features_only=True`: images (B, 3, H, W) in [0, 1] → a list of feature maps
    (B, C_i, H/r_i, W/r_i), from the finest to the coarsest, always channels-first.

    CNNs are dilated to `output_stride` (8 for DeepLabv3, as in the paper); models that do not support
    dilation (Swin) keep their own strides and are given `output_stride=None`. Swin's stages come out
    channels-last in timm and are permuted here.
    """

    def __init__(self, *, name: str, out_indices: tuple[int, ...] | None = None, output_stride: int | None = None,
                 pretrained: bool = False, pretrained_path: str | None = None, drop_path_rate: float = 0.0,
                 **timm_kwargs) -> None:
        super().__init__()
        kwargs = dict(features_only=True, **timm_kwargs)
        if out_indices is not None:
            kwargs["out_indices"] = out_indices
        if output_stride is not None:
            kwargs["output_stride"] = output_stride
        if drop_path_rate:
            kwargs["drop_path_rate"] = drop_path_rate
        self.net = create_timm_model(name, pretrained=pretrained, pretrained_path=pretrained_path, **kwargs)
        info = self.net.feature_info
        self.channels: list[int] = info.channels()
        self.reductions: list[int] = info.reduction()
        self.channels_last = getattr(self.net, "output_fmt", "NCHW") == "NHWC"
        cfg = self.net.pretrained_cfg
        self.register_buffer("mean", torch.tensor(cfg.get("mean", (0.485, 0.456, 0.406))).view(1, 3, 1, 1),
                             persistent=False)
        self.register_buffer("std", torch.tensor(cfg.get("std", (0.229, 0.224, 0.225))).view(1, 3, 1, 1),
                             persistent=False)

    @property
    def size_divisor(self) -> int:
        # the largest stride of the undilated network: stem and stages must divide the input evenly
        return 32 if self.channels_last else max(self.reductions)

    def forward(self, images: Tensor) -> list[Tensor]:
        feats = self.net((images - self.mean) / self.std)
        if self.channels_last:
            feats = [rearrange(f, "b h w c -> b c h w") for f in feats]
        return list(feats)


def build_timm_features(name: str, *, image_size: int, last_stages: int, pretrained: bool = False,
                        pretrained_path: str | None = None, drop_path_rate: float = 0.0,
                        output_stride: int | None = None) -> TimmFeatures:
    """The last `last_stages` stages (at distinct strides >= 4) of the timm model or variant `name` (BACKBONE_VARIANTS).

    Swin gets `img_size=image_size` and keeps its own strides; CNNs are dilated to `output_stride` if given.
    """
    timm_name, kwargs = BACKBONE_VARIANTS.get(name, (name, {}))
    if timm_name.startswith("swin"):  # hierarchical transformer: its own strides, fixed input size
        kwargs, output_stride = {**kwargs, "img_size": image_size}, None
    try:  # timm takes negative indices: the last stages, whatever the model's stage count
        features = TimmFeatures(name=timm_name, out_indices=tuple(range(-last_stages, 0)), output_stride=output_stride,
                                pretrained=pretrained, pretrained_path=pretrained_path, drop_path_rate=drop_path_rate,
                                **kwargs)
    except AssertionError as err:  # how timm reports a feature index out of range
        raise ValueError(f"backbone {name!r} has fewer than {last_stages} feature stages ({err})") from err
    strides = features.reductions
    # a pyramid: none finer than 4, one stage per stride unless dilation (output_stride) merged the last ones
    if min(strides) < 4 or (output_stride is None and len(set(strides)) < len(strides)):
        raise ValueError(f"backbone {name!r} has stages at strides {strides}; need {last_stages} at distinct "
                         "strides >= 4")
    return features

class ViTFeatureMap(nn.Module):
    """A ViT's patch tokens as one feature map: images (B, 3, H, W) → [(B, D, H/p, W/p)]."""

    def __init__(self, vit: ViTEncoder) -> None:
        super().__init__()
        self.vit = vit
        self.channels = [vit.embed_dim]
        self.reductions = [vit.patch_size]

    @property
    def size_divisor(self) -> int:
        return self.vit.patch_size

    def forward(self, images: Tensor) -> list[Tensor]:
        tokens, (h, w) = self.vit(images)
        return [rearrange(tokens, "b (h w) d -> b d h w", h=h, w=w)]


def fuse_pyramid(maps: list[Tensor], reductions: list[int]) -> Tensor:
    """Feature maps (B, C_i, H/r_i, W/r_i) at strides `reductions` → one map (B, ΣC_i, H/r, W/r), r = min(r_i):
    every map resized (bilinear) to the finest and concatenated along channels, in the order given."""
    size = maps[reductions.index(min(reductions))].shape[-2:]  # the finest map's
    return torch.cat([m if m.shape[-2:] == size else F.interpolate(m, size=size, mode="bilinear",
                                                                    align_corners=False) for m in maps], dim=1)


class PyramidTokens(nn.Module):
    """A CNN's feature pyramid as Segmenter's pixel tokens: the maps of `features` resized (bilinear) to the
    finest of them and concatenated along channels (`fuse_pyramid`), so every token sees every level.

    images (B, 3, H, W) in [0, 1] → tokens (B, (H/r)·(W/r), ΣC_i) and the grid (H/r, W/r), r the finest stride.
    """

    def __init__(self, features: TimmFeatures) -> None:
        super().__init__()
        self.features = features
        self.embed_dim = sum(features.channels)
        self.stride = min(features.reductions)

    @property
    def size_divisor(self) -> int:
        return self.features.size_divisor

    def forward(self, images: Tensor) -> tuple[Tensor, tuple[int, int]]:
        fused = fuse_pyramid(self.features(images), self.features.reductions)
        return rearrange(fused, "b c h w -> b (h w) c"), (int(fused.shape[-2]), int(fused.shape[-1]))


class PyramidFeatureMap(nn.Module):
    """PyramidTokens' fused map as the one feature map of a pixel framework (EncNet, ESSNet: where a ViT's
    tokens would be ViTFeatureMap's): images (B, 3, H, W) in [0, 1] → [(B, ΣC_i, H/r, W/r)], r the finest stride.
    The same numbers Segmenter's decoder gets as tokens on the same backbone."""

    def __init__(self, features: TimmFeatures) -> None:
        super().__init__()
        self.features = features
        self.channels = [sum(features.channels)]
        self.reductions = [min(features.reductions)]

    @property
    def size_divisor(self) -> int:
        return self.features.size_divisor

    def forward(self, images: Tensor) -> list[Tensor]:
        return [fuse_pyramid(self.features(images), self.features.reductions)]
