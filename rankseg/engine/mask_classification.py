"""Training and evaluation of region-classification models (the compact Mask2Former, with or without
RankSeg) on images (semantic + panoptic) and clips (video semantic segmentation), through the generic
resumable loop `rankseg.engine.fit.fit`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from rankseg.config import Config
from rankseg.data.panoptic import PanopticScenes
from rankseg.data.video import EmojiClips, clip_classes
from rankseg.engine.data import check_dataset, collate, to_float_images
from rankseg.engine.evaluate import EvalResult
from rankseg.engine.runtime import autocast, pick_device, progress_bar, seed_everything
from rankseg.engine.fit import StepFn, TrainResult, fit
from rankseg.losses import multilabel_criterion
from rankseg.metrics import SegmentationMeter, mean_average_precision, top_k_recall
from rankseg.metrics_panoptic import PanopticMeter
from rankseg.models.mask2former import build_mask2former
from rankseg.models.mask2former.criterion import SetCriterion
from rankseg.models.mask2former.inference import panoptic_inference, upsample_masks
from rankseg.models.mask2former.targets import as_clip_labels, segment_targets


@dataclass
class MaskEvalResult(EvalResult):
    """EvalResult (semantic mIoU over all frames, pixel accuracy, multi-label mAP, recall@K) plus panoptic
    quality (NaN for semantic-only or video evaluation)."""

    pq: float = float("nan")
    sq: float = float("nan")
    rq: float = float("nan")
    pq_th: float = float("nan")
    sq_th: float = float("nan")
    rq_th: float = float("nan")
    pq_st: float = float("nan")
    sq_st: float = float("nan")
    rq_st: float = float("nan")


def build_mask_datasets(cfg: Config) -> tuple[Dataset, Dataset]:
    """(train, val) for a Mask2Former config: EmojiScenes with panoptic labels (mask2former.clip_frames = 1)
    or EmojiScenes clips of clip_frames frames. Real data (COCOPanoptic, VSPWClips) is passed as `datasets`."""
    d, frames = cfg.data, cfg.mask2former.clip_frames
    if d.name != "emojiscenes":
        raise ValueError(f"mask2former builds EmojiScenes data only; pass datasets=(train, val) for {d.name!r} "
                         "(rankseg.data.panoptic.COCOPanoptic, rankseg.data.video.VSPWClips)")
    common = dict(num_classes=d.num_classes, image_size=d.image_size, seed=d.seed)
    if frames == 1:
        return (PanopticScenes(split="train", size=d.num_train, augment=d.flip, **common),
                PanopticScenes(split="val", size=d.num_val, **common))
    return (EmojiClips(split="train", size=d.num_train, frames=frames, augment=d.flip, **common),
            EmojiClips(split="val", size=d.num_val, frames=frames, **common))


def _is_thing(dataset: Dataset, n: int) -> Tensor:
    if hasattr(dataset, "is_thing"):
        return torch.as_tensor(dataset.is_thing, dtype=torch.bool)
    if hasattr(dataset, "is_stuff"):
        return ~torch.as_tensor(dataset.is_stuff, dtype=torch.bool)
    return torch.ones(n, dtype=torch.bool)


def _pad(images: Tensor, multiple: int) -> Tensor:
    h, w = images.shape[-2:]
    return F.pad(images, (0, -w % multiple, 0, -h % multiple))


def clip_gt(labels: Tensor, num_classes: int) -> Tensor:
    """(B, N) bool: the classes present anywhere in each image or clip (the multi-label target)."""
    return clip_classes(as_clip_labels(labels), num_classes)


@torch.no_grad()
def evaluate_mask_classification(model: nn.Module, dataset: Dataset, cfg: Config, *, oracle: bool = False,
                                 batch_size: int | None = None, progress: bool = True) -> MaskEvalResult:
    """Semantic mIoU over every frame, and for single images with task "panoptic" also PQ / SQ / RQ.

    `oracle`: the ground-truth label set of each image or clip replaces the model's ranking.
    """
    device = next(model.parameters()).device
    was = model.training
    model.eval()
    n, q = model.num_classes, cfg.mask2former
    meter = SegmentationMeter(n)
    is_thing = _is_thing(dataset, n).to(device)
    pan = PanopticMeter(is_thing) if q.task == "panoptic" else None
    scores, targets, hits, total = [], [], 0, 0
    loader = DataLoader(dataset, batch_size=batch_size or cfg.train.eval_batch_size, shuffle=False, collate_fn=collate)
    for images, labels in progress_bar(loader, enabled=progress, desc="evaluate", leave=False):
        images, labels = to_float_images(images.to(device)), as_clip_labels(labels.to(device))
        h, w = labels.shape[-2:]
        gt = clip_gt(labels, n)
        padded = _pad(images, model.size_divisor)
        with autocast(device, cfg.train.amp):
            out = model(padded, gt_classes=gt if oracle else None)
        pred = out.predict(tuple(padded.shape[-2:]))[..., :h, :w]
        meter.update(pred.flatten(0, 1), labels[:, :, 0].flatten(0, 1))
        if pan is not None and labels.shape[1] == 1:
            masks = upsample_masks(out.mask_logits, tuple(padded.shape[-2:]))[:, :, 0, :h, :w]
            for i in range(len(images)):
                panoptic, _ = panoptic_inference(
                    out.class_logits[i], masks[i], is_thing=is_thing,
                    class_ids=None if out.class_ids is None else out.class_ids[i],
                    object_mask_threshold=q.object_mask_threshold, overlap_threshold=q.overlap_threshold)
                pan.update(panoptic, labels[i, 0])
        if out.ml_logits is not None:
            scores.append(out.ml_logits.float().cpu())
            targets.append(gt.cpu())
        if out.class_ids is not None:
            h_, t_ = top_k_recall(out.class_ids, gt, out.valid)
            hits, total = hits + h_, total + t_
    model.train(was)
    panoptic_scores = pan.compute() if pan is not None and pan.tp.sum() + pan.fn.sum() > 0 else {}
    return MaskEvalResult(
        miou=100 * meter.miou(), pixel_acc=100 * meter.pixel_accuracy(),
        map=100 * mean_average_precision(torch.cat(scores), torch.cat(targets)) if scores else float("nan"),
        recall_at_k=100 * hits / total if total else float("nan"), per_class_iou=meter.iou().numpy(),
        **panoptic_scores)


def mask_classification_step(cfg: Config) -> StepFn:
    """Set-prediction loss on every decoder layer (matched per layer) + ml_weight × multi-label loss."""
    q, loss, n = cfg.mask2former, cfg.loss, cfg.data.num_classes
    criterion = SetCriterion(class_weight=q.class_weight, mask_weight=q.mask_weight, dice_weight=q.dice_weight,
                             no_object_weight=q.no_object_weight)
    ml_criterion = multilabel_criterion(kind=loss.ml_loss, gamma_neg=loss.gamma_neg, gamma_pos=loss.gamma_pos,
                                        clip=loss.clip, eps=loss.eps)

    def step(model: nn.Module, images: Tensor, labels: Tensor) -> dict[str, Tensor]:
        gt = clip_gt(labels, n)
        out = model(images, gt_classes=gt if cfg.model.oracle == "train_eval" else None)
        parts = criterion(out, segment_targets(labels, q.task))
        total = loss.seg_weight * parts.total
        result = {"loss_ce": parts.ce, "loss_mask": parts.mask, "loss_dice": parts.dice}
        if out.ml_logits is not None and loss.ml_weight > 0:
            ml = ml_criterion(out.ml_logits, gt)
            total = total + loss.ml_weight * ml
            result["ml_loss"] = ml.detach()
        return {"total": total, "seg_loss": parts.total.detach(), **result}

    return step


def train_mask_classification(cfg: Config, run_dir: Path | str, *, resume: bool = True,
                              datasets: tuple[Dataset, Dataset] | None = None, progress: bool = True,
                              allow_config_change: bool = False) -> TrainResult:
    """Trains the Mask2Former `cfg` describes, evaluates it (oracle runs with the ground-truth label set)
    and returns it with its curves; checkpoints and curves.csv go to `run_dir`."""
    run_dir = Path(run_dir)
    device = pick_device(cfg.train.device)
    train_set, val_set = datasets if datasets is not None else build_mask_datasets(cfg)
    # panoptic labels: every item decoded, values not range-checked
    check_dataset(val_set, num_classes=None, what="validation set", progress=progress)
    seed_everything(cfg.train.seed)
    model = build_mask2former(cfg).to(device)
    oracle = cfg.model.oracle != "none"
    last: list[MaskEvalResult] = []

    def evaluate_fn(net: nn.Module) -> dict[str, float]:
        last[:] = [evaluate_mask_classification(net, val_set, cfg, oracle=oracle, progress=progress)]
        return last[0].summary()

    curves = fit(model, train_set, cfg, run_dir, step=mask_classification_step(cfg), evaluate_fn=evaluate_fn,
                 ml_params=model.multilabel_parameters(), iterations=cfg.train.iterations, resume=resume,
                 progress=progress, desc="mask2former", allow_config_change=allow_config_change)
    final = last[0] if last else evaluate_mask_classification(model, val_set, cfg, oracle=oracle, progress=progress)
    model.eval()
    return TrainResult(model=model, curves=curves, final=final, run_dir=run_dir)
