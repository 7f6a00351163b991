"""End-to-end benchmark: whole models (ViT backbone + decoder) built by `build_segmenter` from the `ci`
profile, timed over optimizer steps on random images and labels; reports images/s and peak memory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch

from rankseg.bench.head import HeadCase, prime
from rankseg.bench.memory import measure_peak
from rankseg.bench.runner import TimingPlan, time_step
from rankseg.bench.settings import HeadName, Variant, head_options
from rankseg.bench.steps import random_labels, train_step
from rankseg.config import Config, override, profile
from rankseg.models.build import build_segmenter

ModelSize = Literal["vit_tiny_128", "vit_b16_512", "test"]

# Backbone and decoder per model size: CPU-sized ViT-Tiny (12 blocks, patch 8, 128² images) and the paper's
# ViT-B/16 at 512² (random weights: the benchmark measures cost, not accuracy).
_SIZES: dict[str, dict[str, Any]] = {
    "vit_tiny_128": {"model.backbone": "vit_tiny_patch16_224", "model.patch_size": 8, "data.image_size": 128,
                     "model.d_model": 192, "model.n_heads": 3},
    "vit_b16_512": {"model.backbone": "vit_base_patch16_384", "model.patch_size": 16, "data.image_size": 512,
                    "model.d_model": 768, "model.n_heads": 12},
    # For the tests and the GPU check's dry run: two ViT-Tiny blocks on 32² images.
    "test": {"model.backbone": "vit_tiny_patch16_224", "model.patch_size": 8, "data.image_size": 32,
             "model.d_model": 192, "model.n_heads": 3, "model.backbone_depth": 2},
}


@dataclass(frozen=True)
class EndToEndCase:
    """One end-to-end setting."""

    size: ModelSize
    head: HeadName
    n_classes: int
    batch: int
    variant: Variant = "eager_fp32"
    device: str = "cpu"

    def config(self) -> Config:
        """The `ci` profile with the whole ViT (all blocks), this vocabulary and this head."""
        changes = {"model.backbone_depth": None, **_SIZES[self.size], "data.num_classes": self.n_classes,
                   "model.drop_path_rate": 0.0, "train.batch_size": self.batch}
        if self.head == "segmenter":
            changes |= {"model.multilabel": False, "model.label_selection": False}
        else:
            o = head_options(self.head, self.n_classes)
            changes |= {"model.top_k": o.top_k, "model.ml_pool": o.ml_pool, "model.ml_head": o.ml_head,
                        "model.ml_shortlist": o.ml_shortlist}
        return override(profile("ci"), changes)

    def row(self) -> dict[str, Any]:
        cfg = self.config()
        return dict(device=self.device, size=self.size, head=self.head, n_classes=self.n_classes,
                    k=cfg.model.top_k if cfg.model.label_selection else None, batch=self.batch,
                    height=cfg.data.image_size, width=cfg.data.image_size, variant=self.variant)


def measure_end_to_end(case: EndToEndCase, plan: TimingPlan, seed: int = 0) -> dict[str, Any]:
    """Time warm AdamW training steps of the whole model; returns the per-step ``cpu_ms`` and ``wall_ms`` lists
    and ``peak_mem_mb``."""
    torch.manual_seed(seed)
    prime(HeadCase(setting="test", head=case.head, n_classes=64, k=None, batch=1, phase="train",
                   variant=case.variant, device=case.device))
    device = torch.device(case.device)
    cfg = case.config()
    size = cfg.data.image_size
    with measure_peak(device) as peak:
        model = build_segmenter(cfg).to(device).train()
        images = torch.rand(case.batch, 3, size, size, device=device)
        labels = random_labels(case.batch, size, case.n_classes).to(device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
        net = torch.compile(model) if case.variant.startswith("compile") else model
        step = train_step(model, lambda: net(images), labels, device=device, bf16=case.variant.endswith("bf16"),
                          ml_weight=cfg.loss.ml_weight, optimizer=optimizer)
        timing = time_step(step, device, plan)
    return dict(cpu_ms=timing.cpu_ms, wall_ms=timing.wall_ms, peak_mem_mb=peak.mb)
