"""Training the pixel-classification models: the segmentation step, the independent scheme's classifier, and
`train`, which builds what a config describes and drives the shared loop (engine/fit.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from rankseg.config import Config
from rankseg.data import build_datasets
from rankseg.engine.data import check_dataset, to_float_images
from rankseg.engine.evaluate import EvalOptions, EvalResult, evaluate
from rankseg.engine.fit import StepFn, TrainResult, fit
from rankseg.engine.mask_classification import build_mask_datasets, evaluate_mask_classification, \
    train_mask_classification
from rankseg.engine.runtime import pick_device, progress_bar, seed_everything
from rankseg.losses import multilabel_criterion, segmentation_losses
from rankseg.metrics import mean_average_precision
from rankseg.models.build import build_classifier, build_model
from rankseg.models.label_selection import present_classes


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
        return train_mask_classification(cfg, run_dir, resume=resume, datasets=datasets, progress=progress,
                                         allow_config_change=allow_config_change)
    run_dir = Path(run_dir)
    device = pick_device(cfg.train.device)
    if datasets is None:
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


def validation_set(cfg: Config) -> Dataset:
    """The validation split a run of `cfg` is evaluated on (panoptic scenes or clips for region classification)."""
    return (build_mask_datasets(cfg) if cfg.model.framework == "mask2former" else build_datasets(cfg.data))[1]


def evaluate_run(model: nn.Module, cfg: Config, val_set: Dataset, *, ranker: nn.Module | None = None,
                 options: EvalOptions | None = None, progress: bool = False) -> EvalResult:
    """The one evaluator of a trained run, whatever its framework: pixel classification through `evaluate`,
    region classification (Mask2Former: semantic, panoptic, video) through its own metric. `options` as in
    `EvalOptions`; region classification takes the oracle option only."""
    options = options or EvalOptions()
    if cfg.model.framework == "mask2former":
        if (options.top_k, options.threshold, options.mode) != (None, None, "whole"):
            raise ValueError(f"Mask2Former runs are evaluated with the oracle option only, got {options}")
        return evaluate_mask_classification(model, val_set, cfg, oracle=options.oracle, progress=progress)
    t = cfg.train
    return evaluate(model, val_set, batch_size=t.eval_batch_size, ranker=ranker, amp=t.amp, options=options,
                    progress=progress)
