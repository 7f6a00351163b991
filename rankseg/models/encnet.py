"""EncNet (Zhang et al., CVPR 2018), the supplementary's first comparison: a context encoding module
with learned codewords rescales the channels, and an SE-loss (an image-level multi-label loss over all N
classes) supervises the encoding. Unlike RankSeg, pixels are still classified over all N classes.

Written out here because mmsegmentation's EncHead depends on mmcv's `Encoding` op, which is not installable
from wheels on every platform; this follows mmseg's EncHead/EncModule (without its optional lateral FPN).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rankseg.models.decode_heads import DecoderOutput, conv_bn_relu


class Encoding(nn.Module):
    """Residual encoding: features (B, C, h, w) → (B, K, C) codeword aggregates.

    For pixel i and codeword k: r_ik = x_i − c_k, a_ik = softmax_k(−s_k ‖r_ik‖²), e_k = Σ_i a_ik r_ik.
    """

    def __init__(self, *, channels: int, num_codes: int) -> None:
        super().__init__()
        bound = 1.0 / (num_codes * channels) ** 0.5
        self.codewords = nn.Parameter(torch.empty(num_codes, channels).uniform_(-bound, bound))
        self.scale = nn.Parameter(torch.empty(num_codes).uniform_(-1, 0))

    def forward(self, x: Tensor) -> Tensor:
        x = x.flatten(2).transpose(1, 2)  # (B, P, C)
        dist = (x.pow(2).sum(-1, keepdim=True) - 2 * x @ self.codewords.t()
                + self.codewords.pow(2).sum(-1))  # (B, P, K) squared distances, without a (B, P, K, C) tensor
        weights = F.softmax(self.scale * dist, dim=2)
        # Σ_i a_ik (x_i − c_k) = Σ_i a_ik x_i − (Σ_i a_ik) c_k
        return weights.transpose(1, 2) @ x - weights.sum(1).unsqueeze(-1) * self.codewords


class EncModule(nn.Module):
    """Context encoding: features (B, C, h, w) → (channel-rescaled features (B, C, h, w), encoding (B, C))."""

    def __init__(self, *, channels: int, num_codes: int) -> None:
        super().__init__()
        self.project = conv_bn_relu(channels, channels, 1)
        self.encoding = Encoding(channels=channels, num_codes=num_codes)
        self.norm = nn.Sequential(nn.BatchNorm1d(num_codes), nn.ReLU(inplace=True))
        self.fc = nn.Sequential(nn.Linear(channels, channels), nn.Sigmoid())

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        encoded = self.norm(self.encoding(self.project(x))).mean(dim=1)  # (B, C)
        gamma = self.fc(encoded)[:, :, None, None]
        return F.relu(x + x * gamma), encoded


class EncHead(nn.Module):
    """EncNet's head without its classifier: 3×3 bottleneck, context encoding, and the SE branch.

    features[-1] (B, C_in, h, w) → (features (B, C, h, w), SE logits (B, N)); the SE logits go into
    SegOutput.ml_logits and are trained with BCE (mmseg's SE-loss, weight 0.2) by the usual multi-label loss.
    """

    def __init__(self, *, in_channels: int, channels: int, num_codes: int, num_classes: int) -> None:
        super().__init__()
        self.bottleneck = conv_bn_relu(in_channels, channels)
        self.enc = EncModule(channels=channels, num_codes=num_codes)
        self.se_layer = nn.Linear(channels, num_classes)
        self.out_channels = channels

    def forward(self, feats: list[Tensor]) -> DecoderOutput:
        x, encoded = self.enc(self.bottleneck(feats[-1]))
        return x, self.se_layer(encoded)
