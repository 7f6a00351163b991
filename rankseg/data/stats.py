"""Label statistics (the paper's Fig. 3 left): classes per image, its cumulative distribution, class frequency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from rankseg.constants import IGNORE_INDEX
from rankseg.data.atlas import load_class_stats


@dataclass(frozen=True)
class LabelStats:
    """Per-image and per-class label statistics of a data set.

    Attributes:
        classes_per_image: (I,) number of distinct classes (ignore excluded) in each image.
        class_image_counts: (N,) number of images containing each class.
        class_names: N names.
    """

    classes_per_image: np.ndarray
    class_image_counts: np.ndarray
    class_names: list[str]

    @property
    def num_images(self) -> int:
        return len(self.classes_per_image)

    @property
    def mean_classes_per_image(self) -> float:
        return float(self.classes_per_image.mean())

    def share_at_most(self, n: int) -> float:
        """Share of images with at most n classes."""
        return float((self.classes_per_image <= n).mean())

    def cumulative(self) -> pd.DataFrame:
        """Columns n (1..max), images_at_most_n (share in [0, 1]): the curve of the paper's Fig. 3 (left)."""
        n = np.arange(1, max(int(self.classes_per_image.max(initial=0)), 1) + 1)
        share = (self.classes_per_image[None, :] <= n[:, None]).mean(axis=1)
        return pd.DataFrame({"n": n, "images_at_most_n": share})

    def class_frequency(self) -> pd.DataFrame:
        """Columns class, images, frequency (share of images), sorted by images, descending."""
        freq = self.class_image_counts / max(self.num_images, 1)
        df = pd.DataFrame({"class": self.class_names, "images": self.class_image_counts, "frequency": freq})
        return df.sort_values("images", ascending=False, ignore_index=True)

    def share_of_classes_below(self, frequency: float) -> float:
        """Share of the N classes present in fewer than `frequency` of the images (e.g. 0.01)."""
        return float((self.class_image_counts / max(self.num_images, 1) < frequency).mean())


def label_stats_from_labels(labels: Iterable[np.ndarray], *, num_classes: int, class_names: list[str] | None = None,
                            total: int | None = None) -> LabelStats:
    """Statistics from an iterable of (H, W) int label maps (class ids 0..N-1, IGNORE_INDEX ignored)."""
    counts = np.zeros(num_classes, np.int64)
    per_image = []
    for label in tqdm(labels, total=total, desc="label stats", leave=False):
        present = np.unique(np.asarray(label))
        present = present[present != IGNORE_INDEX]
        counts[present] += 1
        per_image.append(len(present))
    names = class_names or [str(i) for i in range(num_classes)]
    return LabelStats(np.asarray(per_image, np.int64), counts, list(names))


def label_reader(dataset) -> Callable[[int], np.ndarray]:
    """Item i's label map: `dataset.label(i)` (no augmentation) when it exists, else the label of `dataset[i]`."""
    return dataset.label if hasattr(dataset, "label") else (lambda i: dataset[i][1].numpy())


def label_stats(dataset, *, limit: int | None = None) -> LabelStats:
    """Statistics of a data set with `num_classes` and `class_names`, from its labels (`label_reader`). Only the
    first `limit` items if given."""
    n = len(dataset) if limit is None else min(limit, len(dataset))
    get = label_reader(dataset)
    return label_stats_from_labels((get(i) for i in range(n)), num_classes=dataset.num_classes,
                                   class_names=dataset.class_names, total=n)


@dataclass(frozen=True)
class ReferenceClassStats:
    """Per-class image counts of a real data set (dataset-ninja statistics, bundled)."""

    name: str
    source: str
    num_images: int
    image_counts: pd.Series  # class name -> number of images containing it

    @property
    def mean_classes_per_image(self) -> float:
        """Sum of per-class image counts / number of images (each image counts each class once)."""
        return float(self.image_counts.sum() / self.num_images)

    def share_of_classes_below(self, frequency: float) -> float:
        return float((self.image_counts / self.num_images < frequency).mean())


def reference_class_stats(name: str) -> ReferenceClassStats:
    """Bundled real statistics: name in {"ade20k" (full index, 3,579 classes), "cocostuff164k" (171 +
    "other"), "pascal_context" (459 classes)}."""
    table = load_class_stats()
    if name not in table:
        raise ValueError(f"unknown reference statistics {name!r}; expected one of {sorted(table)}")
    entry = table[name]
    counts = pd.Series(entry["image_counts"], dtype=np.int64).sort_values(ascending=False)
    return ReferenceClassStats(name, entry["source"], int(entry["num_images"]), counts)
