"""Pixel classifiers for the pixel-classification frameworks (DeepLabv3, UPerNet, EncNet): the plain
1×1-conv classifier over all N classes, and RankSeg's (multi-label head, label selection, rank-adaptive
temperature) — the part of the paper that plugs into any framework.

Both take decoder features (B, C, h, w) and return a SegOutput.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from timm.layers import trunc_normal_
from torch import Tensor, nn

from rankseg.models.label_selection import gather_rows, oracle_valid_all, select_labels
from rankseg.models.multilabel_head import MultiLabelHead, MultiLabelHeadKind
from rankseg.models.output import SegOutput
from rankseg.models.temperature import RankTemperature


class LinearClassifier(nn.Module):
    """The frameworks' own classifier: dropout and a 1×1 conv over all N classes.

    features (B, C, h, w) → SegOutput(pixel_logits (B, N, h, w), ml_logits = the decoder's image-level
    scores if it made any (EncNet's SE branch), valid = the ground-truth set in oracle runs).
    """

    def __init__(self, *, in_channels: int, num_classes: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.dropout = nn.Dropout2d(dropout)
        self.conv_seg = nn.Conv2d(in_channels, num_classes, 1)

    def forward(self, x: Tensor, *, image_logits: Tensor | None = None, gt_classes: Tensor | None = None,
                ranking_scores: Tensor | None = None, top_k: int | None = None,
                threshold: float | None = None) -> SegOutput:
        if ranking_scores is not None or top_k is not None or threshold is not None:
            raise ValueError("this model classifies pixels over all N classes: top_k, threshold and "
                             "ranking_scores need RankSeg's label selection")
        valid = None if gt_classes is None else oracle_valid_all(gt_classes)
        return SegOutput(pixel_logits=self.conv_seg(self.dropout(x)), ml_logits=image_logits, valid=valid)


class RankSegClassifier(nn.Module):
    """RankSeg on a pixel-classification framework.

    The decoder features are projected to `dim`; the multi-label head (by default one transformer encoder
    layer over the pooled features and all N class embeddings, the official DeepLabv3 setting: width 512,
    8 heads, feed-forward 2048, 16×16 pooled grid) scores the N classes; the top-K class tokens are selected
    per image; each pixel is classified by the cosine similarity of its feature with the K selected class
    tokens, scaled by one learnable temperature per rank.

    Input features (B, C, h, w). Output SegOutput with pixel_logits (B, K, h, w), class_ids (B, K),
    ml_logits (B, N); without label selection (the +MT row) pixel_logits (B, N, h, w) and class_ids None.
    Keyword arguments as MaskTransformer.forward (gt_classes, ranking_scores, top_k, threshold).
    """

    def __init__(self, *, in_channels: int, num_classes: int, dim: int, num_heads: int, mlp_ratio: float = 4.0,
                 multilabel: bool = True, label_selection: bool = True, top_k: int = 50, rank_adaptive: bool = True,
                 temperature_impl: str = "layernorm", ml_head: MultiLabelHeadKind = "encoder",
                 ml_pool: int | None = 16, ml_depth: int = 1) -> None:
        super().__init__()
        if label_selection and not 0 < top_k <= num_classes:
            raise ValueError(f"top_k must be in 1..{num_classes} (the number of classes), got {top_k}")
        self.num_classes, self.top_k, self.label_selection = num_classes, top_k, label_selection
        self.proj = nn.Conv2d(in_channels, dim, 1)
        self.cls_emb = nn.Parameter(torch.empty(num_classes, dim))
        trunc_normal_(self.cls_emb, std=0.02)
        self.ml_head = MultiLabelHead(kind=ml_head, num_classes=num_classes, dim=dim, num_heads=num_heads,
                                      mlp_ratio=mlp_ratio, pool_size=ml_pool, depth=ml_depth) if multilabel else None
        if label_selection:
            self.temperature = RankTemperature(k=top_k, per_rank=rank_adaptive, impl=temperature_impl)
        else:
            self.mask_norm = nn.LayerNorm(num_classes)

    def forward(self, x: Tensor, *, image_logits: Tensor | None = None, gt_classes: Tensor | None = None,
                ranking_scores: Tensor | None = None, top_k: int | None = None,
                threshold: float | None = None) -> SegOutput:
        x = self.proj(x)
        b, _, h, w = x.shape
        tokens = rearrange(x, "b d h w -> b (h w) d")
        ml_logits, cls = None, self.cls_emb.unsqueeze(0).expand(b, -1, -1)
        if self.ml_head is not None:
            ml_logits, cls = self.ml_head(tokens, (h, w), self.cls_emb)
        class_ids = valid = None
        if self.label_selection:
            ranking = ranking_scores if ranking_scores is not None else ml_logits
            class_ids, valid = select_labels(ranking, self.top_k if top_k is None else top_k, gt_classes=gt_classes, threshold=threshold)
            cls = gather_rows(cls, class_ids)
        elif gt_classes is not None:
            valid = oracle_valid_all(gt_classes)
        scores = F.normalize(tokens, dim=-1) @ F.normalize(cls, dim=-1).transpose(1, 2)  # (B, P, C) cosine
        scores = self.temperature(scores) if self.label_selection else self.mask_norm(scores)
        logits = rearrange(scores, "b (h w) c -> b c h w", h=h, w=w)
        return SegOutput(pixel_logits=logits, class_ids=class_ids, ml_logits=ml_logits, valid=valid)
