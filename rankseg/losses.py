"""Losses: the asymmetric loss for the multi-label head, cross-entropy for the pixels."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from rankseg.models.output import PixelOutput, pixel_cross_entropy

__all__ = ["AsymmetricLoss", "Losses", "multilabel_criterion", "pixel_cross_entropy", "segmentation_losses"]


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


@dataclass
class Losses:
    """The weighted total and its parts (detached parts for logging)."""

    total: Tensor
    seg: Tensor
    ml: Tensor | None


def segmentation_losses(out: PixelOutput, labels: Tensor, gt_classes: Tensor, *, seg_weight: float, ml_weight: float,
                        ml_criterion: nn.Module | None) -> Losses:
    """Total loss for a batch: labels (B, H, W) in the full vocabulary, gt_classes (B, N) bool."""
    seg = out.pixel_loss(labels)
    total = seg_weight * seg
    ml = None
    if out.ml_logits is not None and ml_criterion is not None and ml_weight > 0:
        ml = ml_criterion(out.ml_logits, gt_classes)
        total = total + ml_weight * ml
    return Losses(total=total, seg=seg.detach(), ml=None if ml is None else ml.detach())
