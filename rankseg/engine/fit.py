"""The training loop every model shares: resumable, logged as it goes, checkpointed, distributed-aware.

`fit` knows nothing of what it trains: a step function returns the named losses of one batch, an evaluation
function returns named scores. engine/train.py (pixel classification) and engine/mask_classification.py
(region classification) both drive it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset

from rankseg.config import Config, result_differences
from rankseg.engine.checkpoint import has_checkpoint, load_state, load_weights, save_checkpoint, stored_config
from rankseg.engine.curves import CurveLog
from rankseg.engine.data import IterationBatches, SeededSamples, collate, to_float_images
from rankseg.engine.evaluate import EvalResult
from rankseg.engine.optim import build_optimizer, poly_lr, set_lr
from rankseg.engine.runtime import autocast, init_distributed, progress_bar, rng_state, set_rng_state

StepFn = Callable[[nn.Module, Tensor, Tensor], dict[str, Tensor]]


@dataclass
class TrainResult:
    """A trained model, its curves (one row per logged or evaluated iteration) and the final scores."""

    model: nn.Module
    curves: pd.DataFrame
    final: EvalResult
    run_dir: Path
    ranker: nn.Module | None = None


def fit(model: nn.Module, train_set: Dataset, cfg: Config, run_dir: Path, *, step: StepFn,
        evaluate_fn: Callable[[nn.Module], dict[str, float]], ml_params: list[nn.Parameter], iterations: int,
        resume: bool = True, progress: bool = True, desc: str = "train",
        allow_config_change: bool = False) -> pd.DataFrame:
    """Trains `model` for `iterations` steps of `step` (which returns named losses, "total" among them).

    Logs every `log_every` steps (appended to curves.csv as it goes), evaluates every `eval_every` steps and at
    the end, checkpoints every `checkpoint_every` steps and before and after each evaluation. With `resume`, a
    run that was killed continues from its last checkpoint and reproduces the curve an uninterrupted run would
    have written; a checkpoint whose config differs in a result-relevant field is refused unless
    `allow_config_change` (the change is then recorded in the checkpoint).
    """
    t = cfg.train
    device = next(model.parameters()).device
    dist_info = init_distributed(device)
    optimizer = build_optimizer(model, t, ml_params)
    start, rows, pending_eval, changes = 0, [], False, []
    if resume and has_checkpoint(run_dir):
        state = load_state(run_dir)
        changed = _check_config(run_dir, cfg, allow_config_change)
        hyper = [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
        try:
            load_weights(run_dir, model)
            optimizer.load_state_dict(state["optimizer"])
        except (RuntimeError, ValueError) as exc:
            if not changed:
                raise
            raise RuntimeError(f"the checkpoint in {run_dir} cannot continue with the changed fields "
                               f"{', '.join(changed)}: {exc}") from exc
        if changed:  # the new config's hyper-parameters, not the checkpoint's
            for group, h in zip(optimizer.param_groups, hyper, strict=True):
                group.update(h)
        start, rows, pending_eval = state["iteration"], state["curves"], state.get("pending_eval", False)
        changes = state.get("config_changes", []) + ([{"iteration": start, "fields": changed}] if changed else [])
        set_rng_state(state["rng"])
    log = CurveLog(run_dir, rows, tensorboard=t.tensorboard) if dist_info.is_main else None

    def save(it: int, pending: bool) -> None:
        if dist_info.is_main:
            state = {"optimizer": optimizer.state_dict(), "iteration": it, "curves": rows, "rng": rng_state(),
                     "pending_eval": pending, "config_changes": changes}
            save_checkpoint(run_dir, model, cfg.to_json(), state)
        if dist_info.world_size > 1:
            dist.barrier()

    def record(row: dict) -> None:
        rows.append(row)
        if log is not None:
            log.append(row, rows)

    def evaluate_and_save(it: int) -> None:
        record({"iteration": it, **evaluate_fn(model)})
        model.train()
        save(it, pending=False)

    if pending_eval:  # killed during the evaluation that follows this checkpoint
        evaluate_and_save(start)
    if start >= iterations:
        if log is not None:
            log.close()
        return pd.DataFrame(rows)
    net = DistributedDataParallel(model) if dist_info.world_size > 1 else model
    batches = IterationBatches(len(train_set), batch_size=t.batch_size, total=iterations, seed=t.seed, start=start,
                               rank=dist_info.rank, world_size=dist_info.world_size)
    loader = DataLoader(SeededSamples(train_set), batch_sampler=batches, collate_fn=collate,
                        num_workers=t.num_workers, persistent_workers=False)
    model.train()
    bar = progress_bar(loader, enabled=progress and dist_info.is_main, total=iterations, initial=start,
                       desc=desc)
    for it, (images, labels) in enumerate(bar, start=start):
        lr = poly_lr(t, it)
        set_lr(optimizer, lr)
        images, labels = to_float_images(images.to(device, non_blocking=True)), labels.to(device, non_blocking=True)
        with autocast(device, t.amp):
            losses = step(net, images, labels)
        optimizer.zero_grad(set_to_none=True)
        losses["total"].backward()
        if t.grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), t.grad_clip)
        optimizer.step()
        done = it + 1
        total = float(losses["total"].detach())
        if not math.isfinite(total):
            raise FloatingPointError(f"loss became {total} at iteration {done}; lower train.lr")
        if done % t.log_every == 0 or done == iterations:
            row = {"iteration": done, "lr": lr, "lr_ml": lr * t.ml_lr_mult}
            row.update({k: float(v.detach()) for k, v in losses.items()})
            record(row)
            bar.set_postfix(loss=f"{row['total']:.3f}")
        is_eval = bool(t.eval_every and done % t.eval_every == 0) or done == iterations
        if is_eval or (t.checkpoint_every and done % t.checkpoint_every == 0):
            save(done, pending=is_eval)  # before evaluating: a failing evaluation loses no training
        if is_eval:
            evaluate_and_save(done)
    if log is not None:
        log.close()
    return pd.DataFrame(rows)


def _check_config(run_dir: Path, cfg: Config, allow_change: bool) -> dict[str, list]:
    """The result-relevant fields in which `cfg` differs from the checkpoint's config, {key: [stored, new]};
    raises naming them unless `allow_change`."""
    stored = stored_config(run_dir)
    try:
        old = Config.from_dict(stored)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the checkpoint in {run_dir} holds a config this version cannot read ({exc}); "
                         "start the run again (resume=False, or --no-resume)") from exc
    keys = result_differences(old, cfg)
    if keys and not allow_change:
        new = cfg.to_dict()
        listed = "; ".join(f"{k}: {_get(stored, k)!r} -> {_get(new, k)!r}" for k in keys)
        raise ValueError(f"the checkpoint in {run_dir} was trained with another config ({listed}). Resume with "
                         "the same config, start again (resume=False, or --no-resume), or continue with the new "
                         "config on purpose (allow_config_change=True, or --allow-config-change)")
    return {k: [_get(stored, k), _get(cfg.to_dict(), k)] for k in keys}


def _get(d: dict, dotted: str):
    for part in dotted.split("."):
        d = d.get(part) if isinstance(d, dict) else None
    return d
