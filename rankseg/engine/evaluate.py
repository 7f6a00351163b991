"""Evaluation: mIoU, pixel accuracy, multi-label mAP and top-K recall over a data set."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, Subset

from rankseg.engine.data import to_float_images
from rankseg.engine.runtime import all_gather_rows, all_reduce_sum, autocast, dist_rank_world, progress_bar, shard
from rankseg.metrics import SegmentationMeter, mean_average_precision, top_k_recall
from rankseg.models.label_selection import present_classes
from rankseg.models.output import SegOutput


@dataclass
class EvalResult:
    """Scores over a data set (percentages, as the paper reports them)."""

    miou: float
    pixel_acc: float
    map: float = float("nan")  # multi-label mAP of the image-level scores
    recall_at_k: float = float("nan")  # share of ground-truth classes among the selected K (or, for a model
    # without label selection evaluated with EvalOptions.top_k, among the top K of its ranking)
    per_class_iou: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def summary(self) -> dict[str, float]:
        d = asdict(self)
        d.pop("per_class_iou")
        return d


@dataclass(frozen=True)
class EvalOptions:
    """How to run the model: oracle label set, another K, dynamic-K threshold, sliding windows."""

    oracle: bool = False
    top_k: int | None = None
    threshold: float | None = None
    mode: str = "whole"  # "whole" or "slide"
    crop: int | None = None
    stride: int | None = None

    def __post_init__(self) -> None:
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f"EvalOptions.top_k={self.top_k} must be >= 1 (None keeps the K the model was trained with)")
        if self.mode not in ("whole", "slide"):
            raise ValueError(f"EvalOptions.mode must be 'whole' or 'slide', got {self.mode!r}")


def _pad_to(images: Tensor, multiple: int) -> Tensor:
    h, w = images.shape[-2:]
    return F.pad(images, (0, -w % multiple, 0, -h % multiple))


def _forward_slide(model: nn.Module, images: Tensor, kwargs: dict, crop: int, stride: int) -> tuple[Tensor, SegOutput]:
    """Sliding-window inference without an N×H×W map: a first pass averages the windows' multi-label
    probabilities into one ranking for the image, so that every window selects the same K classes and
    only K channels are accumulated. Returns (pred (B, H, W), the last window's output)."""
    h, w = images.shape[-2:]
    rows = range(0, max(h - crop, 0) + stride, stride)
    cols = range(0, max(w - crop, 0) + stride, stride)
    windows = [(min(r, max(h - crop, 0)), min(c, max(w - crop, 0))) for r in rows for c in cols]
    windows = list(dict.fromkeys(windows))
    crops = [_pad_to(images[..., r:r + crop, c:c + crop], model.size_divisor) for r, c in windows]
    if model.ranks_labels and "ranking_scores" not in kwargs:
        probs = torch.stack([model(x, **kwargs).ml_logits.float().sigmoid() for x in crops]).mean(0)
        kwargs = {**kwargs, "ranking_scores": probs}
    acc = count = out = None
    for (r, c), x in zip(windows, crops, strict=True):
        out = model(x, **kwargs)
        if not out.supports_sliding_window:
            raise ValueError(f"sliding-window evaluation averages class logits; this model's {type(out).__name__} "
                             "has none: use whole-image evaluation (train.eval_mode='whole')")
        hh, ww = min(crop, h - r), min(crop, w - c)
        logits = out.upsampled_logits(x.shape[-2:])[..., :hh, :ww]
        if acc is None:
            acc = logits.new_zeros(logits.shape[0], logits.shape[1], h, w)
            count = logits.new_zeros(1, 1, h, w)
        acc[..., r:r + hh, c:c + ww] += logits.nan_to_num(neginf=-1e4)
        count[..., r:r + hh, c:c + ww] += 1
    return out.to_class_ids((acc / count).argmax(1)), out


@torch.no_grad()
def evaluate(model: nn.Module, dataset: Dataset, *, batch_size: int = 8, device: torch.device | None = None,
             options: EvalOptions = EvalOptions(), ranker: nn.Module | None = None, amp: bool = True,
             progress: bool = True) -> EvalResult:
    """Evaluates `model` on `dataset` (items (image uint8 (3, H, W), label (H, W))).

    Images of different sizes are run one at a time; `ranker` (independent scheme) supplies the ranking.
    In a process group (torchrun), each rank evaluates its contiguous shard of `dataset` and the metric sums
    are reduced over the ranks: every rank returns the scores of the whole data set.
    """
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    n = model.num_classes
    meter = SegmentationMeter(n)
    scores, targets, hits, total = [], [], 0, 0
    rank, world = dist_rank_world()
    if world > 1:
        dataset = Subset(dataset, shard(len(dataset), rank, world))
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=list)
    for batch in progress_bar(loader, enabled=progress, desc="evaluate", leave=False):
        same_size = len({tuple(img.shape) for img, _ in batch}) == 1
        groups = [batch] if same_size else [[item] for item in batch]
        for group in groups:
            images = to_float_images(torch.stack([img for img, _ in group])).to(device)
            labels = torch.stack([lbl for _, lbl in group]).to(device)
            gt = present_classes(labels, n)
            kwargs: dict = {}
            if options.oracle:
                kwargs["gt_classes"] = gt
            if options.top_k is not None:
                kwargs["top_k"] = options.top_k
            if options.threshold is not None:
                kwargs["threshold"] = options.threshold
            with autocast(device, amp):
                if ranker is not None:
                    kwargs["ranking_scores"] = ranker(images).float()
                if options.mode == "slide":
                    crop = options.crop or images.shape[-1]
                    pred, out = _forward_slide(model, images, kwargs, crop, options.stride or crop)
                else:
                    h, w = images.shape[-2:]
                    padded = _pad_to(images, model.size_divisor)
                    out = model(padded, **kwargs)
                    pred = out.predict(tuple(padded.shape[-2:]))[..., :h, :w]
            meter.update(pred, labels)
            ranking = kwargs.get("ranking_scores", out.ml_logits)
            if ranking is not None:
                scores.append(ranking.float().cpu())
                targets.append(gt.cpu())
            if out.class_ids is not None:
                h_, t_ = top_k_recall(out.class_ids, gt, out.valid)
                hits, total = hits + h_, total + t_
            elif ranking is not None and options.top_k is not None:  # a ranking without selection: its top K
                h_, t_ = top_k_recall(ranking.topk(min(options.top_k, n), dim=1).indices, gt)
                hits, total = hits + h_, total + t_
    model.train(was_training)
    scores_all = torch.cat(scores) if scores else torch.zeros(0, n)
    targets_all = torch.cat(targets) if targets else torch.zeros(0, n, dtype=torch.bool)
    if world > 1:  # areas and counts are sums; mAP needs every image's scores, gathered in data set order
        for t in (meter.intersect, meter.area_pred, meter.area_label):
            all_reduce_sum(t)
        hits, total = all_reduce_sum(torch.tensor([hits, total])).tolist()
        scores_all = all_gather_rows(scores_all.float())
        targets_all = all_gather_rows(targets_all.to(torch.uint8)).bool()
    iou = meter.iou().numpy()
    return EvalResult(
        miou=100 * meter.miou(), pixel_acc=100 * meter.pixel_accuracy(),
        map=100 * mean_average_precision(scores_all, targets_all) if len(scores_all) else float("nan"),
        recall_at_k=100 * hits / total if total else float("nan"), per_class_iou=iou)
