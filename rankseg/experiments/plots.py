"""Plots of the notebooks (seaborn/matplotlib), and the predictions they show."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from torch import nn

from rankseg.constants import IGNORE_INDEX
from rankseg.data.preview import colourise
from rankseg.engine.data import to_float_images


@dataclass
class Sample:
    """One validation image with its label, a model's prediction and its image-level scores."""

    image: np.ndarray  # (H, W, 3) uint8
    label: np.ndarray  # (H, W) int64, IGNORE_INDEX = -1
    pred: np.ndarray  # (H, W) int64
    scores: np.ndarray | None  # (N,) multi-label logits
    selected: np.ndarray | None  # (K,) selected class ids


@torch.no_grad()
def predict_samples(model: nn.Module, dataset, indices, *, ranker: nn.Module | None = None) -> list[Sample]:
    device = next(model.parameters()).device
    samples = []
    for i in indices:
        image, label = dataset[i]
        x = to_float_images(image[None].to(device))
        kwargs = {} if ranker is None else {"ranking_scores": ranker(x)}
        out = model(x, **kwargs)
        scores = kwargs.get("ranking_scores", out.ml_logits)
        samples.append(Sample(image=image.permute(1, 2, 0).numpy(), label=label.numpy(),
                              pred=out.predict(tuple(label.shape))[0].cpu().numpy(),
                              scores=None if scores is None else scores[0].float().cpu().numpy(),
                              selected=None if out.class_ids is None else out.class_ids[0].cpu().numpy()))
    return samples


def plot_topk_scores(sample: Sample, class_names: list[str], *, k: int = 20, ax: plt.Axes | None = None) -> plt.Axes:
    """The paper's Figure 1: the top-k categories of one image sorted by confidence, true/false positives."""
    gt = set(np.unique(sample.label[sample.label != IGNORE_INDEX]).tolist())
    order = np.argsort(-sample.scores)[:k]
    df = pd.DataFrame({"class": [class_names[c] for c in order], "probability": 1 / (1 + np.exp(-sample.scores[order])),
                       "in image": ["true positive" if c in gt else "false positive" for c in order]})
    ax = ax or plt.subplots(figsize=(7, 3.2))[1]
    sns.barplot(df, x="class", y="probability", hue="in image", dodge=False, ax=ax,
                hue_order=["true positive", "false positive"], palette=["tab:green", "tab:red"])
    ax.tick_params(axis="x", rotation=75, labelsize=7)
    ax.set_xlabel("")
    ax.set_title(f"top-{k} categories by multi-label score ({len(gt)} classes in the image)")
    return ax


def plot_predictions(rows: dict[str, list[Sample]], class_names: list[str], *, max_names: int = 6) -> plt.Figure:
    """A grid: image, ground truth, then one column per model; titles list the classes each shows."""
    names = list(rows)
    n = len(rows[names[0]])
    n_classes = len(class_names)
    fig, axes = plt.subplots(n, 2 + len(names), figsize=(2.4 * (2 + len(names)), 2.5 * n), squeeze=False)
    for i in range(n):
        first = rows[names[0]][i]
        panels = [("image", first.image, None), ("ground truth", colourise(first.label, n_classes), first.label)]
        panels += [(name, colourise(rows[name][i].pred, n_classes), rows[name][i].pred) for name in names]
        for ax, (title, img, lbl) in zip(axes[i], panels, strict=True):
            ax.imshow(img, interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
            if lbl is not None:
                present = [class_names[c] for c in np.unique(lbl) if c != IGNORE_INDEX][:max_names]
                ax.set_xlabel("\n".join(s[:18] for s in present), fontsize=6)
            if i == 0:
                ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def false_positive_classes(sample: Sample) -> set[int]:
    """Classes the prediction contains that the ground truth does not."""
    gt = set(np.unique(sample.label).tolist()) - {IGNORE_INDEX}
    return set(np.unique(sample.pred[sample.label != IGNORE_INDEX]).tolist()) - gt


def gain_bars(df: pd.DataFrame, *, x: str, y: str, hue: str | None = None, ax: plt.Axes | None = None,
              title: str = "") -> plt.Axes:
    ax = ax or plt.subplots(figsize=(5, 3.2))[1]
    sns.barplot(df, x=x, y=y, hue=hue, ax=ax, errorbar=("sd", 1) if df.duplicated([x] + ([hue] if hue else [])).any()
                else None)
    for c in ax.containers:
        ax.bar_label(c, fmt="%.1f", fontsize=7)
    ax.set_title(title)
    return ax

