"""Label sorting and selection (paper Sec. 3.2): rank the N classes per image, keep the top K.

Every function here is batched: each image has its own ranking. (The official code's gather is correct
for one image per GPU only.) None of them allocates an N×H×W tensor.
"""

from __future__ import annotations

import torch
from torch import Tensor

from rankseg.constants import IGNORE_INDEX
from rankseg.data.labels import present_classes

__all__ = ["gather_rows", "oracle_ranking", "oracle_valid_all", "present_classes", "remap_to_selected",
           "select_labels", "select_top_k", "selected_is_valid", "threshold_valid"]

# Added to the scores of ground-truth classes in oracle mode so that they rank first, ahead of any score.
_ORACLE_BONUS = 1e4


def select_top_k(scores: Tensor, k: int) -> Tensor:
    """(B, N) scores → (B, K) class ids sorted by decreasing score."""
    n = scores.shape[1]
    if not 0 < k <= n:
        raise ValueError(f"top-K must be in 1..N, got K={k} for N={n} classes")
    return scores.topk(k, dim=1, sorted=True).indices


def oracle_ranking(scores: Tensor | None, gt: Tensor) -> Tensor:
    """Ranking scores that put the ground-truth classes (B, N) bool first, ordered among themselves by
    `scores` when given. Returns (B, N) float."""
    base = torch.zeros(gt.shape, device=gt.device) if scores is None else scores.detach().float().sigmoid()
    return base + _ORACLE_BONUS * gt.float()


def gather_rows(tokens: Tensor, class_ids: Tensor) -> Tensor:
    """Per-image gather: (B, N, D) tokens and (B, K) ids → (B, K, D)."""
    index = class_ids.unsqueeze(-1).expand(-1, -1, tokens.shape[-1])
    return tokens.gather(1, index)


def remap_to_selected(labels: Tensor, class_ids: Tensor) -> Tensor:
    """Map full-vocabulary labels (B, H, W) to their rank among the image's selected classes (B, K).

    A pixel whose class was not selected, or that was ignored, becomes IGNORE_INDEX. Uses a (B, N)
    lookup table (N is at most the vocabulary size, never multiplied by H×W).
    """
    b, k = class_ids.shape
    n = max(int(class_ids.max()) + 1, int(labels.max()) + 1, 1)
    lut = torch.full((b, n + 1), IGNORE_INDEX, dtype=torch.long, device=labels.device)
    ranks = torch.arange(k, device=labels.device).expand(b, k)
    lut.scatter_(1, class_ids + 1, ranks)
    # column 0 stays IGNORE_INDEX and receives the ignored pixels (label -1 → index 0)
    return lut.gather(1, (labels.flatten(1) + 1)).view_as(labels)


def selected_is_valid(class_ids: Tensor, gt: Tensor) -> Tensor:
    """Oracle mask: (B, K) True where the selected class is in the ground-truth set (B, N).

    An image with no ground-truth class (no valid pixel) keeps all K channels, so nothing is all -inf.
    """
    valid = gt.gather(1, class_ids)
    empty = ~gt.any(dim=1, keepdim=True)
    return valid | empty


def threshold_valid(scores: Tensor, class_ids: Tensor, threshold: float) -> Tensor:
    """Dynamic K: (B, K) True where the selected class's probability exceeds `threshold`; the top-1
    class is always kept."""
    prob = scores.gather(1, class_ids).sigmoid()
    valid = prob > threshold
    valid[:, 0] = True
    return valid


def select_labels(ranking: Tensor | None, k: int, *, gt_classes: Tensor | None = None,
                  threshold: float | None = None, oracle_keeps_k: bool = False) -> tuple[Tensor, Tensor | None]:
    """Label selection as every RankSeg head does it: rank, keep the top K, mark the usable channels.

    ranking (B, N) scores (the multi-label head's, or an independent classifier's); gt_classes (B, N) bool
    replaces the top K by the ground-truth classes (oracle: |GT| channels, the batch padded to its largest |GT|);
    threshold keeps only selected classes whose probability exceeds it (dynamic K); `oracle_keeps_k` keeps K
    channels in oracle mode instead (ground truth first, the rest masked), for a classifier sized for exactly K.
    Returns class_ids (B, K) in rank order (K = max |GT| for the oracle) and valid (B, K) bool or None.
    """
    if gt_classes is not None:
        if not oracle_keeps_k:
            # The oracle keeps every ground-truth class (|GT| channels, padded to the batch's largest |GT| and
            # masked by `valid`), not K: capped at K it would drop classes of crowded images, not an oracle.
            k = max(int(gt_classes.sum(dim=1).max()), 1)
        ranking = oracle_ranking(ranking, gt_classes)
    if ranking is None:
        raise ValueError("label selection needs a ranking: a multi-label head, ranking_scores "
                         "(independent scheme) or gt_classes (oracle)")
    class_ids = select_top_k(ranking.detach(), k)
    valid = None
    if gt_classes is not None:
        valid = selected_is_valid(class_ids, gt_classes)
    elif threshold is not None:
        valid = threshold_valid(ranking, class_ids, threshold)
    return class_ids, valid


def oracle_valid_all(gt_classes: Tensor) -> Tensor:
    """Oracle without selection: (B, N) True for ground-truth classes (all True for an image without any)."""
    return gt_classes | ~gt_classes.any(dim=1, keepdim=True)
