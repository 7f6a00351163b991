"""The one typed output of every segmentation model, and how it becomes a label map or a loss target."""

from __future__ import annotations

from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor

from rankseg.models.label_selection import remap_to_selected


@dataclass
class SegOutput:
    """What a segmentation model returns, in training and in evaluation alike.

    Attributes:
        pixel_logits: (B, C, h, w) scores at feature resolution. C = K when labels are selected
            (channel k is the class ranked k-th for that image), else C = N.
        class_ids: (B, K) long, the full-vocabulary id of each channel, or None when C = N.
        ml_logits: (B, N) image-level multi-label scores, or None for models without a multi-label head.
        valid: (B, C) bool, channels a pixel may take (oracle and dynamic-K runs mask the rest), or None.
    """

    pixel_logits: Tensor
    class_ids: Tensor | None = None
    ml_logits: Tensor | None = None
    valid: Tensor | None = None

    def upsampled_logits(self, size: tuple[int, int]) -> Tensor:
        """(B, C, H, W) logits at label resolution, with masked channels at -inf."""
        logits = F.interpolate(self.pixel_logits.float(), size=size, mode="bilinear", align_corners=False)
        if self.valid is not None:
            logits = logits.masked_fill(~self.valid[:, :, None, None], float("-inf"))
        return logits

    def targets(self, labels: Tensor) -> Tensor:
        """Full-vocabulary labels (B, H, W) mapped to channel indices; pixels of unselected classes ignored."""
        if self.class_ids is None:
            return labels
        return remap_to_selected(labels, self.class_ids)

    def to_class_ids(self, channels: Tensor) -> Tensor:
        """Channel indices (B, H, W) → full-vocabulary class ids (B, H, W)."""
        if self.class_ids is None:
            return channels
        return self.class_ids.gather(1, channels.flatten(1)).view_as(channels)

    def predict(self, size: tuple[int, int]) -> Tensor:
        """(B, H, W) long class ids in the full vocabulary. Never allocates more than C×H×W per image."""
        return self.to_class_ids(self.upsampled_logits(size).argmax(dim=1))
