"""What a segmentation model returns, and how it becomes a label map or a loss.

Every output offers `ModelOutput` (a prediction, and the ranking the metrics read); the outputs of the pixel
classifiers offer `PixelOutput` (their pixel loss) too. The engine and the losses call these methods instead of
asking which type they hold:

    SegOutput        pixel logits over the N classes or the K selected ones (Segmenter, DeepLabv3, UPerNet, EncNet)
    EmbeddingOutput  pixel and class embeddings (ESSNet, rankseg.models.essnet)
    MaskClassOutput  query classes and masks (Mask2Former, rankseg.models.mask2former.model), trained by its
                     set criterion
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import torch.nn.functional as F
from torch import Tensor

from rankseg.constants import IGNORE_INDEX
from rankseg.models.label_selection import remap_to_selected


class ModelOutput(Protocol):
    """The surface of every model output.

    ml_logits (B, N) image-level scores or None; class_ids (B, K) selected classes or None; valid (B, C) usable
    channels or None; supports_sliding_window: whether windows' outputs can be averaged (they need class logits).
    """

    ml_logits: Tensor | None
    class_ids: Tensor | None
    valid: Tensor | None
    supports_sliding_window: ClassVar[bool]

    def predict(self, size: tuple[int, int]) -> Tensor:
        """Full-vocabulary class ids at label resolution `size`: (B, H, W) ((B, T, H, W) for clips)."""
        ...


class PixelOutput(ModelOutput, Protocol):
    """An output trained by a loss on its pixels."""

    def pixel_loss(self, labels: Tensor) -> Tensor:
        """Scalar loss against full-vocabulary labels (B, H, W), IGNORE_INDEX pixels left out; 0 (not NaN) when
        no pixel counts."""
        ...


def pixel_cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """Cross-entropy over (B, C, H, W) logits and (B, H, W) targets with IGNORE_INDEX pixels left out.

    Averaged over the valid pixels; a batch with no valid pixel gives 0 (not NaN), so images whose
    classes were all dropped by the selection, or that have no label at all, do not break training.
    """
    total = F.cross_entropy(logits, targets, ignore_index=IGNORE_INDEX, reduction="sum")
    return total / (targets != IGNORE_INDEX).sum().clamp(min=1)


@dataclass
class SegOutput:
    """What a pixel classifier returns, in training and in evaluation alike (a PixelOutput).

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

    supports_sliding_window: ClassVar[bool] = True

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

    def pixel_loss(self, labels: Tensor) -> Tensor:
        """Cross-entropy over the C channels, labels (B, H, W) remapped to the selected classes (the pixels of an
        unselected class are left out)."""
        return pixel_cross_entropy(self.upsampled_logits(labels.shape[-2:]), self.targets(labels))
