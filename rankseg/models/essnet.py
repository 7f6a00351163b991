"""ESSNet (Jain et al., "Scaling semantic segmentation beyond 1K classes on a single GPU", ICCV 2021), the
supplementary's second comparison: pixels and classes are embedded in one semantic space of dimension E,
and each pixel is classified among its k nearest class embeddings (k = RankSeg's K, for fairness) rather
than among all N. The selection is per pixel; RankSeg's is per image.

Written by hand: the authors' code is not a library. Training takes, for every labelled pixel, the k
classes whose embeddings are nearest to the pixel's (its ground-truth class always among them: it replaces
the k-th when absent) and applies a cross-entropy over those k similarities. Inference assigns the nearest
class. The search compares each pixel with all N embeddings, in chunks of pixels so that memory stays at
chunk × N (the method's own cost; RankSeg never compares pixels with unselected classes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from timm.layers import trunc_normal_
from torch import Tensor, nn

from rankseg.constants import IGNORE_INDEX

_CHUNK = 65_536  # pixels compared with the N class embeddings at once


@dataclass
class EmbeddingOutput:
    """ESSNet's output (a PixelOutput): per-pixel embeddings and the class embeddings, both L2-normalised.

    Attributes:
        pixel_embeddings: (B, E, h, w) at feature resolution.
        class_embeddings: (N, E).
        scale: () the learned inverse temperature of the cosine similarities.
        k: nearest neighbours per pixel in the training loss.
    """

    pixel_embeddings: Tensor
    class_embeddings: Tensor
    scale: Tensor
    k: int
    ml_logits: Tensor | None = None
    class_ids: Tensor | None = None
    valid: Tensor | None = None

    supports_sliding_window: ClassVar[bool] = False  # no class logits to average over windows

    def upsampled_embeddings(self, size: tuple[int, int]) -> Tensor:
        """(B, H·W, E) normalised embeddings at label resolution."""
        x = F.interpolate(self.pixel_embeddings.float(), size=size, mode="bilinear", align_corners=False)
        return F.normalize(x, dim=1).flatten(2).transpose(1, 2)

    def predict(self, size: tuple[int, int]) -> Tensor:
        """(B, H, W) long: the nearest class of every pixel."""
        emb = self.upsampled_embeddings(size)
        cls = self.class_embeddings.float()
        pred = torch.cat([(chunk @ cls.t()).argmax(-1) for chunk in emb.flatten(0, 1).split(_CHUNK)])
        return pred.view(emb.shape[0], *size)

    def pixel_loss(self, labels: Tensor) -> Tensor:
        """Cross-entropy over each labelled pixel's k nearest classes; labels (B, H, W), IGNORE_INDEX left out.
        0 (not NaN) when no pixel is labelled."""
        emb = self.upsampled_embeddings(tuple(labels.shape[-2:])).flatten(0, 1)
        target = labels.flatten()
        keep = target != IGNORE_INDEX
        emb, target = emb[keep], target[keep]
        if target.numel() == 0:
            return self.scale * 0.0
        cls = self.class_embeddings.float()
        total = emb.new_zeros(())
        for e, t in zip(emb.split(_CHUNK), target.split(_CHUNK), strict=True):
            sims = e @ cls.t()  # (P, N)
            with torch.no_grad():
                knn = sims.topk(self.k, dim=1).indices  # (P, k), nearest first
                has_gt = (knn == t[:, None]).any(1)
                knn[~has_gt, -1] = t[~has_gt]
                pos = (knn == t[:, None]).float().argmax(1)
            logits = self.scale * sims.gather(1, knn)
            total = total + F.cross_entropy(logits, pos, reduction="sum")
        return total / target.numel()


class ESSNetClassifier(nn.Module):
    """Decoder features (B, C, h, w) → EmbeddingOutput: a 1×1 conv to the E-dimensional semantic space,
    N learned class embeddings, and a learned scale (initialised at 10) on their cosine similarity."""

    def __init__(self, *, in_channels: int, num_classes: int, dim: int, k: int) -> None:
        super().__init__()
        if not 0 < k <= num_classes:
            raise ValueError(f"ESSNet's k must be in 1..{num_classes} (the number of classes), got {k}")
        self.k = k
        self.embed = nn.Conv2d(in_channels, dim, 1)
        self.cls_emb = nn.Parameter(torch.empty(num_classes, dim))
        trunc_normal_(self.cls_emb, std=0.02)
        self.log_scale = nn.Parameter(torch.tensor(10.0).log())

    ranks_labels = False  # its selection is per pixel, by nearest neighbours

    def multilabel_parameters(self) -> list[nn.Parameter]:
        return []

    def forward(self, x: Tensor, *, image_logits: Tensor | None = None, gt_classes: Tensor | None = None,
                ranking_scores: Tensor | None = None, top_k: int | None = None,
                threshold: float | None = None) -> EmbeddingOutput:
        if gt_classes is not None or ranking_scores is not None or top_k is not None or threshold is not None:
            raise ValueError("ESSNet selects classes per pixel by nearest neighbours: oracle, top_k, threshold "
                             "and ranking_scores do not apply")
        return EmbeddingOutput(pixel_embeddings=F.normalize(self.embed(x), dim=1),
                               class_embeddings=F.normalize(self.cls_emb, dim=-1), scale=self.log_scale.exp(),
                               k=self.k)
