"""Parameter and FLOP counts, from torch's own counter (torch.utils.flop_counter), not by hand."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_parameters(*modules: nn.Module | None) -> int:
    return sum(p.numel() for m in modules if m is not None for p in m.parameters())


def count_flops(model: nn.Module, image_size: int, *, ranker: nn.Module | None = None) -> int:
    """FLOPs of inference on one image: the forward pass and the prediction made from its output (ESSNet
    compares pixels with class embeddings there), plus the ranker's forward for the independent scheme.

    Runs with autograd on: FlopCounterMode's module tracker fails on nn.TransformerDecoderLayer under no_grad."""
    device = next(model.parameters()).device
    x = torch.rand(1, 3, image_size, image_size, device=device)
    with FlopCounterMode(display=False) as counter:
        kwargs = {} if ranker is None else {"ranking_scores": ranker(x)}
        model(x, **kwargs).predict((image_size, image_size))
    return counter.get_total_flops()
