"""The multi-label target of a label map: which classes an image contains."""

from __future__ import annotations

import torch
from torch import Tensor

from rankseg.constants import IGNORE_INDEX


def present_classes(labels: Tensor, num_classes: int) -> Tensor:
    """Multi-label target: (B, H, W) long labels → (B, N) bool, True where the class has a pixel.

    Ignored pixels (IGNORE_INDEX) count for no class. Raises on a label outside [0, N).
    """
    flat = labels.flatten(1)
    bad = (flat >= num_classes) | ((flat < 0) & (flat != IGNORE_INDEX))
    if bad.any():
        value = int(flat[bad][0])
        raise ValueError(f"label value {value} is outside the vocabulary of {num_classes} classes "
                         f"(valid: 0..{num_classes - 1}, or {IGNORE_INDEX} for ignore)")
    hot = torch.zeros(labels.shape[0], num_classes + 1, dtype=torch.bool, device=labels.device)
    hot.scatter_(1, flat + 1, True)  # ignore (-1) lands in column 0, dropped below
    return hot[:, 1:]
