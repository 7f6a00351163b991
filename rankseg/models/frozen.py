"""A model whose `encoder` may be frozen: the pretrained-features regime of Segmenter and the pixel frameworks."""

from __future__ import annotations

from contextlib import AbstractContextManager

import torch
from torch import nn


class FreezableEncoder(nn.Module):
    """Base of the segmentation models with an `encoder` that `freeze_encoder` keeps as loaded: no gradients
    (so the optimiser leaves its weights out), batch norm in eval mode even while the model trains, and a
    forward without autograd (`encoding()`). Subclasses set `self.encoder`, then call `_freeze(flag)`."""

    encoder: nn.Module
    freeze_encoder: bool = False

    def _freeze(self, freeze_encoder: bool) -> None:
        self.freeze_encoder = freeze_encoder
        if freeze_encoder:
            self.encoder.requires_grad_(False)
            self.encoder.eval()

    def train(self, mode: bool = True) -> "FreezableEncoder":
        super().train(mode)
        if self.freeze_encoder:  # a frozen encoder keeps its batch-norm statistics and runs without dropout
            self.encoder.eval()
        return self

    def encoding(self) -> AbstractContextManager:
        """Context for the encoder's forward: no autograd graph when it is frozen."""
        return torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze_encoder)

