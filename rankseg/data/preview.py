"""Preview a data set in a notebook: images, colourised label maps and the names of the classes present."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from rankseg.constants import IGNORE_INDEX


def label_palette(num_classes: int, seed: int = 0) -> np.ndarray:
    """(N + 1, 3) uint8 colours: a fixed random colour per class, black for IGNORE_INDEX (last row).

    The package's one palette: data previews and prediction figures (rankseg.experiments.plots) paint a class
    alike."""
    rng = np.random.default_rng(seed)
    palette = rng.integers(40, 256, (num_classes + 1, 3)).astype(np.uint8)
    palette[-1] = 0
    return palette


def colourise(label: np.ndarray, num_classes: int) -> np.ndarray:
    """(H, W) int64 labels -> (H, W, 3) uint8 colour image (ignore = black)."""
    return label_palette(num_classes)[np.where(label == IGNORE_INDEX, num_classes, label)]


def preview_grid(dataset, indices: Sequence[int], *, max_names: int = 12, panel_size: float = 2.6) -> Figure:
    """Figure with one column per index: the image above its label map, class names below.

    Arguments:
        dataset: items (image (3, H, W) uint8, label (H, W) int64) and `class_names`, `num_classes`.
        indices: items to show.
        max_names: at most this many class names (by area, descending) per column.
    Returns:
        a matplotlib Figure (not shown; a notebook displays it).
    """
    n = len(indices)
    fig, axes = plt.subplots(2, n, figsize=(panel_size * n, panel_size * 2 + 1.2), squeeze=False)
    palette = label_palette(dataset.num_classes)
    for col, i in enumerate(indices):
        image, label = dataset[i]
        lab = label.numpy()
        axes[0, col].imshow(image.permute(1, 2, 0).numpy())
        axes[0, col].set_title(f"#{i}", fontsize=9)
        axes[1, col].imshow(colourise(lab, dataset.num_classes), interpolation="nearest")
        ids, area = np.unique(lab[lab != IGNORE_INDEX], return_counts=True)
        order = ids[np.argsort(-area)]
        lines = [dataset.class_names[c] for c in order[:max_names]]
        if len(order) > max_names:
            lines.append(f"... +{len(order) - max_names}")
        axes[1, col].set_title(f"{len(ids)} classes", fontsize=9)
        for k, text in enumerate(lines):
            y = -0.06 - 0.075 * k
            if k < len(order[:max_names]):
                axes[1, col].text(0, y, "\u25a0", transform=axes[1, col].transAxes, fontsize=8, va="top",
                                  color=palette[order[k]] / 255)
            axes[1, col].text(0.09, y, text[:30], transform=axes[1, col].transAxes, fontsize=7, va="top")
        for ax in axes[:, col]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.subplots_adjust(bottom=0.3, hspace=0.15)
    return fig
