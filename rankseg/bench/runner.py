"""Run one benchmark setting in a child process with a hard time limit, and time steps in it.

Every setting runs in a fresh process (forked on CPU, spawned on CUDA since CUDA does not survive a
fork), so a setting that hangs is killed after `cap_s`, one that is killed for memory does not take the
benchmark with it, and peak-memory readings do not carry over from one setting to the next.
"""

from __future__ import annotations

import multiprocessing as mp
import statistics
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

import torch


@dataclass(frozen=True)
class TimingPlan:
    """How a step is timed: `warmup` untimed calls, then up to `repeats` timed ones within `budget_s`.

    A first call slower than `slow_s` is taken as the only measurement (no warm-up): one-time costs are
    then small next to the step, and repeating it would not fit the time cap.
    """

    warmup: int = 1
    repeats: int = 5
    budget_s: float = 40.0
    slow_s: float = 5.0


@dataclass
class Timing:
    """Step times in milliseconds; `ms_median` is their median."""

    times_ms: list[float] = field(default_factory=list)

    @property
    def ms_median(self) -> float:
        return statistics.median(self.times_ms)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_step(step: Callable[[], Any], device: torch.device, plan: TimingPlan) -> Timing:
    """Median-of-repeats wall time of `step()` (CUDA work synchronised before and after each call)."""
    timing = Timing()
    start = time.perf_counter()
    for i in range(max(plan.warmup, 1)):
        _sync(device)
        t0 = time.perf_counter()
        step()
        _sync(device)
        first = time.perf_counter() - t0
        if i == 0 and first > plan.slow_s:
            timing.times_ms.append(first * 1e3)
            return timing
    while len(timing.times_ms) < plan.repeats:
        _sync(device)
        t0 = time.perf_counter()
        step()
        _sync(device)
        dt = time.perf_counter() - t0
        timing.times_ms.append(dt * 1e3)
        if time.perf_counter() - start + dt > plan.budget_s:
            break
    return timing


def _child(conn, fn: Callable[..., dict[str, Any]], kwargs: dict[str, Any], threads: int | None) -> None:
    try:
        if threads is not None:
            torch.set_num_threads(threads)
        conn.send(("ok", fn(**kwargs)))
    except torch.cuda.OutOfMemoryError as err:
        conn.send(("oom", str(err).splitlines()[0]))
    except RuntimeError as err:
        msg = str(err)
        kind = "oom" if "out of memory" in msg.lower() or "can't allocate memory" in msg else "error"
        conn.send((kind, msg.splitlines()[0] if msg else repr(err)))
    except BaseException:  # report anything else to the parent instead of dying silently
        conn.send(("error", traceback.format_exc(limit=3).strip().splitlines()[-1]))
    finally:
        conn.close()


def run_isolated(fn: Callable[..., dict[str, Any]], kwargs: dict[str, Any], *, device: torch.device,
                 cap_s: float, threads: int | None = None) -> tuple[str, dict[str, Any] | str]:
    """Call ``fn(**kwargs)`` in a child process (with `threads` intra-op CPU threads when given); returns
    (status, result or message) with status one of ``ok``, ``oom``, ``timeout``, ``error``. `fn` must be a
    module-level function (spawn pickles it)."""
    ctx = mp.get_context("spawn" if device.type == "cuda" else "fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, kwargs, threads), daemon=True)
    proc.start()
    child.close()
    try:
        if parent.poll(cap_s):
            try:
                return parent.recv()
            except EOFError:  # the child died before it could answer
                pass
        else:
            proc.kill()
            proc.join()
            return "timeout", f"timeout: over the {cap_s:.0f} s cap per setting"
        proc.join(10)
        code = proc.exitcode
        if code is not None and code < 0:
            return "oom", f"killed by signal {-code} (out of memory?)"
        return "error", f"child exited with code {code}"
    finally:
        if proc.is_alive():
            proc.kill()
            proc.join()
        parent.close()
