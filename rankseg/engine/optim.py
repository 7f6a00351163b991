"""Optimiser with parameter groups (the multi-label head may get its own LR) and the poly schedule."""

from __future__ import annotations

import torch
from torch import nn

from rankseg.config import TrainConfig


def build_optimizer(model: nn.Module, cfg: TrainConfig, ml_params: list[nn.Parameter]) -> torch.optim.Optimizer:
    """AdamW or SGD. Groups: {backbone/decoder, multi-label head} × {decayed, not decayed}; biases, norms,
    embeddings and temperatures are not decayed. Each group keeps its LR multiplier in `lr_mult`."""
    ml_ids = {id(p) for p in ml_params}
    groups: dict[tuple[bool, bool], list[nn.Parameter]] = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        no_decay = p.ndim <= 1 or name.endswith(("pos_embed", "cls_token", "cls_emb", "reg_token"))
        groups.setdefault((id(p) in ml_ids, no_decay), []).append(p)
    param_groups = []
    for (is_ml, no_decay), params in groups.items():
        lr_mult = cfg.ml_lr_mult if is_ml else 1.0
        wd = 0.0 if no_decay else cfg.weight_decay * (cfg.ml_wd_mult if is_ml else 1.0)
        param_groups.append({"params": params, "lr": cfg.lr * lr_mult, "lr_mult": lr_mult, "weight_decay": wd,
                             "name": ("ml_head" if is_ml else "main") + ("_no_decay" if no_decay else "")})
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(param_groups, lr=cfg.lr)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(param_groups, lr=cfg.lr, momentum=cfg.momentum)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}; use 'adamw' or 'sgd'")


def poly_lr(cfg: TrainConfig, it: int) -> float:
    """Learning rate at iteration `it`: linear warm-up, then (lr − min_lr)(1 − t)^power + min_lr."""
    if cfg.warmup_iters and it < cfg.warmup_iters:
        return cfg.lr * (it + 1) / cfg.warmup_iters
    t = min(it / max(cfg.iterations, 1), 1.0)
    return (cfg.lr - cfg.min_lr) * (1 - t) ** cfg.poly_power + cfg.min_lr


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for g in optimizer.param_groups:
        g["lr"] = lr * g["lr_mult"]
