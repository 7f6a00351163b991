"""Panoptic quality (Kirillov et al., CVPR 2019) as the COCO panopticapi computes it: PQ, SQ, RQ over all
categories, things and stuff.

A predicted and a ground-truth segment of the same category match when IoU > 0.5 (unique by construction).
IoU leaves out the predicted pixels that fall on void ground truth. Per category:
SQ = Σ IoU(TP) / |TP|, RQ = |TP| / (|TP| + ½|FP| + ½|FN|), PQ = SQ · RQ; an unmatched prediction lying
more than half on void is not a false positive. Averages run over categories with TP + FP + FN > 0.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from rankseg.constants import IGNORE_INDEX


def _segments(panoptic: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(2, H, W) [class, segment id] → per-pixel segment index (H·W,) (−1 for void), segment classes, areas."""
    sem, seg = panoptic[0].flatten().long(), panoptic[1].flatten().long()
    keep = sem != IGNORE_INDEX
    pairs, inverse = torch.unique(torch.stack([sem[keep], seg[keep]], 1), dim=0, return_inverse=True)
    index = torch.full_like(sem, -1)
    index[keep] = inverse
    return index, pairs[:, 0], torch.bincount(inverse, minlength=len(pairs))


class PanopticMeter:
    """Accumulates panoptic TP / FP / FN and IoU sums per category.

    update(pred (2, H, W), gt (2, H, W)) — both [class id or IGNORE_INDEX, segment id]; is_thing (N,) bool.
    compute() → {"pq", "sq", "rq", "pq_th", "sq_th", "rq_th", "pq_st", "sq_st", "rq_st"} in %.
    """

    def __init__(self, is_thing: Tensor) -> None:
        self.is_thing = torch.as_tensor(is_thing, dtype=torch.bool).cpu()
        n = len(self.is_thing)
        self.tp, self.fp, self.fn = (torch.zeros(n, dtype=torch.float64) for _ in range(3))
        self.iou = torch.zeros(n, dtype=torch.float64)

    def update(self, pred: Tensor, gt: Tensor) -> None:
        if pred.shape != gt.shape or pred.ndim != 3 or pred.shape[0] != 2:
            raise ValueError(f"expected pred and gt of one shape (2, H, W), got {tuple(pred.shape)}, {tuple(gt.shape)}")
        pred, gt = pred.cpu(), gt.cpu()
        p_idx, p_cls, p_area = _segments(pred)
        g_idx, g_cls, g_area = _segments(gt)
        n = len(self.is_thing)
        for cls in (p_cls, g_cls):
            if len(cls) and (cls.max() >= n or cls.min() < 0):
                raise ValueError(f"class id {int(cls.max())} outside 0..{n - 1}")
        void = g_idx < 0
        p_void = torch.bincount(p_idx[void & (p_idx >= 0)], minlength=len(p_cls)).double()
        both = (p_idx >= 0) & (g_idx >= 0)
        pair = p_idx[both] * max(len(g_cls), 1) + g_idx[both]
        inter = torch.bincount(pair, minlength=len(p_cls) * len(g_cls)).view(len(p_cls), len(g_cls)).double()
        same = p_cls[:, None] == g_cls[None, :]
        union = p_area[:, None] + g_area[None, :] - inter - p_void[:, None]
        iou = torch.where(same & (inter > 0), inter / union.clamp(min=1), torch.zeros_like(inter))
        match = iou > 0.5
        p_matched, g_matched = match.any(1), match.any(0)
        self.tp += torch.bincount(g_cls[g_matched], minlength=n)[:n].double()
        self.iou += torch.bincount(g_cls, weights=(iou * match).sum(0), minlength=n)[:n]
        self.fn += torch.bincount(g_cls[~g_matched], minlength=n)[:n].double()
        fp = ~p_matched & (p_void / p_area.clamp(min=1) <= 0.5)
        self.fp += torch.bincount(p_cls[fp], minlength=n)[:n].double()

    def per_class(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(N,) PQ, SQ, RQ (fractions) and a mask of the categories that count (TP + FP + FN > 0)."""
        denom = self.tp + 0.5 * self.fp + 0.5 * self.fn
        valid = denom > 0
        sq = torch.where(self.tp > 0, self.iou / self.tp.clamp(min=1), torch.zeros_like(self.iou))
        rq = torch.where(valid, self.tp / denom.clamp(min=1e-9), torch.zeros_like(denom))
        return (sq * rq).numpy(), sq.numpy(), rq.numpy(), valid.numpy()

    def compute(self) -> dict[str, float]:
        pq, sq, rq, valid = self.per_class()
        out: dict[str, float] = {}
        thing = self.is_thing.numpy()
        for suffix, sel in [("", valid), ("_th", valid & thing), ("_st", valid & ~thing)]:
            for name, values in [("pq", pq), ("sq", sq), ("rq", rq)]:
                out[name + suffix] = 100 * float(values[sel].mean()) if sel.any() else float("nan")
        return out
