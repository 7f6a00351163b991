"""Peak-memory measurement on CUDA (allocator statistics) and on CPU (the process's peak resident set).

CPU: Linux keeps the peak resident set size (VmHWM) per process, and writing ``5`` to
``/proc/self/clear_refs`` resets it to the current RSS. A measurement trims glibc's free lists
(``malloc_trim``), resets the peak, reads the current RSS as baseline, runs, and reports VmHWM − baseline:
the growth of resident memory while the code ran (tensors, allocator slack and library workspaces alike).
Each benchmark setting runs in its own forked process, so earlier settings leave nothing behind.
"""

from __future__ import annotations

import ctypes
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import torch

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(key: str) -> int:
    match = re.search(rf"^{key}:\s+(\d+) kB", _STATUS.read_text(), flags=re.MULTILINE)
    if match is None:
        raise RuntimeError(f"{key} not found in {_STATUS}")
    return int(match.group(1))


def _malloc_trim() -> None:
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the baseline may then include free heap pages
        pass


@dataclass
class PeakMemory:
    """Filled in when the `measure_peak` block exits: peak memory in MiB above the baseline at entry."""

    mb: float = float("nan")


@contextmanager
def measure_peak(device: torch.device) -> Iterator[PeakMemory]:
    """Peak memory (MiB) allocated while the block runs, above what was allocated when it started.

    CUDA: ``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats`` (tensors only, not the
    caching allocator's reserve). CPU: growth of the peak resident set size (see the module docstring).
    """
    result = PeakMemory()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        yield result
        torch.cuda.synchronize(device)
        result.mb = (torch.cuda.max_memory_allocated(device) - base) / 2**20
    else:
        _malloc_trim()
        _CLEAR_REFS.write_text("5")
        base = _status_kib("VmRSS")
        yield result
        result.mb = (_status_kib("VmHWM") - base) / 1024
