"""The compact Mask2Former, with or without RankSeg's multi-label ranking and label selection."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

import torch
from torch import Tensor, nn

from rankseg.models.feature_encoder import TimmFeatures
from rankseg.models.frozen import FreezableEncoder
from rankseg.models.label_selection import oracle_valid_all
from rankseg.models.mask2former.classifier import RankedQueryClassifier
from rankseg.models.mask2former.inference import semantic_inference
from rankseg.models.mask2former.pixel_decoder import FPNPixelDecoder
from rankseg.models.mask2former.transformer_decoder import MaskedTransformerDecoder
from rankseg.models.rankseg_classifier import RankSegClassifier, RankSegOptions, Ranking, rename_legacy_keys

# Class logit of a class the oracle rules out (finite, so the matcher's costs and the loss stay finite).
MASKED_LOGIT = -1e4


@dataclass
class MaskClassOutput:
    """What the Mask2Former returns, in training and evaluation alike (a ModelOutput; its loss is the set
    criterion's, not a pixel loss).

    Attributes:
        class_logits: (B, Q, C + 1) query class scores; C = K when labels are selected (column k is the class
            ranked k-th for that clip), else C = N; the last column is no-object.
        mask_logits: (B, Q, T, H/4, W/4) query mask logits (T = 1 for images).
        aux: earlier predictions [(class_logits, mask_logits), ...] (before the first layer and after every
            layer but the last), for deep supervision.
        class_ids: (B, K) long full-vocabulary id of each class column, or None when C = N.
        ml_logits: (B, N) clip-level multi-label scores (averaged over frames), or None without RankSeg.
        valid: (B, C) bool, class columns the oracle allows, or None.
    """

    class_logits: Tensor
    mask_logits: Tensor
    aux: list[tuple[Tensor, Tensor]] = field(default_factory=list)
    class_ids: Tensor | None = None
    ml_logits: Tensor | None = None
    valid: Tensor | None = None

    supports_sliding_window: ClassVar[bool] = False  # windows' query masks do not add up

    def to_class_ids(self, columns: Tensor) -> Tensor:
        """Class columns (B, ...) → full-vocabulary ids (B, ...)."""
        if self.class_ids is None:
            return columns
        return self.class_ids.gather(1, columns.flatten(1)).view_as(columns)

    def predict(self, size: tuple[int, int]) -> Tensor:
        """Semantic prediction (B, T, H, W) long in the full vocabulary (see inference.semantic_inference)."""
        return self.to_class_ids(semantic_inference(self.class_logits, self.mask_logits, size))


class Mask2Former(FreezableEncoder):
    """Encoder (a timm backbone's last 4 stages) → FPN pixel decoder → masked-attention transformer decoder over
    learned queries. `freeze_encoder` keeps the encoder's weights as loaded, as Segmenter's does: no gradients (so
    the optimiser leaves them out), batch norm in eval mode even while training, and a forward without autograd.

    With `rankseg.multilabel`, RankSegClassifier's multi-label head (over pooled pixel tokens of the stride-8
    level plus the N class embeddings) scores the N classes per frame (`rank`); the scores and class tokens are
    averaged over a clip's frames, the clip's top K are selected once (RankSegClassifier.select), and every query
    is classified over those K classes + no-object (RankedQueryClassifier). Without it, a linear layer scores
    N + 1 classes.

    forward(images (B, 3, H, W) or clips (B, T, 3, H, W) in [0, 1], *, gt_classes (B, N) bool = None (the
    oracle: the ground-truth label set ranks first and the other classes are ruled out), ranking_scores
    (B, N) = None (replace the model's own ranking)) → MaskClassOutput.
    """

    def __init__(self, *, encoder: TimmFeatures, num_classes: int, dim: int, num_heads: int,
                 dim_feedforward: int, num_layers: int, num_queries: int, rankseg: RankSegOptions,
                 freeze_encoder: bool = False) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.encoder = encoder
        self.pixel_decoder = FPNPixelDecoder(in_channels=encoder.channels, dim=dim)
        self.decoder = MaskedTransformerDecoder(dim=dim, num_heads=num_heads, dim_feedforward=dim_feedforward,
                                                num_layers=num_layers, num_queries=num_queries)
        # +MT without label selection sorts all N classes (K = N), as the official Mask2Former configs do
        self.top_k = rankseg.top_k if rankseg.label_selection else num_classes
        if rankseg.multilabel:
            self.cls_emb = nn.Parameter(torch.randn(num_classes, dim) * 0.02)
            options = replace(rankseg, label_selection=True, top_k=self.top_k)
            self.rankseg = RankSegClassifier(num_classes=num_classes, dim=dim, num_heads=num_heads, options=options,
                                             pixel_scores=False, fixed_width=True)
            self.classifier = RankedQueryClassifier(dim=dim, top_k=self.top_k, rank_adaptive=rankseg.rank_adaptive)
        else:
            if rankseg.label_selection:
                raise ValueError("label selection needs the multi-label ranking: set model.multilabel=True")
            self.rankseg = None
            self.class_embed = nn.Linear(dim, num_classes + 1)
        # checkpoints from before the classifier was one module, or before the backbone was `encoder`, keep loading
        self.register_load_state_dict_pre_hook(rename_legacy_keys({"ml_head": "rankseg.ml_head", "backbone": "encoder"}))
        self._freeze(freeze_encoder)

    @property
    def size_divisor(self) -> int:
        return self.encoder.size_divisor

    @property
    def ranks_labels(self) -> bool:
        return self.rankseg is not None

    def multilabel_parameters(self) -> list[nn.Parameter]:
        return [] if self.rankseg is None else list(self.rankseg.ml_head.parameters())

    def rank(self, fine: Tensor, frames: int) -> Ranking:
        """Stride-8 features (B·T, D, h, w) → the clip's Ranking: scores (B, N) and class tokens (B, N, D), each
        averaged over the T frames (a clip selects its K classes once)."""
        bt, d, h, w = fine.shape
        r = self.rankseg.rank(fine.flatten(2).transpose(1, 2), (h, w), self.cls_emb)
        return Ranking(ml_logits=r.ml_logits.view(bt // frames, frames, -1).mean(1),
                       class_tokens=r.class_tokens.view(bt // frames, frames, *r.class_tokens.shape[1:]).mean(1))

    def forward(self, images: Tensor, *, gt_classes: Tensor | None = None,
                ranking_scores: Tensor | None = None) -> MaskClassOutput:
        if images.ndim == 4:
            images = images.unsqueeze(1)
        if images.ndim != 5 or images.shape[2] != 3:
            raise ValueError(f"expected images (B, 3, H, W) or clips (B, T, 3, H, W), got {tuple(images.shape)}")
        b, t = images.shape[:2]
        h, w = images.shape[-2:]
        if h % self.size_divisor or w % self.size_divisor:
            raise ValueError(f"image sides {h}×{w} must be multiples of {self.size_divisor}")
        with self.encoding():
            maps = self.encoder(images.flatten(0, 1))
        mask_features, feats = self.pixel_decoder(maps)
        embeddings, masks = self.decoder(feats, mask_features, t)
        ml_logits = class_ids = valid = None
        if self.rankseg is not None:
            ranking = self.rank(feats[-1], t)
            selection = self.rankseg.select(ranking, gt_classes=gt_classes, ranking_scores=ranking_scores)
            ml_logits, class_ids, valid = ranking.ml_logits, selection.class_ids, selection.valid
            logits = [self.classifier(q, selection.class_tokens) for q in embeddings]
        else:
            logits = [self.class_embed(q) for q in embeddings]
            if gt_classes is not None:
                valid = oracle_valid_all(gt_classes)
        if valid is not None:
            keep = torch.cat([valid, valid.new_ones(b, 1)], dim=1)[:, None, :]
            logits = [lg.masked_fill(~keep, MASKED_LOGIT) for lg in logits]
        return MaskClassOutput(class_logits=logits[-1], mask_logits=masks[-1], aux=list(zip(logits[:-1], masks[:-1], strict=True)),
                               class_ids=class_ids, ml_logits=ml_logits, valid=valid)
