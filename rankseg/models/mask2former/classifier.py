"""Query classification: over all N classes + no-object (Mask2Former), or over the image's top-K ranked
classes + no-object (RankSeg)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rankseg.models.temperature import RankTemperature


class RankedQueryClassifier(nn.Module):
    """Scores each query against the K selected class tokens and a learned no-object embedding, then applies
    a LayerNorm over the K + 1 scores with one affine weight and bias per position (the official code's
    `LayerNorm(TOPK + 1)`; position K is no-object). With ``rank_adaptive=False`` the affine is shared.

    queries (B, Q, D), class tokens (B, K, D) in rank order → logits (B, Q, K + 1).
    The LayerNorm is sized for the trained K: another K at evaluation is not supported.
    """

    def __init__(self, *, dim: int, top_k: int, rank_adaptive: bool = True) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.no_object = nn.Parameter(torch.zeros(dim))
        nn.init.normal_(self.no_object, std=0.02)
        self.temperature = RankTemperature(k=top_k + 1, per_rank=rank_adaptive, impl="layernorm")

    def forward(self, queries: Tensor, class_tokens: Tensor) -> Tensor:
        b, k, _ = class_tokens.shape
        if k + 1 != self.temperature.k:
            raise ValueError(f"the classifier was built for K={self.temperature.k - 1} selected classes, got K={k}")
        tokens = torch.cat([class_tokens, self.no_object.expand(b, 1, -1)], dim=1)
        return self.temperature(torch.einsum("bqd,bkd->bqk", self.proj(queries), tokens))
