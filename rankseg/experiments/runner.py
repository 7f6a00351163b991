"""Cached experiment runs: a run is keyed by its config; a finished run's record is reused.

Records (config, final scores, curves, time, device) are small JSON files under results/<profile>/runs/
and are committed; checkpoints live under runs/<key>/ (not committed). Re-running a notebook to restyle a
figure therefore trains nothing, and a killed run resumes from its last checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from torch import nn
from torch.utils.data import Dataset

from rankseg.config import Config, key_dict
from rankseg.engine.checkpoint import has_checkpoint, load_weights
from rankseg.engine.runtime import describe_device, pick_device
from rankseg.engine.train import train
from rankseg.experiments.output import results_dir
from rankseg.models.build import build_classifier, build_model
from rankseg.paths import RUNS


def run_key(cfg: Config) -> str:
    return hashlib.sha1(json.dumps(key_dict(cfg), sort_keys=True).encode()).hexdigest()[:12]


@dataclass
class RunRecord:
    """A finished run: its config, final scores (EvalResult.summary()), curves and cost."""

    key: str
    config: Config
    final: dict[str, float]
    curves: pd.DataFrame
    seconds: float
    device: str

    @property
    def run_dir(self) -> Path:
        return RUNS / self.key


def _record_path(cfg: Config, key: str) -> Path:
    return results_dir(cfg.name) / "runs" / f"{key}.json"


def run(cfg: Config, *, retrain: bool = False, datasets: tuple[Dataset, Dataset] | None = None,
        progress: bool = True) -> RunRecord:
    """Trains and evaluates `cfg`, or returns the stored record of an identical earlier run."""
    key = run_key(cfg)
    path = _record_path(cfg, key)
    if path.is_file() and not retrain:
        d = json.loads(path.read_text())
        return RunRecord(key=key, config=Config.from_dict(d["config"]), final=d["final"],
                         curves=pd.DataFrame(d["curves"]), seconds=d["seconds"], device=d["device"])
    start = time.time()
    result = train(cfg, RUNS / key, resume=not retrain, datasets=datasets, progress=progress)
    record = RunRecord(key=key, config=cfg, final=result.final.summary(), curves=result.curves,
                       seconds=round(time.time() - start, 1), device=describe_device(pick_device(cfg.train.device)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"config": cfg.to_dict(), "final": record.final, "seconds": record.seconds,
                                "device": record.device, "curves": json.loads(result.curves.to_json(orient="records"))},
                               indent=1, sort_keys=True))
    return record


def load_model(record: RunRecord, *, datasets: tuple[Dataset, Dataset] | None = None,
               progress: bool = True) -> tuple[nn.Module, nn.Module | None]:
    """The trained model of a run (and its independent classifier, if any), on the run's device.

    Checkpoints are not committed: when this machine has none, the run is trained again (deterministic
    on the same hardware; its stored record is left as it was)."""
    cfg = record.config
    device = pick_device(cfg.train.device)
    if not has_checkpoint(record.run_dir):
        _trainer(cfg)(cfg, record.run_dir, datasets=datasets, progress=progress)
    model = build_model(cfg)
    load_weights(record.run_dir, model)
    ranker = None
    if cfg.model.scheme == "independent":
        ranker = build_classifier(cfg)
        load_weights(record.run_dir / "classifier", ranker)
        ranker = ranker.to(device).eval()
    return model.to(device).eval(), ranker


__all__ = ["RunRecord", "load_model", "run", "run_key"]
