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
    """How a step is timed in one process: `warmup` untimed calls, then `repeats` timed ones.

    Every timed call is warm: there is no cold-sample path. A setting whose warm-up and `min_repeats` timed
    calls do not fit within `budget_s` (checked after each call) stops early; if it has fewer than
    `min_repeats` samples it is reported as not measured, never as a cold call.
    """

    warmup: int = 1
    repeats: int = 3
    min_repeats: int = 2
    budget_s: float = 40.0


class NotMeasured(RuntimeError):
    """A setting that could not get `min_repeats` warm timed calls within its budget."""


@dataclass
class Timing:
    """Warm step times in milliseconds: CPU time of the process (``time.process_time``, every thread of it)
    and wall-clock time, one entry per timed call."""

    cpu_ms: list[float] = field(default_factory=list)
    wall_ms: list[float] = field(default_factory=list)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_step(step: Callable[[], Any], device: torch.device, plan: TimingPlan) -> Timing:
    """CPU and wall time of warm calls of `step()` (CUDA work synchronised before and after each call).

    Raises NotMeasured when the warm-up and `plan.min_repeats` timed calls do not fit in `plan.budget_s`.
    """
    timing = Timing()
    start = time.perf_counter()
    for _ in range(max(plan.warmup, 1)):
        _sync(device)
        step()
        _sync(device)
    while len(timing.cpu_ms) < plan.repeats:
        _sync(device)
        w0, c0 = time.perf_counter(), time.process_time()
        step()
        _sync(device)
        timing.cpu_ms.append((time.process_time() - c0) * 1e3)
        timing.wall_ms.append((time.perf_counter() - w0) * 1e3)
        if time.perf_counter() - start + timing.wall_ms[-1] / 1e3 > plan.budget_s:
            break
    if len(timing.cpu_ms) < plan.min_repeats:
        raise NotMeasured(f"not measured: {len(timing.cpu_ms)} warm repeat(s) within the {plan.budget_s:.0f} s "
                          f"budget (needs {plan.min_repeats})")
    return timing


def summarise(samples: list[float]) -> dict[str, float]:
    """Median, quartiles, minimum and maximum of pooled samples (NaN when there are none)."""
    if not samples:
        return dict(median=float("nan"), q1=float("nan"), q3=float("nan"), min=float("nan"), max=float("nan"))
    q = statistics.quantiles(samples, n=4, method="inclusive") if len(samples) > 1 else [samples[0]] * 3
    return dict(median=statistics.median(samples), q1=q[0], q3=q[2], min=min(samples), max=max(samples))


def _child(conn, fn: Callable[..., dict[str, Any]], kwargs: dict[str, Any], threads: int | None) -> None:
    try:
        if threads is not None:
            torch.set_num_threads(threads)
        conn.send(("ok", fn(**kwargs)))
    except NotMeasured as err:
        conn.send(("not_measured", str(err)))
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
    (status, result or message) with status one of ``ok``, ``oom``, ``timeout``, ``not_measured``, ``error``. `fn` must be a
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
