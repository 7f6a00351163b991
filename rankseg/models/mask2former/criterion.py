"""Mask2Former's set criterion: Hungarian matching per decoder layer, then classification cross-entropy
(no-object weighted 0.1), binary cross-entropy and Dice on the matched full-resolution masks."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rankseg.models.mask2former.matcher import hungarian_match
from rankseg.models.mask2former.model import MaskClassOutput
from rankseg.models.mask2former.targets import SegmentTargets, target_columns


@dataclass
class MaskLosses:
    """Weighted total and the unweighted parts summed over the decoder layers (parts detached)."""

    total: Tensor
    ce: Tensor
    mask: Tensor
    dice: Tensor


def _upsample(mask_logits: Tensor, size: tuple[int, int]) -> Tensor:
    """(B, Q, T, h, w) → (B, Q, T, H, W)."""
    b, q, t = mask_logits.shape[:3]
    up = F.interpolate(mask_logits.float().flatten(1, 2), size=size, mode="bilinear", align_corners=False)
    return up.view(b, q, t, *size)


class SetCriterion(nn.Module):
    """Loss of a MaskClassOutput against per-clip SegmentTargets, with deep supervision on every layer.

    With label selection, a ground-truth segment whose class is not among the clip's selected K classes is
    still matched and its mask still supervised, but its class target is no-object (column K): the query
    cannot name a class that is not a column.
    """

    def __init__(self, *, class_weight: float = 2.0, mask_weight: float = 5.0, dice_weight: float = 5.0,
                 no_object_weight: float = 0.1) -> None:
        super().__init__()
        self.class_weight, self.mask_weight, self.dice_weight = class_weight, mask_weight, dice_weight
        self.no_object_weight = no_object_weight

    def _layer(self, class_logits: Tensor, mask_logits: Tensor, targets: list[SegmentTargets],
               class_ids: Tensor | None) -> tuple[Tensor, Tensor, Tensor]:
        b, q, c1 = class_logits.shape
        size = tuple(targets[0].masks.shape[-2:])
        masks = _upsample(mask_logits, size).flatten(2)  # (B, Q, T·H·W)
        target_classes = torch.full((b, q), c1 - 1, dtype=torch.long, device=class_logits.device)
        pred_masks, true_masks = [], []
        for i, tgt in enumerate(targets):
            cols = target_columns(tgt.classes, None if class_ids is None else class_ids[i])
            flat = tgt.masks.flatten(1).float()
            qi, ti = hungarian_match(class_logits[i], masks[i], cols, flat, class_weight=self.class_weight,
                                     mask_weight=self.mask_weight, dice_weight=self.dice_weight)
            qi, ti = qi.to(class_logits.device), ti.to(class_logits.device)
            target_classes[i, qi] = cols[ti]
            pred_masks.append(masks[i, qi])
            true_masks.append(flat[ti])
        weight = torch.ones(c1, device=class_logits.device)
        weight[-1] = self.no_object_weight
        ce = F.cross_entropy(class_logits.float().transpose(1, 2), target_classes, weight=weight)
        pred, true = torch.cat(pred_masks), torch.cat(true_masks)
        if len(pred) == 0:
            zero = masks.sum() * 0
            return ce, zero, zero
        num = max(len(pred), 1)
        bce = F.binary_cross_entropy_with_logits(pred, true, reduction="none").mean(1).sum() / num
        p = pred.sigmoid()
        dice = (1 - (2 * (p * true).sum(1) + 1) / (p.sum(1) + true.sum(1) + 1)).sum() / num
        return ce, bce, dice

    def forward(self, out: MaskClassOutput, targets: list[SegmentTargets]) -> MaskLosses:
        ce = bce = dice = out.class_logits.new_zeros((), dtype=torch.float32)
        for class_logits, mask_logits in [*out.aux, (out.class_logits, out.mask_logits)]:
            c, m, d = self._layer(class_logits, mask_logits, targets, out.class_ids)
            ce, bce, dice = ce + c, bce + m, dice + d
        total = self.class_weight * ce + self.mask_weight * bce + self.dice_weight * dice
        return MaskLosses(total=total, ce=ce.detach(), mask=bce.detach(), dice=dice.detach())
