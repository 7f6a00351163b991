"""Checkpoints: model weights as safetensors with the config in the metadata, trainer state beside it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

MODEL_FILE = "model.safetensors"
STATE_FILE = "trainer_state.pt"


def _atomic(path: Path, write) -> None:
    # Write to a temporary file and rename, so a crash mid-write never leaves a corrupt checkpoint.
    tmp = path.with_suffix(path.suffix + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def save_checkpoint(run_dir: Path, model: nn.Module, config_json: str, state: dict[str, Any]) -> None:
    """Writes model.safetensors (config in metadata) and trainer_state.pt (optimiser, iteration, RNG, curves)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    _atomic(run_dir / MODEL_FILE, lambda p: save_file(tensors, str(p), metadata={"config": config_json}))
    _atomic(run_dir / STATE_FILE, lambda p: torch.save(state, p))


def has_checkpoint(run_dir: Path) -> bool:
    return (run_dir / MODEL_FILE).is_file() and (run_dir / STATE_FILE).is_file()


def load_weights(run_dir: Path, model: nn.Module) -> dict:
    """Loads model.safetensors into `model`; returns the config stored with it (as a dict)."""
    from safetensors import safe_open

    path = run_dir / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    model.load_state_dict(load_file(str(path)))
    with safe_open(str(path), "pt") as f:
        return json.loads(f.metadata()["config"])


def load_state(run_dir: Path) -> dict[str, Any]:
    return torch.load(run_dir / STATE_FILE, weights_only=False)
