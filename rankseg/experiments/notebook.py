"""The set-up cell of every notebook: parameters in, a context that runs, saves and labels results out."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from rankseg.config import Config, override, profile as make_profile
from rankseg.engine.evaluate import EvalOptions, evaluate
from rankseg.engine.runtime import describe_device, pick_device
from rankseg.experiments import output
from rankseg.experiments.cost import count_flops, count_parameters
from rankseg.experiments.runner import RunRecord, load_model, run
from rankseg.paths import ROOT

PROFILES = ("ci", "default", "paper")


@dataclass
class Context:
    """Everything a notebook needs after its parameters cell."""

    base: Config
    seeds: list[int]
    retrain: bool = False
    results: Path = field(default_factory=Path)
    figures: Path = field(default_factory=Path)
    _val: Any = field(default=None, repr=False)
    _models: dict = field(default_factory=dict, repr=False)

    @property
    def profile(self) -> str:
        return self.base.name

    def config(self, changes: dict[str, Any] | None = None, seed: int | None = None) -> Config:
        """The base config with dotted-key changes (and a training seed)."""
        cfg = override(self.base, changes or {})
        return override(cfg, {"train.seed": self.seeds[0] if seed is None else seed})

    def run(self, changes: dict[str, Any] | None = None, seed: int | None = None) -> RunRecord:
        return run(self.config(changes, seed), retrain=self.retrain)

    def run_seeds(self, changes: dict[str, Any] | None = None) -> list[RunRecord]:
        return [self.run(changes, seed) for seed in self.seeds]

    def load_model(self, record: RunRecord):
        """The run's (model, ranker), loaded once per notebook session."""
        if record.key not in self._models:
            self._models[record.key] = load_model(record)
        return self._models[record.key]

    def cost(self, record: RunRecord) -> dict[str, float]:
        """Parameters (M) and inference GFLOPs on one image of the run's size, from torch's FLOP counter."""
        model, ranker = self.load_model(record)
        return {"params (M)": count_parameters(model, ranker) / 1e6,
                "GFLOPs": count_flops(model, record.config.data.image_size, ranker=ranker) / 1e9}

    def val_set(self):
        from rankseg.data import build_datasets

        if self._val is None:
            self._val = build_datasets(self.base.data)[1]
        return self._val

    def evaluate(self, record: RunRecord, **options: Any) -> dict[str, float]:
        """Re-evaluates a run's model with other EvalOptions (oracle, top_k, threshold) on the val split."""
        model, ranker = self.load_model(record)
        t = record.config.train
        result = evaluate(model, self.val_set(), batch_size=t.eval_batch_size, ranker=ranker, amp=t.amp,
                          options=EvalOptions(**options), progress=False)
        return dict(sorted(result.summary().items()))  # the key order of a run's `final` (see RunRecord)

    @property
    def device_name(self) -> str:
        return describe_device(pick_device(self.base.train.device))

    def save_table(self, df: pd.DataFrame, name: str) -> Path:
        return output.save_table(df, name, profile=self.profile, dataset=self.base.data.name,
                                 seeds=",".join(map(str, self.seeds)), device=self.device_name)

    def save_figure(self, fig: plt.Figure, name: str) -> Path:
        return output.save_figure(fig, name, profile=self.profile)


def setup(*, profile: str | None = None, dataset: str = "emojiscenes", data_root: str | None = None,
          num_classes: int | None = None, device: str = "auto", seeds: list[int] | tuple[int, ...] = (0,),
          retrain: bool = False, results_root: str | None = None, figures_root: str | None = None) -> Context:
    """Validates the notebook parameters and builds the context.

    `profile=None` reads $RANKSEG_PROFILE (the nbval runs set it to `ci`) and falls back to `default`.
    Relative `data_root`, `results_root` and `figures_root` are taken from the project root, whatever the kernel's
    working directory (`notebooks/` in JupyterLab, the project root under papermill).
    """
    profile = profile or os.environ.get("RANKSEG_PROFILE", "default")
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; use one of {PROFILES}")
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    data_kwargs: dict[str, Any] = {}
    if data_root is not None:
        data_kwargs["root"] = str(project_path(data_root))
    if profile == "paper":
        base = make_profile("paper", dataset, **data_kwargs)
    else:
        base = make_profile(profile)
        changes: dict[str, Any] = {"data.name": dataset, **{f"data.{k}": v for k, v in data_kwargs.items()}}
        base = override(base, changes)
    if num_classes is not None:
        base = override(base, {"data.num_classes": num_classes})
    base = override(base, {"train.device": device})
    output.RESULTS_OVERRIDE = project_path(results_root) if results_root else None
    output.FIGURES_OVERRIDE = project_path(figures_root) if figures_root else None
    ctx = Context(base=base, seeds=list(seeds), retrain=retrain, results=output.results_dir(profile),
                  figures=output.figure_dir(profile))
    output.set_style()
    return ctx


def project_path(path: str | Path) -> Path:
    """`path` itself if absolute (after `~` expansion), else the same path under the project root."""
    return ROOT / Path(path).expanduser()
