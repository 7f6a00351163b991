"""Hungarian matching of queries to ground-truth segments (scipy's linear_sum_assignment)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from torch import Tensor


def sigmoid_ce_cost(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean binary cross-entropy of every prediction against every target: logits (Q, P), targets (M, P) → (Q, M)."""
    pos = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits), reduction="none")
    neg = F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits), reduction="none")
    return (pos @ targets.T + neg @ (1 - targets).T) / logits.shape[1]


def dice_cost(logits: Tensor, targets: Tensor) -> Tensor:
    """1 − Dice of every prediction against every target: logits (Q, P), targets (M, P) → (Q, M)."""
    p = logits.sigmoid()
    inter = 2 * p @ targets.T
    return 1 - (inter + 1) / (p.sum(-1)[:, None] + targets.sum(-1)[None, :] + 1)


@torch.no_grad()
def hungarian_match(class_logits: Tensor, mask_logits: Tensor, columns: Tensor, masks: Tensor, *,
                    class_weight: float, mask_weight: float, dice_weight: float) -> tuple[Tensor, Tensor]:
    """One image or clip: class_logits (Q, C + 1), mask_logits (Q, P) and M targets with class columns (M,)
    (C = no-object for a ground-truth class that was not selected) and masks (M, P) → (query index (M',),
    target index (M',)), M' = min(Q, M), minimising class_weight·(−p_class) + mask_weight·BCE +
    dice_weight·(1 − Dice)."""
    if columns.numel() == 0:
        empty = torch.zeros(0, dtype=torch.long)
        return empty, empty
    prob = class_logits.float().softmax(-1)
    m = masks.float()
    cost = (-class_weight * prob[:, columns] + mask_weight * sigmoid_ce_cost(mask_logits.float(), m)
            + dice_weight * dice_cost(mask_logits.float(), m))
    rows, cols = linear_sum_assignment(cost.cpu().numpy())
    return torch.as_tensor(rows, dtype=torch.long), torch.as_tensor(cols, dtype=torch.long)
