"""Head benchmark: the decoder alone (Segmenter baseline or RankSeg) on random encoder tokens.

One setting = (feature shape, head, N, K, phase, variant). `measure_head` runs in a child process
(`rankseg.bench.runner.run_isolated`) and returns the warm step times and the peak memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch

from rankseg.bench.memory import measure_peak
from rankseg.bench.runner import TimingPlan, time_step
from rankseg.bench.settings import SETTINGS, HeadName, Phase, Variant, build_decoder
from rankseg.bench.steps import infer_step, random_labels, train_step


@dataclass(frozen=True)
class HeadCase:
    """One head-benchmark setting."""

    setting: str
    head: HeadName
    n_classes: int
    k: int | None  # None for the Segmenter baseline (it classifies over all N)
    batch: int
    phase: Phase
    variant: Variant = "eager_fp32"
    device: str = "cpu"

    def row(self) -> dict[str, Any]:
        """The CSV columns that describe the setting."""
        s = SETTINGS[self.setting]
        return dict(device=self.device, head=self.head, n_classes=self.n_classes, k=self.k, batch=self.batch,
                    height=s.label_size, width=s.label_size, phase=self.phase, variant=self.variant,
                    setting=self.setting, d_model=s.d_model, grid=s.grid)

    def channel_bytes(self) -> int:
        """Bytes of one fp32 (B, C, H, W) logit tensor at label resolution, C = N (baseline) or K."""
        s = SETTINGS[self.setting]
        c = self.n_classes if self.k is None else self.k
        return 4 * self.batch * c * s.label_size ** 2


def _build_step(case: HeadCase) -> Callable[[], Any]:
    """The model, random inputs and the step closure of one case."""
    device = torch.device(case.device)
    s = SETTINGS[case.setting]
    bf16 = case.variant.endswith("bf16")
    model = build_decoder(case.head, s, case.n_classes, case.k).to(device)
    tokens = torch.randn(case.batch, s.grid ** 2, s.d_model, device=device)
    labels = random_labels(case.batch, s.label_size, case.n_classes).to(device)
    net = torch.compile(model) if case.variant.startswith("compile") else model
    forward = lambda: net(tokens, (s.grid, s.grid))  # noqa: E731
    if case.phase == "infer":
        model.eval()
        return infer_step(forward, (s.label_size, s.label_size), device=device, bf16=bf16)
    model.train()
    return train_step(model, forward, labels, device=device, bf16=bf16)


def prime(case: HeadCase) -> None:
    """Run the same step once at the tiny `test` size, so that loading library code and kernels, and
    starting thread pools, are not counted in the measured step's time or memory."""
    tiny = HeadCase(setting="test", head=case.head, n_classes=64, k=None if case.k is None else 8, batch=1,
                    phase=case.phase, variant="eager_" + case.variant.split("_")[1], device=case.device)
    _build_step(tiny)()


def measure_head(case: HeadCase, plan: TimingPlan, seed: int = 0) -> dict[str, Any]:
    """Build the decoder and random inputs, time `plan.repeats` warm steps after warm-up, and return the per-step
    ``cpu_ms`` and ``wall_ms`` lists plus ``peak_mem_mb`` (model, inputs and steps; see `rankseg.bench.memory`)."""
    torch.manual_seed(seed)
    prime(case)
    device = torch.device(case.device)
    with measure_peak(device) as peak:
        timing = time_step(_build_step(case), device, plan)
    return dict(cpu_ms=timing.cpu_ms, wall_ms=timing.wall_ms, peak_mem_mb=peak.mb)
