"""Checkpoints: one folder per checkpoint, swapped into place whole, holding no pickle.

    run_dir/checkpoint/model.safetensors          weights; the config as JSON in the metadata
    run_dir/checkpoint/trainer_state.safetensors  every tensor of the trainer state (optimiser, torch RNG)
    run_dir/checkpoint/trainer_state.json         the rest: iteration, curves, optimiser hyper-parameters,
                                                  Python and NumPy RNG states

A checkpoint is written into `checkpoint.tmp-*` and renamed into place; the previous one is kept (renamed to
`checkpoint.old`) until the new one is there. A kill at any moment thus leaves one complete checkpoint, the new
one or the previous one, and never weights of one iteration beside the trainer state of another.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

CHECKPOINT_DIR = "checkpoint"
PREVIOUS_DIR = "checkpoint.old"
TMP_PREFIX = "checkpoint.tmp-"
MODEL_FILE = "model.safetensors"
TENSORS_FILE = "trainer_state.safetensors"
STATE_FILE = "trainer_state.json"
FILES = (MODEL_FILE, TENSORS_FILE, STATE_FILE)
LEGACY_STATE_FILE = "trainer_state.pt"  # written by rankseg before checkpoints were folders: a pickle, never read


class UnsafeCheckpointError(RuntimeError):
    """A run directory holds a pickled trainer state, which could run code when loaded."""


def checkpoint_dir(run_dir: Path | str) -> Path | None:
    """The folder of the run's latest complete checkpoint, or None (a legacy run's folder is `run_dir` itself)."""
    run_dir = Path(run_dir)
    for d in (run_dir / CHECKPOINT_DIR, run_dir / PREVIOUS_DIR):  # .old only survives a kill during the swap
        if all((d / f).is_file() for f in FILES):
            return d
    if (run_dir / MODEL_FILE).is_file() and (run_dir / LEGACY_STATE_FILE).is_file():
        return run_dir
    return None


def has_checkpoint(run_dir: Path | str) -> bool:
    return checkpoint_dir(run_dir) is not None


def checkpoint_iteration(run_dir: Path | str) -> int | None:
    """The training step the run's latest checkpoint was written at (read from its JSON state, no tensors), or None
    without a checkpoint or for a legacy one (whose state is a pickle, never read)."""
    d = checkpoint_dir(run_dir)
    if d is None or d == Path(run_dir):
        return None
    return int(json.loads((d / STATE_FILE).read_text())["iteration"])


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj))


def _sync(path: Path) -> None:
    # flush a file or folder to disk, so that a power loss after the rename cannot leave empty files behind it
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _split_tensors(obj: Any, tensors: dict[str, Tensor], path: str) -> Any:
    """`obj` with every tensor moved into `tensors` (under its path) and replaced by {"tensor": path}."""
    if isinstance(obj, Tensor):
        tensors[path] = obj.detach().cpu().contiguous()
        return {"tensor": path}
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise TypeError(f"trainer state {path!r}: only str keys can be stored, got {list(obj)[:5]}")
        return {k: _split_tensors(v, tensors, f"{path}.{k}") for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_split_tensors(v, tensors, f"{path}.{i}") for i, v in enumerate(obj)]
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"trainer state {path!r}: cannot store a {type(obj).__name__} without pickle")


def _join_tensors(obj: Any, tensors: dict[str, Tensor]) -> Any:
    if isinstance(obj, dict):
        if obj.keys() == {"tensor"}:
            return tensors[obj["tensor"]]
        return {k: _join_tensors(v, tensors) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_join_tensors(v, tensors) for v in obj]
    return obj


def _plain_optimizer(sd: dict[str, Any]) -> dict[str, Any]:
    # state is keyed by parameter index (int): kept as [index, state] pairs, which JSON does not turn into str
    return {"state": [[k, v] for k, v in sd["state"].items()], "param_groups": sd["param_groups"]}


def _torch_optimizer(plain: dict[str, Any]) -> dict[str, Any]:
    groups = [{k: tuple(v) if isinstance(v, list) and k != "params" else v for k, v in g.items()}
              for g in plain["param_groups"]]  # JSON stored tuples (AdamW's betas) as lists
    return {"state": {int(k): v for k, v in plain["state"]}, "param_groups": groups}


def save_checkpoint(run_dir: Path | str, model: nn.Module, config_json: str, state: dict[str, Any]) -> Path:
    """Writes the checkpoint of `model` (config in the metadata) and `state` (a dict holding an optimiser
    state_dict under "optimizer", and otherwise tensors, lists, str-keyed dicts and JSON scalars) as one unit;
    returns its folder."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    for stale in run_dir.glob(TMP_PREFIX + "*"):  # left by a kill during an earlier write
        shutil.rmtree(stale)
    weights = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tensors: dict[str, Tensor] = {}
    plain = _split_tensors({**state, "optimizer": _plain_optimizer(state["optimizer"])}, tensors, "state")
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=run_dir))
    save_file(weights, str(tmp / MODEL_FILE), metadata={"config": config_json})
    save_file(tensors, str(tmp / TENSORS_FILE))
    _write_json(tmp / STATE_FILE, plain)
    for f in FILES:
        _sync(tmp / f)
    current, previous = run_dir / CHECKPOINT_DIR, run_dir / PREVIOUS_DIR
    if current.is_dir():
        if previous.exists():  # a stale copy: `current` is complete
            shutil.rmtree(previous)
        os.replace(current, previous)
    os.replace(tmp, current)
    _sync(run_dir)
    shutil.rmtree(previous, ignore_errors=True)
    for legacy in (run_dir / MODEL_FILE, run_dir / LEGACY_STATE_FILE):
        legacy.unlink(missing_ok=True)
    return current


def _latest(run_dir: Path | str) -> Path:
    d = checkpoint_dir(run_dir)
    if d is None:
        raise FileNotFoundError(f"no checkpoint in {run_dir}")
    return d


def stored_config(run_dir: Path | str) -> dict:
    """The config (as a dict) stored with the run's latest checkpoint."""
    with safe_open(str(_latest(run_dir) / MODEL_FILE), "pt") as f:
        return json.loads(f.metadata()["config"])


def load_weights(run_dir: Path | str, model: nn.Module) -> dict:
    """Loads the latest checkpoint's weights into `model`; returns the config stored with them (as a dict)."""
    path = _latest(run_dir) / MODEL_FILE
    try:
        model.load_state_dict(load_file(str(path)))
    except RuntimeError as exc:
        raise RuntimeError(f"the weights in {path} do not fit this model: {exc}") from exc
    return stored_config(run_dir)


def load_state(run_dir: Path | str) -> dict[str, Any]:
    """The trainer state saved with the latest checkpoint (tensors from safetensors, the rest from JSON).

    A legacy `trainer_state.pt` is a pickle, which can run code when loaded: it is refused, never read."""
    d = _latest(run_dir)
    if d == Path(run_dir):
        raise UnsafeCheckpointError(
            f"{d / LEGACY_STATE_FILE} is a pickled trainer state from an older rankseg; loading a pickle can run "
            "code, so it is not read. Start the run again (resume=False, or --no-resume) or delete the folder.")
    state = _join_tensors(json.loads((d / STATE_FILE).read_text()), load_file(str(d / TENSORS_FILE)))
    state["optimizer"] = _torch_optimizer(state["optimizer"])
    return state
