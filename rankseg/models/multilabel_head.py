"""Multi-label heads (paper Sec. 3.1, Table 6e): score all N classes of an image from its patch tokens.

All heads take patch tokens (B, P, D) on an (h, w) grid plus the learnable class embeddings (N, D),
and return image-level scores (B, N) together with class tokens (B, N, D): the embeddings after the
head has looked at the image and its final LayerNorm, which the joint scheme selects from and passes to the
pixel decoder.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from timm.layers import DropPath, Mlp, trunc_normal_
from timm.models.vision_transformer import Block
from torch import Tensor, nn

from rankseg.config import MultiLabelHeadKind


class GroupLinear(nn.Module):
    """One weight vector and bias per class (the official `ml_fc`): (B, N, D) → (B, N); with class_ids (B, M),
    (B, M, D) tokens of those classes → (B, M) (each image uses its own classes' weights)."""

    def __init__(self, *, num_classes: int, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_classes, dim))
        self.bias = nn.Parameter(torch.zeros(num_classes))
        trunc_normal_(self.weight, std=0.02)

    def forward(self, x: Tensor, class_ids: Tensor | None = None) -> Tensor:
        if class_ids is None:
            return (x * self.weight).sum(-1) + self.bias
        return (x * self.weight[class_ids]).sum(-1) + self.bias[class_ids]


def pool_tokens(tokens: Tensor, grid: tuple[int, int], size: int | None) -> Tensor:
    """(B, h·w, D) → (B, size², D) by adaptive average pooling; `size=None` keeps every token."""
    if size is None:
        return tokens
    x = rearrange(tokens, "b (h w) d -> b d h w", h=grid[0], w=grid[1])
    return rearrange(F.adaptive_avg_pool2d(x, size), "b d h w -> b (h w) d")


class CrossAttentionBlock(nn.Module):
    """Class queries attend to image tokens, without attending to each other: cost linear in N.

    queries (B, N, D), memory (B, M, D) → (B, N, D).
    """

    def __init__(self, *, dim: int, num_heads: int, mlp_ratio: float = 4.0, drop_path: float = 0.0) -> None:
        super().__init__()
        self.norm_q, self.norm_kv, self.norm_mlp = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, num_heads, batch_first=True)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def forward(self, queries: Tensor, memory: Tensor) -> Tensor:
        kv = self.norm_kv(memory)
        queries = queries + self.drop_path(self.attn(self.norm_q(queries), kv, kv, need_weights=False)[0])
        return queries + self.drop_path(self.mlp(self.norm_mlp(queries)))


class MultiLabelHead(nn.Module):
    """Image-level multi-label classifier over the complete label set.

    kind:
      * ``"encoder"`` (the paper's choice, "1× TranEnc"): one transformer encoder layer over the pooled
        patch tokens and all N class embeddings together; quadratic in N.
      * ``"decoder"`` ("2× TranDec", Query2Label-style): class embeddings self-attend, then cross-attend
        to the pooled tokens, `depth` layers; still quadratic in N.
      * ``"cross_attention"``: class embeddings only cross-attend to the pooled tokens; linear in N, for
        vocabularies of tens of thousands of classes.
      * ``"gap_linear"`` ("Global Pooling"): global average pooling and a linear classifier; the class
        tokens it returns are the raw embeddings.

    Inputs: tokens (B, P, D), grid (h, w) with h·w = P, class_emb (N, D), and optionally class_ids (B, M): then
    only those classes of each image go through the layer (the large-vocabulary shortlist; not `gap_linear`).
    Returns: scores (B, N), class_tokens (B, N, D); with class_ids, scores (B, M) and class_tokens (B, M, D).
    """

    def __init__(self, *, kind: MultiLabelHeadKind, num_classes: int, dim: int, num_heads: int,
                 mlp_ratio: float = 4.0, pool_size: int | None = 8, depth: int = 1, drop_path: float = 0.0) -> None:
        super().__init__()
        self.kind, self.pool_size = kind, pool_size
        if kind == "encoder":
            self.blocks = nn.ModuleList([Block(dim, num_heads, mlp_ratio, qkv_bias=True, drop_path=drop_path)])
        elif kind == "decoder":
            self.blocks = nn.ModuleList([
                nn.TransformerDecoderLayer(dim, num_heads, int(dim * mlp_ratio), dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True) for _ in range(depth)])
        elif kind == "cross_attention":
            self.blocks = nn.ModuleList([CrossAttentionBlock(dim=dim, num_heads=num_heads, mlp_ratio=mlp_ratio,
                                                             drop_path=drop_path) for _ in range(depth)])
        elif kind == "gap_linear":
            self.blocks = nn.ModuleList()
            self.fc = nn.Linear(dim, num_classes)
        else:
            raise ValueError(f"unknown multi-label head {kind!r}; use encoder, decoder, cross_attention or gap_linear")
        self.norm = nn.LayerNorm(dim)
        if kind != "gap_linear":
            self.classifier = GroupLinear(num_classes=num_classes, dim=dim)

    def forward(self, tokens: Tensor, grid: tuple[int, int], class_emb: Tensor,
                class_ids: Tensor | None = None) -> tuple[Tensor, Tensor]:
        b = tokens.shape[0]
        cls = class_emb.unsqueeze(0).expand(b, -1, -1) if class_ids is None else class_emb[class_ids]
        if self.kind == "gap_linear":
            if class_ids is not None:
                raise ValueError("the gap_linear multi-label head scores all N classes; it takes no shortlist")
            return self.fc(self.norm(tokens.mean(dim=1))), cls
        pooled = pool_tokens(tokens, grid, self.pool_size)
        if self.kind == "encoder":
            x = torch.cat([pooled, cls], dim=1)
            for blk in self.blocks:
                x = blk(x)
            cls = x[:, pooled.shape[1]:]
        else:
            for blk in self.blocks:
                cls = blk(cls, pooled)
        # The class tokens handed on to label selection and the pixel decoder are the normalised ones, as in the
        # official code (which gathers them after the head's LayerNorm).
        cls = self.norm(cls)
        return self.classifier(cls, class_ids), cls
