"""Feature decoders of the pixel-classification frameworks: DeepLabv3's ASPP and UPerNet's PPM + FPN.

Each takes the backbone's feature maps and returns (features (B, C, h, w), None); the second slot holds
image-level class scores for heads that make them (EncNet, see encnet.py). Classification happens after,
in a pixel classifier (pixel_classifier.py), which is where RankSeg plugs in.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models.segmentation.deeplabv3 import ASPP
from torchvision.ops.misc import Conv2dNormActivation

DecoderOutput = tuple[Tensor, Tensor | None]


def conv_bn_relu(in_channels: int, out_channels: int, kernel_size: int = 3) -> nn.Module:
    return Conv2dNormActivation(in_channels, out_channels, kernel_size, bias=False)


class ASPPDecoder(nn.Module):
    """DeepLabv3 head without its classifier: ASPP (torchvision's: 1×1, three atrous 3×3 and image pooling
    branches) on the last feature map, then a 3×3 conv. features[-1] (B, C_in, h, w) → (B, C, h, w)."""

    def __init__(self, *, in_channels: int, channels: int, atrous_rates: tuple[int, ...] = (12, 24, 36)) -> None:
        super().__init__()
        self.aspp = ASPP(in_channels, list(atrous_rates), out_channels=channels)
        self.bottleneck = conv_bn_relu(channels, channels)
        self.out_channels = channels

    def forward(self, feats: list[Tensor]) -> DecoderOutput:
        return self.bottleneck(self.aspp(feats[-1])), None


class PyramidPooling(nn.Module):
    """PSPNet's pyramid pooling module: pooled to each scale, 1×1 conv, upsampled, concatenated with x."""

    def __init__(self, *, in_channels: int, channels: int, scales: tuple[int, ...] = (1, 2, 3, 6)) -> None:
        super().__init__()
        self.stages = nn.ModuleList([nn.Sequential(nn.AdaptiveAvgPool2d(s), conv_bn_relu(in_channels, channels, 1))
                                     for s in scales])
        self.out_channels = in_channels + len(scales) * channels

    def forward(self, x: Tensor) -> Tensor:
        size = x.shape[-2:]
        pooled = [F.interpolate(stage(x), size=size, mode="bilinear", align_corners=False) for stage in self.stages]
        return torch.cat([x, *pooled], dim=1)


class UPerDecoder(nn.Module):
    """UPerNet's decoder (as in mmsegmentation's UPerHead; mmseg itself needs mmcv, which is why it is
    written out here): PPM on the coarsest map, an FPN top-down path, every level upsampled to the finest
    and fused by a 3×3 conv. features (B, C_i, h_i, w_i), finest first → (B, C, h_0, w_0)."""

    def __init__(self, *, in_channels: list[int], channels: int) -> None:
        super().__init__()
        self.ppm = PyramidPooling(in_channels=in_channels[-1], channels=channels)
        self.ppm_bottleneck = conv_bn_relu(self.ppm.out_channels, channels)
        self.lateral = nn.ModuleList([conv_bn_relu(c, channels, 1) for c in in_channels[:-1]])
        self.fpn = nn.ModuleList([conv_bn_relu(channels, channels) for _ in in_channels[:-1]])
        self.fuse = conv_bn_relu(len(in_channels) * channels, channels)
        self.out_channels = channels

    def forward(self, feats: list[Tensor]) -> DecoderOutput:
        laterals = [conv(f) for conv, f in zip(self.lateral, feats[:-1], strict=True)]
        laterals.append(self.ppm_bottleneck(self.ppm(feats[-1])))
        for i in range(len(laterals) - 1, 0, -1):  # top-down: add the coarser level, upsampled
            laterals[i - 1] = laterals[i - 1] + F.interpolate(laterals[i], size=laterals[i - 1].shape[-2:],
                                                              mode="bilinear", align_corners=False)
        outs = [conv(x) for conv, x in zip(self.fpn, laterals[:-1], strict=True)] + [laterals[-1]]
        size = outs[0].shape[-2:]
        outs = [outs[0]] + [F.interpolate(x, size=size, mode="bilinear", align_corners=False) for x in outs[1:]]
        return self.fuse(torch.cat(outs, dim=1)), None


class ConvNeck(nn.Module):
    """One 3×3 conv over the last feature map (the ViT frameworks' neck). → (B, C, h, w)."""

    def __init__(self, *, in_channels: int, channels: int) -> None:
        super().__init__()
        self.conv = conv_bn_relu(in_channels, channels)
        self.out_channels = channels

    def forward(self, feats: list[Tensor]) -> DecoderOutput:
        return self.conv(feats[-1]), None
