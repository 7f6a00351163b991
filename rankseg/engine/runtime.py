"""Device, seeds, autocast and torchrun/DDP set-up."""

from __future__ import annotations

import contextlib
import os
import platform
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist


def pick_device(name: str = "auto") -> torch.device:
    """`auto` takes CUDA when present, else the CPU; under torchrun each process takes its LOCAL_RANK GPU."""
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return torch.device("cpu")


def describe_device(device: torch.device) -> str:
    """The hardware, for provenance columns: the GPU's name, or the CPU's model and thread count."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = platform.processor() or "cpu"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        model = names[0] if names else model
    return f"{model} ({torch.get_num_threads()} threads)"


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def autocast(device: torch.device, enabled: bool):
    """bf16 autocast on CUDA; a no-op elsewhere (CPU autocast slows these models down)."""
    if enabled and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_distributed(device: torch.device) -> DistInfo:
    """Joins the process group when launched by torchrun (WORLD_SIZE > 1); otherwise single-process."""
    world = int(os.environ.get("WORLD_SIZE", 1))
    if world <= 1:
        return DistInfo()
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    return DistInfo(rank=dist.get_rank(), world_size=dist.get_world_size())


def rng_state() -> dict:
    """Every RNG's state without pickle: Python's and NumPy's as lists, torch's as uint8 tensors."""
    version, words, gauss = random.getstate()
    name, key, pos, has_gauss, cached = np.random.get_state()
    state = {"python": [version, list(words), gauss], "numpy": [name, key.tolist(), pos, has_gauss, cached],
             "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restores what `rng_state` returned (also after a JSON round trip, which turns tuples into lists)."""
    version, words, gauss = state["python"]
    random.setstate((version, tuple(words), gauss))
    name, key, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(key, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def progress_bar(iterable, *, enabled: bool = True, **kwargs):
    """tqdm.auto bar; `enabled=False` silences it, and when enabled the TQDM_* environment variables
    (TQDM_DISABLE=1 in tests and batch runs) still apply, which an explicit `disable=` would override."""
    from tqdm.auto import tqdm

    return tqdm(iterable, **kwargs) if enabled else tqdm(iterable, disable=True, **kwargs)


def dist_rank_world() -> tuple[int, int]:
    """(rank, world size) of the initialised process group, (0, 1) without one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def shard(n: int, rank: int, world: int) -> range:
    """The contiguous slice of 0..n-1 that `rank` of `world` takes (sizes differ by at most one)."""
    return range(rank * n // world, (rank + 1) * n // world)


def all_reduce_sum(t: torch.Tensor) -> torch.Tensor:
    """The element-wise sum of `t` over all ranks (in place)."""
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


def all_gather_rows(t: torch.Tensor) -> torch.Tensor:
    """(M_r, ...) from every rank → (sum M_r, ...), concatenated in rank order (rows may differ in number)."""
    world = dist.get_world_size()
    counts = [torch.zeros(1, dtype=torch.long) for _ in range(world)]
    dist.all_gather(counts, torch.tensor([len(t)]))
    most = int(max(counts))
    padded = torch.zeros((most, *t.shape[1:]), dtype=t.dtype)
    padded[: len(t)] = t
    parts = [torch.empty_like(padded) for _ in range(world)]
    dist.all_gather(parts, padded)
    return torch.cat([p[: int(c)] for p, c in zip(parts, counts, strict=True)])
