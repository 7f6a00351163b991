"""Segmenter (ViT encoder + mask transformer decoder), the reference architecture of RankSeg."""

from __future__ import annotations

from torch import Tensor, nn

from rankseg.models.backbone import ViTEncoder
from rankseg.models.feature_encoder import PyramidTokens
from rankseg.models.frozen import FreezableEncoder
from rankseg.models.mask_transformer import MaskTransformer
from rankseg.models.output import SegOutput


class Segmenter(FreezableEncoder):
    """Encode the image into tokens, score the classes, select the top K, decode the pixels over them.

    The encoder is a ViT (the paper's) or a CNN's feature pyramid (PyramidTokens); `freeze_encoder` keeps its
    weights as loaded (no gradients, batch norm in eval mode even while training).

    forward(images (B, 3, H, W) float in [0, 1], **decoder kwargs) → SegOutput (see MaskTransformer for
    the keyword arguments: gt_classes, ranking_scores, top_k, threshold).

    Every segmentation model of this package offers the same surface to the engine: `num_classes`,
    `size_divisor`, `ranks_labels`, `multilabel_parameters()` and a forward that returns a SegOutput.
    """

    def __init__(self, *, encoder: ViTEncoder | PyramidTokens, decoder: MaskTransformer,
                 freeze_encoder: bool = False) -> None:
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.num_classes = decoder.num_classes
        self._freeze(freeze_encoder)

    def forward(self, images: Tensor, **kwargs) -> SegOutput:
        with self.encoding():
            tokens, grid = self.encoder(images)
        return self.decoder(tokens, grid, **kwargs)

    @property
    def size_divisor(self) -> int:
        """Input sides must be multiples of this (evaluation pads to it)."""
        return self.encoder.size_divisor

    @property
    def ranks_labels(self) -> bool:
        """True when the model selects labels by its own multi-label ranking (sliding windows then share one)."""
        return self.decoder.rankseg.ranks_labels

    def multilabel_parameters(self) -> list[nn.Parameter]:
        """Parameters of the multi-label head (they may get their own learning rate)."""
        head = self.decoder.rankseg.ml_head
        return [] if head is None else list(head.parameters())
