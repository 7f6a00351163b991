"""Training: one resumable loop (`fit`) used for the segmentation model and the independent classifier."""

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
from rankseg.engine.data import IterationBatches, SeededSamples, check_dataset, collate, to_float_images
from rankseg.engine.evaluate import EvalOptions, EvalResult, evaluate
from rankseg.engine.optim import build_optimizer, poly_lr, set_lr
from rankseg.engine.runtime import autocast, init_distributed, pick_device, progress_bar, rng_state, \
    seed_everything, set_rng_state
from rankseg.losses import multilabel_criterion, segmentation_losses
from rankseg.metrics import mean_average_precision
from rankseg.models.build import build_classifier, build_model
from rankseg.models.label_selection import present_classes

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


def segmentation_step(cfg: Config, ranker: nn.Module | None) -> StepFn:
    """The training step of the segmentation model: pixel loss over the selected classes + multi-label loss."""
    n, loss = cfg.data.num_classes, cfg.loss
    criterion = multilabel_criterion(kind=loss.ml_loss, gamma_neg=loss.gamma_neg, gamma_pos=loss.gamma_pos,
                                     clip=loss.clip, eps=loss.eps)

    def step(model: nn.Module, images: Tensor, labels: Tensor) -> dict[str, Tensor]:
        gt = present_classes(labels, n)
        kwargs = {}
        if cfg.model.oracle == "train_eval":
            kwargs["gt_classes"] = gt
        if ranker is not None:
            with torch.no_grad():
                kwargs["ranking_scores"] = ranker(images).float()
        out = model(images, **kwargs)
        parts = segmentation_losses(out, labels, gt, seg_weight=loss.seg_weight, ml_weight=loss.ml_weight,
                                    ml_criterion=criterion)
        result = {"total": parts.total, "seg_loss": parts.seg}
        if parts.ml is not None:
            result["ml_loss"] = parts.ml
        return result

    return step


def train_classifier(cfg: Config, run_dir: Path, *, train_set: Dataset, val_set: Dataset, resume: bool = True,
                     progress: bool = True, allow_config_change: bool = False) -> tuple[nn.Module, pd.DataFrame]:
    """Trains the independent scheme's multi-label classifier with the asymmetric loss."""
    device = pick_device(cfg.train.device)
    seed_everything(cfg.train.seed)
    model = build_classifier(cfg).to(device)
    n, loss = cfg.data.num_classes, cfg.loss
    # the classifier is trained with the asymmetric loss, as the independent scheme prescribes
    criterion = multilabel_criterion(kind="asl", gamma_neg=loss.gamma_neg, gamma_pos=loss.gamma_pos, clip=loss.clip,
                                     eps=loss.eps)

    def step(net: nn.Module, images: Tensor, labels: Tensor) -> dict[str, Tensor]:
        ml = criterion(net(images), present_classes(labels, n))
        return {"total": ml, "ml_loss": ml.detach()}

    def evaluate_fn(net: nn.Module) -> dict[str, float]:
        return {"map": classifier_map(net, val_set, num_classes=n, batch_size=cfg.train.eval_batch_size,
                                      progress=progress)}

    curves = fit(model, train_set, cfg, run_dir, step=step, evaluate_fn=evaluate_fn, ml_params=[],
                 iterations=cfg.train.classifier_iterations, resume=resume, progress=progress, desc="classifier",
                 allow_config_change=allow_config_change)
    model.eval()
    return model, curves


@torch.no_grad()
def classifier_map(model: nn.Module, dataset: Dataset, *, num_classes: int, batch_size: int,
                   progress: bool = False) -> float:
    """Multi-label mAP (%) of a classifier on a data set (images run one at a time: sizes may differ)."""
    device = next(model.parameters()).device
    was = model.training
    model.eval()
    scores, targets = [], []
    for batch in progress_bar(DataLoader(dataset, batch_size=batch_size, collate_fn=list), enabled=progress,
                              desc="classifier mAP", leave=False):
        for image, label in batch:
            scores.append(model(to_float_images(image[None].to(device))).float().cpu())
            targets.append(present_classes(label[None], num_classes))
    model.train(was)
    return 100 * mean_average_precision(torch.cat(scores), torch.cat(targets))


def train(cfg: Config, run_dir: Path | str, *, resume: bool = True, datasets: tuple[Dataset, Dataset] | None = None,
          progress: bool = True, allow_config_change: bool = False) -> TrainResult:
    """Trains the model `cfg` describes (training the independent classifier first when the scheme asks),
    evaluates it, and returns it with its curves. Checkpoints and curves.csv are written to `run_dir`.

    Every validation item is read and its label checked before the first step. Resuming a checkpoint trained
    with a different result-relevant config is an error unless `allow_config_change`."""
    if cfg.model.framework == "mask2former":  # region classification has its own step and evaluation
        from rankseg.engine.mask_classification import train_mask_classification

        return train_mask_classification(cfg, run_dir, resume=resume, datasets=datasets, progress=progress,
                                         allow_config_change=allow_config_change)
    run_dir = Path(run_dir)
    device = pick_device(cfg.train.device)
    if datasets is None:
        from rankseg.data import build_datasets

        datasets = build_datasets(cfg.data)
    train_set, val_set = datasets
    check_dataset(val_set, num_classes=cfg.data.num_classes, what="validation set", progress=progress)
    ranker = None
    if cfg.model.scheme == "independent":
        ranker, _ = train_classifier(cfg, run_dir / "classifier", train_set=train_set, val_set=val_set, resume=resume,
                                     progress=progress, allow_config_change=allow_config_change)
        ranker.requires_grad_(False)
    seed_everything(cfg.train.seed)
    model = build_model(cfg).to(device)
    options = EvalOptions(oracle=cfg.model.oracle != "none", mode=cfg.train.eval_mode,
                          crop=cfg.data.image_size if cfg.train.eval_mode == "slide" else None)
    last: list[EvalResult] = []

    def evaluate_fn(net: nn.Module) -> dict[str, float]:
        last[:] = [evaluate(net, val_set, batch_size=cfg.train.eval_batch_size, options=options, ranker=ranker,
                            amp=cfg.train.amp, progress=progress)]
        return last[0].summary()

    curves = fit(model, train_set, cfg, run_dir, step=segmentation_step(cfg, ranker), evaluate_fn=evaluate_fn,
                 ml_params=model.multilabel_parameters(), iterations=cfg.train.iterations, resume=resume,
                 progress=progress, allow_config_change=allow_config_change)
    final = last[0] if last else evaluate(model, val_set, batch_size=cfg.train.eval_batch_size, options=options,
                                          ranker=ranker, amp=cfg.train.amp, progress=progress)
    model.eval()
    return TrainResult(model=model, curves=curves, final=final, run_dir=run_dir, ranker=ranker)
