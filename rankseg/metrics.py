"""Metrics: mIoU and pixel accuracy (as mmsegmentation defines them), multi-label mAP, top-K recall.

mIoU accumulates per-class intersection and union areas, O(N) memory, rather than an N×N confusion
matrix (torchmetrics' way), which would take 1.9 GB at N = 21,841; tests cross-check it against
torchmetrics on small N.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from rankseg.constants import IGNORE_INDEX


class SegmentationMeter:
    """Accumulates per-class areas over a data set.

    update(pred (B, H, W), label (B, H, W)) with class ids in [0, N) and IGNORE_INDEX in the label.
    IoU_c = |P_c ∩ G_c| / |P_c ∪ G_c|; mIoU is the mean over classes whose union is non-empty (classes
    absent from both prediction and ground truth are left out, as in mmsegmentation).
    """

    def __init__(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.intersect = torch.zeros(num_classes, dtype=torch.float64)
        self.area_pred = torch.zeros(num_classes, dtype=torch.float64)
        self.area_label = torch.zeros(num_classes, dtype=torch.float64)

    def update(self, pred: Tensor, label: Tensor) -> None:
        if pred.shape != label.shape:
            raise ValueError(f"prediction shape {tuple(pred.shape)} differs from label shape {tuple(label.shape)}")
        keep = label != IGNORE_INDEX
        p, g = pred[keep].long().cpu(), label[keep].long().cpu()
        if len(g) and (g.max() >= self.num_classes or g.min() < 0):
            raise ValueError(f"label value {int(g.max())} outside 0..{self.num_classes - 1}")
        n = self.num_classes
        self.intersect += torch.bincount(p[p == g], minlength=n)[:n].double()
        self.area_pred += torch.bincount(p, minlength=n)[:n].double()
        self.area_label += torch.bincount(g, minlength=n)[:n].double()

    def iou(self) -> Tensor:
        """(N,) per-class IoU, NaN for classes absent from both prediction and ground truth."""
        union = self.area_pred + self.area_label - self.intersect
        return torch.where(union > 0, self.intersect / union.clamp(min=1), torch.full_like(union, float("nan")))

    def miou(self) -> float:
        return float(np.nanmean(self.iou().numpy())) if self.area_label.sum() > 0 else float("nan")

    def pixel_accuracy(self) -> float:
        """Share of labelled pixels predicted right; NaN when no pixel is labelled (nothing was measured)."""
        labelled = self.area_label.sum()
        return float(self.intersect.sum() / labelled) if labelled > 0 else float("nan")


def average_precision(scores: Tensor, targets: Tensor) -> Tensor:
    """Per-class average precision: scores (M, N), targets (M, N) bool → (N,), NaN where a class has no
    positive. AP = mean over the positives of the precision at their rank (ties broken by order)."""
    order = scores.float().argsort(dim=0, descending=True)
    hits = targets.gather(0, order).double()
    precision_at = hits.cumsum(0) / torch.arange(1, len(hits) + 1, dtype=torch.float64).unsqueeze(1)
    n_pos = hits.sum(0)
    ap = (precision_at * hits).sum(0) / n_pos.clamp(min=1)
    return torch.where(n_pos > 0, ap, torch.full_like(ap, float("nan")))


def mean_average_precision(scores: Tensor, targets: Tensor) -> float:
    """Macro mAP over the classes that have at least one positive image."""
    ap = average_precision(scores, targets)
    return float(np.nanmean(ap.numpy())) if (~ap.isnan()).any() else float("nan")


def top_k_recall(class_ids: Tensor, gt: Tensor, valid: Tensor | None = None) -> tuple[int, int]:
    """How many ground-truth classes (B, N) bool are among the selected (B, K) — only the channels still
    allowed when a `valid` (B, K) mask is given (dynamic K); returns (hits, total)."""
    hits = gt.gather(1, class_ids)
    if valid is not None:
        hits = hits & valid
    return int(hits.sum()), int(gt.sum())
