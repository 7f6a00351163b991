"""Multi-scale pixel decoder: an FPN in place of Mask2Former's multi-scale deformable attention (MSDeformAttn
is a CUDA kernel; an FPN is the pixel decoder of MaskFormer and Mask2Former's ablation baseline)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


def _conv_gn(c_in: int, c_out: int, k: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False), nn.GroupNorm(min(32, c_out // 4), c_out),
                         nn.ReLU(inplace=True))


class FPNPixelDecoder(nn.Module):
    """Top-down FPN over four backbone stages.

    Input: 4 maps (B, C_i, H/s_i, W/s_i), s_i = 4, 8, 16, 32. Output: mask features (B, D, H/4, W/4) and the
    multi-scale features for the transformer decoder, coarse to fine: [(B, D, H/32, W/32), (B, D, H/16, W/16),
    (B, D, H/8, W/8)].
    """

    def __init__(self, *, in_channels: list[int], dim: int) -> None:
        super().__init__()
        self.lateral = nn.ModuleList([_conv_gn(c, dim, 1) for c in in_channels])
        self.output = nn.ModuleList([_conv_gn(dim, dim, 3) for _ in in_channels])
        self.mask_features = nn.Conv2d(dim, dim, 1)

    def forward(self, feats: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
        outs: list[Tensor] = []
        y = None
        for i in reversed(range(len(feats))):
            x = self.lateral[i](feats[i])
            if y is not None:
                x = x + F.interpolate(y, size=x.shape[-2:], mode="nearest")
            y = self.output[i](x)
            outs.append(y)  # coarse → fine
        return self.mask_features(outs[-1]), outs[:3]
