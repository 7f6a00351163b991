"""Real benchmark loaders: each is a SegmentationFolder over the benchmark's standard prepared layout.

Layouts (relative to `root`):
- ade20k (ADEChallengeData2016): images/{training,validation}/*.jpg, annotations/{...}/*.png;
  150 classes, stored 0 = ignore, v -> v - 1 (reduce-zero-label).
- ade20k_full (Mask2Former's prepare_ade20k_full_sem_seg.py output): ADE20K_2021_17_01/
  images_detectron2/{training,validation}/*.jpg, annotations_detectron2/{...}/*.tif; uint16, values
  0..846 are classes, 65535 = ignore.
- coco_stuff164k: images/{train2017,val2017}/*.jpg, annotations/{...}/*_labelTrainIds.png; 171 classes,
  255 = ignore.
- pascal_context (59) / pascal_context60: JPEGImages/*.jpg, SegmentationClassContext/*.png,
  ImageSets/SegmentationContext/{train,val}.txt (mmsegmentation). 59: stored 0 = background = ignore,
  reduce-zero-label; 60: background is class 0, 255 = ignore.
- coco_lvis (our assumption; no standard release): images/{train2017,val2017}/*.jpg,
  annotations/{...}/*.png as 16-bit PNG; values 0..1283 are classes, 65535 = ignore.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

from rankseg.data.class_names import (ade20k_classes, coco_stuff_classes, generic_classes,
                                      pascal_context_classes)
from rankseg.data.folder import SegmentationFolder, Transform

Split = Literal["train", "val"]


@dataclass(frozen=True)
class BenchmarkLayout:
    """Where a benchmark keeps its files and how its labels are stored. `{split}` is replaced by the
    benchmark's folder name for the split (`split_dirs`)."""

    image_dir: str
    label_dir: str
    split_dirs: tuple[str, str]  # (train, val)
    num_classes: int
    classes: Callable[[], tuple[list[str], list[bool]]]
    image_suffix: str = ".jpg"
    label_suffix: str = ".png"
    reduce_zero_label: bool = False
    ignore_values: tuple[int, ...] = (255,)
    split_file: str | None = None  # a list of stems, e.g. PASCAL-Context's ImageSets


BENCHMARKS: dict[str, BenchmarkLayout] = {
    "ade20k": BenchmarkLayout(
        image_dir="images/{split}", label_dir="annotations/{split}", split_dirs=("training", "validation"),
        num_classes=150, classes=ade20k_classes, reduce_zero_label=True, ignore_values=()),
    "ade20k_full": BenchmarkLayout(
        image_dir="ADE20K_2021_17_01/images_detectron2/{split}",
        label_dir="ADE20K_2021_17_01/annotations_detectron2/{split}", split_dirs=("training", "validation"),
        num_classes=847, classes=lambda: generic_classes("ade_full", 847), label_suffix=".tif",
        ignore_values=(65535,)),
    "coco_stuff164k": BenchmarkLayout(
        image_dir="images/{split}", label_dir="annotations/{split}", split_dirs=("train2017", "val2017"),
        num_classes=171, classes=coco_stuff_classes, label_suffix="_labelTrainIds.png"),
    "pascal_context": BenchmarkLayout(
        image_dir="JPEGImages", label_dir="SegmentationClassContext", split_dirs=("train", "val"),
        num_classes=59, classes=lambda: pascal_context_classes(with_background=False), reduce_zero_label=True,
        ignore_values=(255,), split_file="ImageSets/SegmentationContext/{split}.txt"),
    "pascal_context60": BenchmarkLayout(
        image_dir="JPEGImages", label_dir="SegmentationClassContext", split_dirs=("train", "val"),
        num_classes=60, classes=lambda: pascal_context_classes(with_background=True),
        split_file="ImageSets/SegmentationContext/{split}.txt"),
    "coco_lvis": BenchmarkLayout(
        image_dir="images/{split}", label_dir="annotations/{split}", split_dirs=("train2017", "val2017"),
        num_classes=1284, classes=lambda: generic_classes("coco_lvis", 1284), ignore_values=(65535,)),
}


def build_benchmark(name: str, *, root: str | Path, split: Split,
                    transform: Transform | None = None) -> SegmentationFolder:
    """The `split` of benchmark `name` (a key of BENCHMARKS) under `root`.

    Items are (image (3, H, W) uint8, label (H, W) int64 with IGNORE_INDEX).
    """
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; expected one of {sorted(BENCHMARKS)}")
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    layout, root = BENCHMARKS[name], Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{name} root folder not found: {root}")
    sub = layout.split_dirs[0 if split == "train" else 1]
    stems = None
    if layout.split_file is not None:
        path = root / layout.split_file.format(split=sub)
        if not path.is_file():
            raise FileNotFoundError(f"{name} split file not found: {path}")
        stems = [s.strip() for s in path.read_text().splitlines() if s.strip()]
    names, is_stuff = layout.classes()
    return SegmentationFolder(
        image_dir=root / layout.image_dir.format(split=sub), label_dir=root / layout.label_dir.format(split=sub),
        num_classes=layout.num_classes, image_suffix=layout.image_suffix, label_suffix=layout.label_suffix,
        class_names=names, is_stuff=is_stuff, reduce_zero_label=layout.reduce_zero_label,
        ignore_values=layout.ignore_values, stems=stems, transform=transform)
