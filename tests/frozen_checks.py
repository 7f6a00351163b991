"""Shared checks of the frozen-encoder tests (Segmenter's pixel frameworks, Mask2Former): a few optimiser steps of
the package's own training step, and what they must leave untouched."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from rankseg.config import Config
from rankseg.engine.optim import build_optimizer


def train_frozen(model: nn.Module, cfg: Config, step: Callable, batch: Callable[[], tuple],
                 steps: int = 3) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """`steps` optimiser steps of `step(model, *batch())`; the optimiser must hold every parameter but the
    encoder's. Returns the state dict before and after."""
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = build_optimizer(model, cfg.train, model.multilabel_parameters())
    optimised = {id(p) for group in optimizer.param_groups for p in group["params"]}
    assert not any(id(p) in optimised for p in model.encoder.parameters())
    assert all(id(p) in optimised for n, p in model.named_parameters() if not n.startswith("encoder."))
    model.train()
    for _ in range(steps):
        losses = step(model, *batch())
        optimizer.zero_grad(set_to_none=True)
        losses["total"].backward()
        optimizer.step()
    return before, model.state_dict()


def assert_encoder_as_loaded(model: nn.Module, before: dict, after: dict, *, batch_norm: bool = True) -> None:
    """Encoder weights (and batch-norm statistics, when it has batch norm) unchanged, and no gradient reached it."""
    encoder_keys = [k for k in before if k.startswith("encoder.")]
    assert encoder_keys and all(before[k].equal(after[k]) for k in encoder_keys)
    assert any(k.endswith("running_mean") for k in encoder_keys) == batch_norm
    assert all(p.grad is None for p in model.encoder.parameters())


def moved_share(before: dict, after: dict, keys: list[str]) -> float:
    """The share of `keys` whose tensors changed."""
    return sum(not before[k].equal(after[k]) for k in keys) / len(keys)
