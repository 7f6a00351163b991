"""One inference step and one training step of a decoder or a whole model, on random data."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Callable, ContextManager

import torch
from torch import Tensor, nn

from rankseg.losses import AsymmetricLoss, segmentation_losses
from rankseg.models.label_selection import present_classes
from rankseg.models.output import SegOutput


def random_labels(batch: int, size: int, num_classes: int, *, classes_per_image: int = 8, cell: int = 16,
                  generator: torch.Generator | None = None) -> Tensor:
    """(B, size, size) long labels: each image a blocky layout (cells of `cell` pixels) of
    `classes_per_image` classes drawn at random from the N."""
    per_image = min(classes_per_image, num_classes)
    ids = torch.stack([torch.randperm(num_classes, generator=generator)[:per_image] for _ in range(batch)])
    cells = max(size // cell, 1)
    layout = torch.randint(per_image, (batch, cells, cells), generator=generator)
    layout = layout.repeat_interleave(size // cells, 1).repeat_interleave(size // cells, 2)
    return ids.gather(1, layout.flatten(1)).view(batch, size, size)


def autocast(device: torch.device, bf16: bool) -> ContextManager:
    """bf16 autocast on CUDA when asked; a no-op otherwise."""
    return torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else nullcontext()


def infer_step(forward: Callable[[], SegOutput], size: tuple[int, int], *, device: torch.device,
               bf16: bool) -> Callable[[], Tensor]:
    """A closure: the forward pass and the (B, H, W) full-resolution prediction, without autograd."""

    def step() -> Tensor:
        with torch.inference_mode(), autocast(device, bf16):
            return forward().predict(size)

    return step


def train_step(model: nn.Module, forward: Callable[[], SegOutput], labels: Tensor, *, device: torch.device,
               bf16: bool, ml_weight: float = 10.0,
               optimizer: torch.optim.Optimizer | None = None) -> Callable[[], Tensor]:
    """A closure: forward, the loss at full label resolution (pixel cross-entropy over the C channels,
    plus the asymmetric loss of the multi-label head when there is one), backward, and an optimizer step
    when one is given. Gradients are dropped (set to None) at the end of every step."""
    criterion = AsymmetricLoss()
    num_classes = model.num_classes

    def step() -> Tensor:
        with autocast(device, bf16):
            out = forward()
            gt = present_classes(labels, num_classes)
            losses = segmentation_losses(out, labels, gt, seg_weight=1.0, ml_weight=ml_weight,
                                         ml_criterion=criterion if out.ml_logits is not None else None)
        losses.total.backward()
        if optimizer is not None:
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        else:
            model.zero_grad(set_to_none=True)
        return losses.total.detach()

    return step
