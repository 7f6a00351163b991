"""The set-up cell of every notebook: parameters in, a context that runs, saves and labels results out."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rankseg.config import Config, override, profile as make_profile
from rankseg.data.build import build_datasets
from rankseg.engine.evaluate import EvalOptions
from rankseg.engine.train import evaluate_run, validation_set
from rankseg.engine.runtime import describe_device, pick_device
from rankseg.experiments import output
from rankseg.experiments.cost import count_flops, count_parameters
from rankseg.experiments.plots import Sample, predict_samples
from rankseg.experiments.prior import cached_class_frequency_prior
from rankseg.experiments.runner import RunRecord, derived, derived_arrays, load_model, run
from rankseg.experiments.tables import with_prior_rows
from rankseg.models.build import build_classifier, build_model
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
    _vals: dict = field(default_factory=dict, repr=False)
    _models: dict = field(default_factory=dict, repr=False)
    _data: dict = field(default_factory=dict, repr=False)

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
        """The run's trained (model, ranker), loaded once per notebook session (retrained if this machine has no
        checkpoint). Prefer the cached accessors below: they need no model when the cache is committed."""
        if record.key not in self._models:
            self._models[record.key] = load_model(record)
        return self._models[record.key]

    def derived(self, record: RunRecord, name: str, compute: Callable[[], Any]) -> Any:
        """A JSON value computed from a run's model, cached beside its record (committed, so a fresh clone
        needs no model); `compute()` runs only when the cache lacks `name`."""
        return derived(record, name, compute)

    def cost(self, record: RunRecord) -> dict[str, float]:
        """Parameters (M) and inference GFLOPs on one image of the run's size, from torch's FLOP counter.
        Both depend on the architecture only, so they are counted on an untrained model of the run's config."""
        cfg = record.config
        model = build_model(cfg).eval()
        ranker = build_classifier(cfg).eval() if cfg.model.scheme == "independent" else None
        return {"params (M)": count_parameters(model, ranker) / 1e6,
                "GFLOPs": count_flops(model, cfg.data.image_size, ranker=ranker) / 1e9}

    def val_set(self, cfg: Config | None = None):
        """The validation split runs of `cfg` (default: the notebook's base config) are evaluated on, built once."""
        cfg = cfg or self.base
        key = (cfg.model.framework == "mask2former", cfg.data, cfg.mask2former.task, cfg.mask2former.clip_frames)
        if key not in self._vals:
            self._vals[key] = validation_set(cfg)
        return self._vals[key]

    def evaluate(self, record: RunRecord, **options: Any) -> dict[str, float]:
        """Re-evaluates a run's model with other EvalOptions (oracle, top_k, threshold) on the val split (cached)."""
        def compute() -> dict[str, float]:
            model, ranker = self.load_model(record)
            result = evaluate_run(model, record.config, self.val_set(record.config), ranker=ranker,
                                  options=EvalOptions(**options))
            return result.summary()  # stored, like a run's `final`, with its keys in one (sorted) order

        return self.derived(record, "evaluate " + json.dumps(options, sort_keys=True), compute)

    def temperatures(self, record: RunRecord) -> list[float]:
        """The learned rank-adaptive temperature of each rank position (paper Fig. 7), cached."""
        def compute() -> list[float]:
            model, _ = self.load_model(record)
            return model.decoder.rankseg.temperature.temperatures().cpu().tolist()

        return self.derived(record, "temperatures", compute)

    def samples(self, record: RunRecord, indices) -> list[Sample]:
        """The run's predictions (and multi-label scores, selected classes) on validation images `indices`;
        the arrays are cached beside the record, the images and labels come from the (generated) val split."""
        indices, val = [int(i) for i in indices], self.val_set()
        text = ",".join(map(str, indices))
        name = "predictions " + (text if len(text) <= 40 else hashlib.sha1(text.encode()).hexdigest()[:12])

        def compute():
            model, ranker = self.load_model(record)
            ss = predict_samples(model, val, indices, ranker=ranker)
            arrays = {"indices": np.array(indices), "pred": np.stack([s.pred for s in ss]).astype(np.int32)}
            if ss[0].scores is not None:
                arrays["scores"] = np.stack([s.scores for s in ss])
            if ss[0].selected is not None:
                arrays["selected"] = np.stack([s.selected for s in ss])
            return arrays

        arrays = derived_arrays(record, name, compute)
        out = []
        for j, i in enumerate(indices):
            image, label = val[i]
            out.append(Sample(image=image.permute(1, 2, 0).numpy(), label=label.numpy(),
                              pred=arrays["pred"][j].astype(np.int64),
                              scores=arrays["scores"][j] if "scores" in arrays else None,
                              selected=arrays["selected"][j] if "selected" in arrays else None))
        return out

    def class_frequency_prior(self, k: int | None = None, cfg: Config | None = None) -> dict[str, float]:
        """recall_at_k and map (%) of the class-frequency prior (`rankseg.experiments.prior`) on the data of `cfg`
        (default: the notebook's base config) at K = `k` (default: cfg.model.top_k). Read from
        results/<profile>/prior/ when cached there (committed), else computed from every label and stored."""
        cfg = cfg or self.base
        k = cfg.model.top_k if k is None else k

        def datasets():  # built once per data config: a second K reuses the rendered scenes
            if cfg.data not in self._data:
                self._data[cfg.data] = build_datasets(cfg.data)
            return self._data[cfg.data]

        return cached_class_frequency_prior(cfg, k, datasets=datasets)

    def with_prior(self, table: pd.DataFrame, *, label: str, k: str | None = None,
                   columns: dict[str, str] | None = None, fill: dict[str, Any] | None = None,
                   cfg: Config | None = None) -> pd.DataFrame:
        """`table` with the class-frequency prior's row appended (`tables.with_prior_rows`): at the K of each row
        when the table has a K column `k` (one prior row per K), else at cfg.model.top_k."""
        cfg = cfg or self.base
        ks = sorted({int(v) for v in table[k].dropna()}) if k is not None else [cfg.model.top_k]
        return with_prior_rows(table, {kk: self.class_frequency_prior(kk, cfg) for kk in ks}, label=label, k=k,
                               columns=columns, fill=fill)

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
    base = make_profile(profile, dataset, **data_kwargs)  # with the data set's own vocabulary size
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


def say(markdown: str) -> None:
    """Shows a notebook's reading of a result: rendered Markdown in a Jupyter kernel, plain text elsewhere.

    Arguments:
        markdown: the reading, its numbers already formatted in (an f-string over the table).
    """
    ipython = sys.modules.get("IPython")  # not imported here: a kernel has always loaded it
    shell = ipython.get_ipython() if ipython is not None else None
    if getattr(shell, "kernel", None) is not None:
        ipython.display.display(ipython.display.Markdown(markdown))
    else:
        print(markdown)
