"""What the engine asks of a segmentation model, whatever its framework."""

from __future__ import annotations

from typing import Protocol

from torch import Tensor, nn

from rankseg.models.output import ModelOutput


class SegmentationModel(Protocol):
    """The surface shared by Segmenter, the pixel frameworks (DeepLabv3, UPerNet, EncNet, ESSNet) and the
    region-classification models: the engine trains and evaluates any of them through it.

    forward(images (B, 3, H, W) in [0, 1], *, gt_classes=None, ranking_scores=None, top_k=None,
    threshold=None) → a ModelOutput (SegOutput, ESSNet's EmbeddingOutput, Mask2Former's MaskClassOutput).
    """

    num_classes: int

    @property
    def size_divisor(self) -> int:
        """Input sides must be multiples of this; evaluation pads to it."""

    @property
    def ranks_labels(self) -> bool:
        """True when the model selects labels by its own multi-label ranking."""

    def multilabel_parameters(self) -> list[nn.Parameter]:
        """Parameters of the multi-label head (they may get their own learning rate and weight decay)."""

    def __call__(self, images: Tensor, **kwargs) -> ModelOutput: ...
