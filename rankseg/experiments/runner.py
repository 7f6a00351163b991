"""Cached experiment runs: a run is keyed by the result-relevant part of its config; a finished run's record is
reused.

Records (config, final scores, curves, time, device, provenance) are small JSON files under
results/<profile>/runs/ and are committed; checkpoints live under runs/<key>/ (not committed). What a notebook
computes from a trained model (re-evaluations, learned temperatures, predictions of the images a figure shows)
is cached beside the records (`derived/<key>.json`, `derived/<key>.npz`) and committed too, so a fresh clone
renders every figure and table without training; `retrain=True` recomputes it all.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import timm
import torch
from torch import nn
from torch.utils.data import Dataset

from rankseg.config import KEY_SCHEMA, Config, result_dict
from rankseg.engine.checkpoint import checkpoint_iteration, has_checkpoint, load_weights
from rankseg.engine.curves import late_change
from rankseg.engine.runtime import describe_device, pick_device
from rankseg.engine.train import train
from rankseg.experiments.output import git_revision, results_dir
from rankseg.models.build import build_classifier, build_model
from rankseg.paths import RUNS


def run_key(cfg: Config) -> str:
    """12 hex digits of the hash of the key schema and the config's result-relevant fields."""
    payload = {"schema": KEY_SCHEMA, "config": result_dict(cfg)}
    return hashlib.sha1(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]


def software_versions() -> dict[str, str]:
    return {"python": platform.python_version(), "torch": torch.__version__, "timm": timm.__version__,
            "numpy": np.__version__}


@dataclass
class RunRecord:
    """A finished run: its config, final scores (EvalResult.summary()), curves, cost and provenance
    (the git revision and library versions that trained it)."""

    key: str
    config: Config
    final: dict[str, float]
    curves: pd.DataFrame
    seconds: float
    device: str
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Stored records are JSON with sorted keys: a fresh run's scores take the same order, so that a table has
        # the same columns whether its runs were trained now or read from results/.
        self.final = dict(sorted(self.final.items()))

    @property
    def run_dir(self) -> Path:
        return RUNS / self.key

    @property
    def path(self) -> Path:
        return record_path(self.config, self.key)


def record_path(cfg: Config, key: str) -> Path:
    return results_dir(cfg.name) / "runs" / f"{key}.json"


def read_record(path: Path) -> RunRecord:
    """A stored record. One written before runs stored `miou_late_change` gets it from its own curves, with the
    function a run applies when it finishes (the file itself is left as it is)."""
    d = json.loads(path.read_text())
    cfg, curves, final = Config.from_dict(d["config"]), pd.DataFrame(d["curves"]), d["final"]
    if "miou_late_change" not in final:
        final = {**final, "miou_late_change": late_change(curves, cfg.train.iterations)}
    return RunRecord(key=path.stem, config=cfg, final=final, curves=curves, seconds=d["seconds"], device=d["device"],
                     provenance=d.get("provenance", {}))


def write_record(record: RunRecord) -> None:
    record.path.parent.mkdir(parents=True, exist_ok=True)
    curves = json.loads(record.curves.to_json(orient="records"))
    record.path.write_text(json.dumps({"schema": KEY_SCHEMA, "config": record.config.to_dict(), "final": record.final,
                                       "seconds": record.seconds, "device": record.device,
                                       "provenance": record.provenance, "curves": curves}, indent=1, sort_keys=True))


def run(cfg: Config, *, retrain: bool = False, datasets: tuple[Dataset, Dataset] | None = None,
        progress: bool = True) -> RunRecord:
    """Trains and evaluates `cfg`, or returns the stored record of an earlier run with the same result-relevant
    config (operational settings such as the device or the number of workers may differ)."""
    cached = None if retrain else cached_record(cfg)
    if cached is not None:
        return cached
    record = _train_record(cfg, run_key(cfg), datasets=datasets, progress=progress, resume=not retrain)
    _replace_record(record)
    return record


def cached_record(cfg: Config) -> RunRecord | None:
    """The stored record of a run with `cfg`'s result-relevant config, or None if it has not been trained."""
    key = run_key(cfg)
    path = record_path(cfg, key)
    return read_record(path) if path.is_file() else None


def _replace_record(record: RunRecord) -> None:
    """Writes a (re)trained run's record and drops the results derived from the model it replaces."""
    write_record(record)
    for stale in derived_paths(record):
        stale.unlink(missing_ok=True)


def _train_record(cfg: Config, key: str, *, datasets, progress: bool, resume: bool) -> RunRecord:
    start = time.time()
    result = train(cfg, RUNS / key, resume=resume, datasets=datasets, progress=progress)
    final = {**result.final.summary(), "miou_late_change": late_change(result.curves, cfg.train.iterations)}
    return RunRecord(key=key, config=cfg, final=final, curves=result.curves,
                     seconds=round(time.time() - start, 1), device=describe_device(pick_device(cfg.train.device)),
                     provenance={"git_revision": git_revision(), **software_versions()})


def load_model(record: RunRecord, *, datasets: tuple[Dataset, Dataset] | None = None,
               progress: bool = True) -> tuple[nn.Module, nn.Module | None]:
    """The trained model of a run (and its independent classifier, if any), on the run's device.

    Checkpoints are not committed: when this machine has none, the run is trained again (and one short of the
    schedule, left by an interrupted retraining, is trained on to the end, never read as the model). Training is
    deterministic only on the same hardware, threads and library versions, so when the new run's scores differ
    from the record's, the record is replaced by the new run (and its derived results dropped): every number
    then shown for the run comes from the one model that exists here."""
    cfg = record.config
    device = pick_device(cfg.train.device)
    # a checkpoint short of the schedule is an interrupted retraining here, not the recorded model: finish it
    step = checkpoint_iteration(record.run_dir)
    if not has_checkpoint(record.run_dir) or (step is not None and step < cfg.train.iterations):
        fresh = _train_record(cfg, record.key, datasets=datasets, progress=progress, resume=True)
        if _json(fresh.final) != _json(record.final):  # as JSON, so that NaN equals NaN
            changed = {k: (record.final.get(k), v) for k, v in fresh.final.items()
                       if _json(record.final.get(k)) != _json(v)}
            warnings.warn(f"run {record.key} retrained here differs from its record ({_describe(changed)}): "
                          f"the record is replaced by this run", stacklevel=2)
            _replace_record(fresh)
            record.final, record.curves, record.seconds = fresh.final, fresh.curves, fresh.seconds
            record.device, record.provenance = fresh.device, fresh.provenance
    model = build_model(cfg)
    load_weights(record.run_dir, model)
    ranker = None
    if cfg.model.scheme == "independent":
        ranker = build_classifier(cfg)
        load_weights(record.run_dir / "classifier", ranker)
        ranker = ranker.to(device).eval()
    return model.to(device).eval(), ranker


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _describe(changed: dict[str, tuple[Any, Any]]) -> str:
    shown = [k for k in ("miou", "map", "recall_at_k", "pq") if k in changed] or sorted(changed)[:3]
    return ", ".join(f"{k} {a:.4g} -> {b:.4g}" if isinstance(a, float) and isinstance(b, float) else f"{k} {a} -> {b}"
                     for k in shown for a, b in [changed[k]])


# --- results derived from a trained model, cached beside the record ------------------------------------------
def derived_paths(record: RunRecord) -> tuple[Path, Path]:
    """`<runs>/derived/<key>.json` (values) and `<key>.npz` (arrays), beside the run records."""
    folder = record.path.parent / "derived"
    return folder / f"{record.key}.json", folder / f"{record.key}.npz"


def derived(record: RunRecord, name: str, compute: Callable[[], Any]) -> Any:
    """The JSON value `name` derived from a run's model: read from `derived/<key>.json`, or computed by
    `compute()` (which may load or retrain the model) and stored there. A run retrained drops them all."""
    path = derived_paths(record)[0]
    store = json.loads(path.read_text()) if path.is_file() else {}
    if name not in store:
        # what is returned is exactly what a later read gives, the keys of a dict in the file's (sorted) order
        store[name] = json.loads(json.dumps(compute(), sort_keys=True))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(store, indent=1, sort_keys=True))
    return store[name]


def derived_arrays(record: RunRecord, name: str, compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Like `derived`, for arrays (e.g. predicted label maps): stored as `<name>/<array>` in `derived/<key>.npz`."""
    path = derived_paths(record)[1]
    store = dict(np.load(path)) if path.is_file() else {}
    prefix = f"{name}/"
    if not any(k.startswith(prefix) for k in store):
        store = {k: v for k, v in store.items() if not k.startswith(prefix)}
        store.update({prefix + k: np.asarray(v) for k, v in compute().items()})
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **store)
    return {k[len(prefix):]: v for k, v in store.items() if k.startswith(prefix)}


__all__ = ["RunRecord", "derived", "derived_arrays", "load_model", "read_record", "record_path", "run", "run_key",
           "software_versions", "write_record"]
