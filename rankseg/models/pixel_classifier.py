"""Pixel classifiers for the pixel-classification frameworks (DeepLabv3, UPerNet, EncNet): the plain
1×1-conv classifier over all N classes, and RankSeg's (rankseg_classifier.py: multi-label head, label selection,
rank-adaptive temperature) — the part of the paper that plugs into any framework.

Both take decoder features (B, C, h, w) and return a SegOutput.
"""

from __future__ import annotations

import torch
from einops import rearrange
from timm.layers import trunc_normal_
from torch import Tensor, nn

from rankseg.models.label_selection import oracle_valid_all
from rankseg.models.output import SegOutput
from rankseg.models.rankseg_classifier import RankSegClassifier, RankSegOptions, nest_legacy_keys


class LinearClassifier(nn.Module):
    """The frameworks' own classifier: dropout and a 1×1 conv over all N classes.

    features (B, C, h, w) → SegOutput(pixel_logits (B, N, h, w), ml_logits = the decoder's image-level
    scores if it made any (EncNet's SE branch), valid = the ground-truth set in oracle runs).
    """

    def __init__(self, *, in_channels: int, num_classes: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.dropout = nn.Dropout2d(dropout)
        self.conv_seg = nn.Conv2d(in_channels, num_classes, 1)

    ranks_labels = False

    def multilabel_parameters(self) -> list[nn.Parameter]:
        """None of its own: EncNet's SE branch is part of its decoder."""
        return []

    def forward(self, x: Tensor, *, image_logits: Tensor | None = None, gt_classes: Tensor | None = None,
                ranking_scores: Tensor | None = None, top_k: int | None = None,
                threshold: float | None = None) -> SegOutput:
        if ranking_scores is not None or top_k is not None or threshold is not None:
            raise ValueError("this model classifies pixels over all N classes: top_k, threshold and "
                             "ranking_scores need RankSeg's label selection")
        valid = None if gt_classes is None else oracle_valid_all(gt_classes)
        return SegOutput(pixel_logits=self.conv_seg(self.dropout(x)), ml_logits=image_logits, valid=valid)


class RankSegPixelClassifier(nn.Module):
    """RankSeg on a pixel-classification framework: a 1×1 conv projects the decoder features to `dim`, then
    RankSegClassifier ranks the N class embeddings, selects the top K per image and scores each pixel over them.

    The official DeepLabv3 setting of the multi-label head is one transformer encoder layer over the pooled
    features and all N class embeddings: width 512, 8 heads, feed-forward 2048, 16×16 pooled grid.

    Input features (B, C, h, w). Output SegOutput with pixel_logits (B, K, h, w), class_ids (B, K),
    ml_logits (B, N); without label selection (the +MT row) pixel_logits (B, N, h, w) and class_ids None.
    Keyword arguments as MaskTransformer.forward (gt_classes, ranking_scores, top_k, threshold).
    """

    def __init__(self, *, in_channels: int, num_classes: int, dim: int, num_heads: int, mlp_ratio: float = 4.0,
                 rankseg: RankSegOptions) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.proj = nn.Conv2d(in_channels, dim, 1)
        self.cls_emb = nn.Parameter(torch.empty(num_classes, dim))
        trunc_normal_(self.cls_emb, std=0.02)
        self.rankseg = RankSegClassifier(num_classes=num_classes, dim=dim, num_heads=num_heads, mlp_ratio=mlp_ratio,
                                         options=rankseg)
        # checkpoints from before the classifier was one module keep loading
        self.register_load_state_dict_pre_hook(nest_legacy_keys("rankseg", ("ml_head", "temperature", "mask_norm")))

    @property
    def ranks_labels(self) -> bool:
        return self.rankseg.ranks_labels

    def multilabel_parameters(self) -> list[nn.Parameter]:
        return [] if self.rankseg.ml_head is None else list(self.rankseg.ml_head.parameters())

    def forward(self, x: Tensor, *, image_logits: Tensor | None = None, gt_classes: Tensor | None = None,
                ranking_scores: Tensor | None = None, top_k: int | None = None,
                threshold: float | None = None) -> SegOutput:
        x = self.proj(x)
        grid = tuple(x.shape[-2:])
        tokens = rearrange(x, "b d h w -> b (h w) d")
        ranking = self.rankseg.rank(tokens, grid, self.cls_emb)
        selection = self.rankseg.select(ranking, gt_classes=gt_classes, ranking_scores=ranking_scores, top_k=top_k,
                                        threshold=threshold)
        logits = self.rankseg.score(tokens, selection.class_tokens, grid)
        return SegOutput(pixel_logits=logits, class_ids=selection.class_ids, ml_logits=ranking.ml_logits,
                         valid=selection.valid)
