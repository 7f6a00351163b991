"""Losses: the asymmetric loss for the multi-label head, cross-entropy for the pixels."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rankseg.constants import IGNORE_INDEX
from rankseg.models.essnet import EmbeddingOutput
from rankseg.models.output import SegOutput


class AsymmetricLoss(nn.Module):
    """Asymmetric loss (Ridnik et al., ICCV 2021) for multi-label classification.

    With p = sigmoid(logit) and the shifted probability p_m = max(p − clip, 0) for negatives:
        L = −y (1 − p)^γ+ log p − (1 − y) p_m^γ− log(1 − p_m),
    averaged over the B·N entries (as the official RankSeg code does). γ+ = γ− = clip = 0 gives BCE.
    logits (B, N) float and targets (B, N) {0, 1} → scalar.
    """

    def __init__(self, *, gamma_neg: float = 2.0, gamma_pos: float = 0.0, clip: float = 0.05, eps: float = 1e-5) -> None:
        super().__init__()
        self.gamma_neg, self.gamma_pos, self.clip, self.eps = gamma_neg, gamma_pos, clip, eps

    def forward(self, logits: Tensor, targets: Tensor) -> Tensor:
        y = targets.float()
        p = torch.sigmoid(logits.float())
        p_neg = (1 - p + self.clip).clamp(max=1) if self.clip > 0 else 1 - p  # = 1 − p_m
        loss = y * p.clamp(min=self.eps).log() + (1 - y) * p_neg.clamp(min=self.eps).log()
        if self.gamma_neg > 0 or self.gamma_pos > 0:
            pt = p * y + p_neg * (1 - y)
            loss = loss * (1 - pt).pow(self.gamma_pos * y + self.gamma_neg * (1 - y))
        return -loss.mean()


def multilabel_criterion(*, kind: str, gamma_neg: float, gamma_pos: float, clip: float, eps: float) -> AsymmetricLoss:
    """The multi-label loss of a LossConfig: ASL with its parameters, or BCE (ASL with no focusing, no clip)."""
    if kind == "asl":
        return AsymmetricLoss(gamma_neg=gamma_neg, gamma_pos=gamma_pos, clip=clip, eps=eps)
    if kind == "bce":
        return AsymmetricLoss(gamma_neg=0, gamma_pos=0, clip=0, eps=eps)
    raise ValueError(f"unknown multi-label loss {kind!r}; use 'asl' or 'bce'")


def pixel_cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """Cross-entropy over (B, C, H, W) logits and (B, H, W) targets with IGNORE_INDEX pixels left out.

    Averaged over the valid pixels; a batch with no valid pixel gives 0 (not NaN), so images whose
    classes were all dropped by the selection, or that have no label at all, do not break training.
    """
    total = F.cross_entropy(logits, targets, ignore_index=IGNORE_INDEX, reduction="sum")
    return total / (targets != IGNORE_INDEX).sum().clamp(min=1)


def pixel_loss(out: SegOutput | EmbeddingOutput, labels: Tensor) -> Tensor:
    """The pixel term of a model's output: cross-entropy over its C channels (labels remapped to the
    selected classes), or ESSNet's loss over each pixel's k nearest classes."""
    if isinstance(out, EmbeddingOutput):
        return out.knn_loss(labels)
    return pixel_cross_entropy(out.upsampled_logits(labels.shape[-2:]), out.targets(labels))


@dataclass
class Losses:
    """The weighted total and its parts (detached parts for logging)."""

    total: Tensor
    seg: Tensor
    ml: Tensor | None


def segmentation_losses(out: SegOutput | EmbeddingOutput, labels: Tensor, gt_classes: Tensor, *, seg_weight: float, ml_weight: float,
                        ml_criterion: nn.Module | None) -> Losses:
    """Total loss for a batch: labels (B, H, W) in the full vocabulary, gt_classes (B, N) bool."""
    seg = pixel_loss(out, labels)
    total = seg_weight * seg
    ml = None
    if out.ml_logits is not None and ml_criterion is not None and ml_weight > 0:
        ml = ml_criterion(out.ml_logits, gt_classes)
        total = total + ml_weight * ml
    return Losses(total=total, seg=seg.detach(), ml=None if ml is None else ml.detach())
