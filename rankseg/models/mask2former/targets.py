"""Ground-truth segments for mask classification, from the label tensors the data sets return."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from rankseg.constants import IGNORE_INDEX


@dataclass
class SegmentTargets:
    """The segments of one image or clip: classes (M,) long full-vocabulary ids, masks (M, T, H, W) bool."""

    classes: Tensor
    masks: Tensor


def as_clip_labels(labels: Tensor) -> Tensor:
    """Labels in any of the layouts the data sets give → (B, T, 2, H, W) [semantic class, segment id].

    Accepted: semantic (B, H, W); panoptic (B, 2, H, W); video semantic (B, T, H, W) with T != 2 or video
    panoptic (B, T, 2, H, W). Semantic labels get the class as segment id (one segment per class).
    Note: a (B, 2, H, W) tensor is read as panoptic, never as a 2-frame semantic clip.
    """
    if labels.ndim == 3:
        labels = labels[:, None]
    if labels.ndim == 4:
        labels = labels.unsqueeze(1) if labels.shape[1] == 2 else torch.stack([labels, labels + 1], dim=2)
    if labels.ndim != 5 or labels.shape[2] != 2:
        raise ValueError(f"expected labels (B, H, W), (B, 2, H, W), (B, T, H, W) or (B, T, 2, H, W), "
                         f"got {tuple(labels.shape)}")
    return labels


def segment_targets(labels: Tensor, task: Literal["semantic", "panoptic"]) -> list[SegmentTargets]:
    """Per clip, one target per segment: panoptic → one per (class, segment id) (thing instances apart);
    semantic → one per class. Ignored pixels (IGNORE_INDEX) belong to no target. labels: see as_clip_labels."""
    clips = as_clip_labels(labels)
    out = []
    for clip in clips:
        sem, seg = clip[:, 0], clip[:, 1]
        keep = sem != IGNORE_INDEX
        if task == "panoptic":
            pairs = torch.stack([sem[keep], seg[keep]], dim=1).unique(dim=0)
            masks = (sem[None] == pairs[:, 0, None, None, None]) & (seg[None] == pairs[:, 1, None, None, None])
            classes = pairs[:, 0]
        elif task == "semantic":
            classes = sem[keep].unique()
            masks = sem[None] == classes[:, None, None, None]
        else:
            raise ValueError(f"task must be 'semantic' or 'panoptic', got {task!r}")
        out.append(SegmentTargets(classes=classes.long(), masks=masks))
    return out


def target_columns(classes: Tensor, class_ids: Tensor | None) -> Tensor:
    """Full-vocabulary classes (M,) → class columns of the prediction: their rank among the selected
    `class_ids` (K,), or K (no-object) for a class that was not selected. Identity when class_ids is None."""
    if class_ids is None:
        return classes
    hit = classes[:, None] == class_ids[None, :]
    k = class_ids.shape[0]
    return torch.where(hit.any(1), hit.float().argmax(1), torch.full_like(classes, k))
