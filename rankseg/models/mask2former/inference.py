"""Mask2Former inference: semantic (class probabilities × mask probabilities, summed over queries) and
panoptic (keep confident queries, assign each pixel to its most likely query, merge stuff of one class)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from rankseg.constants import IGNORE_INDEX


def upsample_masks(mask_logits: Tensor, size: tuple[int, int]) -> Tensor:
    """(B, Q, T, h, w) mask logits → (B, Q, T, H, W)."""
    b, q, t = mask_logits.shape[:3]
    up = F.interpolate(mask_logits.float().flatten(1, 2), size=size, mode="bilinear", align_corners=False)
    return up.view(b, q, t, *size)


def semantic_inference(class_logits: Tensor, mask_logits: Tensor, size: tuple[int, int]) -> Tensor:
    """class_logits (B, Q, C + 1), mask_logits (B, Q, T, h, w) → class columns (B, T, H, W) long.

    score(c, pixel) = Σ_q softmax(class_q)[c] · sigmoid(mask_q)(pixel), no-object dropped; only C columns
    (C = K with label selection) are ever materialised. Map columns to full ids with MaskClassOutput.to_class_ids.
    """
    prob = class_logits.float().softmax(-1)[..., :-1]
    masks = upsample_masks(mask_logits, size).sigmoid()
    return torch.einsum("bqc,bqthw->bcthw", prob, masks).argmax(1)


def panoptic_inference(class_logits: Tensor, mask_logits: Tensor, *, is_thing: Tensor, class_ids: Tensor | None,
                       object_mask_threshold: float = 0.8, overlap_threshold: float = 0.8) -> tuple[Tensor, list[dict]]:
    """One image: class_logits (Q, C + 1), mask_logits (Q, H, W) at label resolution, is_thing (N,) bool,
    class_ids (C,) full ids of the columns (None: columns are ids).

    Keeps queries whose top class is not no-object and scores above `object_mask_threshold`; each pixel goes
    to the kept query maximising score · mask probability; a query keeping less than `overlap_threshold` of
    its own mask (prob ≥ 0.5) is dropped; stuff queries of one class merge into one segment.

    Returns (panoptic (2, H, W) long [class id or IGNORE_INDEX, segment id 0 = void], segments
    [{"id", "category_id", "is_thing", "area"}]).
    """
    scores, columns = class_logits.float().softmax(-1).max(-1)
    no_object = class_logits.shape[-1] - 1
    keep = (columns != no_object) & (scores > object_mask_threshold)
    h, w = mask_logits.shape[-2:]
    panoptic = torch.zeros(2, h, w, dtype=torch.long, device=mask_logits.device)
    panoptic[0] = IGNORE_INDEX
    segments: list[dict] = []
    if not keep.any():
        return panoptic, segments
    masks = mask_logits[keep].float().sigmoid()
    cls = columns[keep] if class_ids is None else class_ids[columns[keep]]
    owner = (scores[keep][:, None, None] * masks).argmax(0)
    stuff_ids: dict[int, int] = {}
    for k in range(len(cls)):
        c = int(cls[k])
        region = (owner == k) & (masks[k] >= 0.5)
        original = int((masks[k] >= 0.5).sum())
        area = int(region.sum())
        if original == 0 or area == 0 or area / original < overlap_threshold:
            continue
        thing = bool(is_thing[c])
        if not thing and c in stuff_ids:
            seg_id = stuff_ids[c]
            next(s for s in segments if s["id"] == seg_id)["area"] += area
        else:
            seg_id = len(segments) + 1
            segments.append({"id": seg_id, "category_id": c, "is_thing": thing, "area": area})
            if not thing:
                stuff_ids[c] = seg_id
        panoptic[0][region] = c
        panoptic[1][region] = seg_id
    return panoptic, segments
