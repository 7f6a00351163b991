"""The data configuration: one frozen dataclass, validated on construction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

DatasetName = Literal["emojiscenes", "ade20k", "ade20k_full", "coco_stuff164k", "pascal_context",
                      "pascal_context60", "coco_lvis", "folder"]
EMOJISCENES_SIZES = (150, 847, 1284)
# The vocabulary size of each real benchmark (its train ids); "folder" data sets name theirs in classes.tsv.
BENCHMARK_NUM_CLASSES = {"ade20k": 150, "ade20k_full": 847, "coco_stuff164k": 171, "pascal_context": 59,
                         "pascal_context60": 60, "coco_lvis": 1284}


@dataclass(frozen=True)
class DataConfig:
    """Which data set to build and how to augment it.

    Attributes:
        name: data set; "emojiscenes" is generated in memory, the others are read from `root`.
        root: folder of a real benchmark (its standard prepared layout) or of an ADE-style "folder" layout.
        num_classes: EmojiScenes vocabulary size (150, 847 or 1284); a real benchmark's must be its own
            (BENCHMARK_NUM_CLASSES).
        image_size: EmojiScenes image side; for real data the square training crop side.
        num_train, num_val: EmojiScenes split sizes.
        seed: EmojiScenes content seed (train and val are disjoint streams of it).
        eval_short_side: real data: resize the evaluation image's short side to this (label kept at
            original size, as in mmsegmentation); None keeps images as they are.
        ratio_range: random-resize range relative to the base scale (short side = image_size).
        cat_max_ratio: random crop retries (up to 10) while one class covers more than this share.
        flip: random horizontal flip at training time.
        photometric: brightness / contrast / saturation / hue jitter at training time.
    """

    name: DatasetName = "emojiscenes"
    root: str | None = None
    num_classes: int = 150
    image_size: int = 64
    num_train: int = 200
    num_val: int = 50
    seed: int = 0
    eval_short_side: int | None = None
    ratio_range: tuple[float, float] = (0.5, 2.0)
    cat_max_ratio: float = 0.75
    flip: bool = True
    photometric: bool = True

    def __post_init__(self) -> None:
        if self.name not in get_args(DatasetName):
            raise ValueError(f"unknown data set name {self.name!r}; expected one of {get_args(DatasetName)}")
        if self.name == "emojiscenes":
            if self.num_classes not in EMOJISCENES_SIZES:
                raise ValueError(f"EmojiScenes num_classes must be one of {EMOJISCENES_SIZES}, got {self.num_classes}")
            if self.num_train < 0 or self.num_val < 0:
                raise ValueError(f"split sizes must be >= 0, got num_train={self.num_train}, num_val={self.num_val}")
        elif not self.root:
            raise ValueError(f"data set {self.name!r} is read from disk: set DataConfig.root to its folder")
        n = BENCHMARK_NUM_CLASSES.get(self.name, self.num_classes)
        if self.num_classes != n:
            raise ValueError(f"data.num_classes={self.num_classes} does not match {self.name}, which has {n} classes; "
                             f"set data.num_classes={n} (rankseg.config.profile(..., dataset={self.name!r}) does)")
        if self.image_size < 8:
            raise ValueError(f"image_size must be >= 8, got {self.image_size}")
        if self.eval_short_side is not None and self.eval_short_side < 8:
            raise ValueError(f"eval_short_side must be >= 8 or None, got {self.eval_short_side}")
        lo, hi = self.ratio_range
        if not 0 < lo <= hi:
            raise ValueError(f"ratio_range must satisfy 0 < low <= high, got {self.ratio_range}")
        if not 0 < self.cat_max_ratio <= 1:
            raise ValueError(f"cat_max_ratio must be in (0, 1], got {self.cat_max_ratio}")
