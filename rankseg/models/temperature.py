"""Rank-adaptive temperature (paper Sec. 3.3): one learnable temperature per rank position 1..K."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rankseg.config import TemperatureImpl


class RankTemperature(nn.Module):
    """Scales the K pixel scores of each pixel; the score of rank k is divided by its temperature T_k.

    Two realisations:
      * ``"scale"``: the paper's formula, logit_k = s_k · cos(pixel, class_k) with s_k = 1 / T_k learnable
        (stored as log s_k, so it stays positive);
      * ``"layernorm"``: the official code's, a LayerNorm over the K scores whose affine weight (and bias)
        is learned per rank, so the weight plays the role of 1 / T_k after standardisation.
    ``per_rank=False`` shares one temperature across all ranks (the paper's +MT+LS row).

    Input (B, P, K) scalar products of P pixels with the K selected classes; output the same shape.
    """

    def __init__(self, *, k: int, per_rank: bool = True, impl: TemperatureImpl = "layernorm",
                 init_scale: float = 10.0) -> None:
        super().__init__()
        self.k, self.per_rank, self.impl = k, per_rank, impl
        n = k if per_rank else 1
        if impl == "scale":
            self.log_scale = nn.Parameter(torch.full((n,), float(init_scale)).log())
        elif impl == "layernorm":
            self.weight = nn.Parameter(torch.ones(n))
            self.bias = nn.Parameter(torch.zeros(n))
        else:
            raise ValueError(f"unknown temperature impl {impl!r}; use 'scale' or 'layernorm'")

    def _per_rank(self, p: Tensor, k: int) -> Tensor:
        """Parameters for ranks 1..k: shared ones broadcast; ranks beyond the trained K reuse the last."""
        if not self.per_rank or k == p.shape[0]:
            return p if self.per_rank else p.expand(k)
        if k < p.shape[0]:
            return p[:k]
        return torch.cat([p, p[-1:].expand(k - p.shape[0])])

    def forward(self, scores: Tensor) -> Tensor:
        k = scores.shape[-1]
        if self.impl == "scale":
            return scores * self._per_rank(self.log_scale.exp(), k)
        normed = F.layer_norm(scores, (k,))
        return normed * self._per_rank(self.weight, k) + self._per_rank(self.bias, k)

    @torch.no_grad()
    def temperatures(self) -> Tensor:
        """(K,) the learned temperatures T_k = 1 / scale_k (for Figure 7)."""
        scale = self.log_scale.exp() if self.impl == "scale" else self.weight
        return (1.0 / scale).expand(self.k).clone()
