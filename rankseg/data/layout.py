"""Write any data set to disk in the ADE20K layout, and read such a folder back ("folder" data sets).

Layout under `root`: images/{training,validation}/<stem>.png, annotations/{training,validation}/<stem>.png
(stored 0 = ignore, class c as c + 1; 16-bit PNG when N + 1 > 255) and classes.tsv (one line per class:
name<TAB>stuff flag 0/1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image
from torch.utils.data import Dataset
from tqdm.auto import tqdm

from rankseg.constants import IGNORE_INDEX
from rankseg.data.folder import SegmentationFolder, Transform

SPLIT_DIRS = {"train": "training", "val": "validation"}


def write_classes(root: str | Path, class_names: list[str], is_stuff: list[bool]) -> Path:
    """Write `root/classes.tsv`; returns its path."""
    path = Path(root) / "classes.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{n}\t{int(s)}\n" for n, s in zip(class_names, is_stuff, strict=True)))
    return path


def read_classes(root: str | Path) -> tuple[list[str], list[bool]]:
    """Read `root/classes.tsv` -> (names, stuff flags)."""
    path = Path(root) / "classes.tsv"
    if not path.is_file():
        raise FileNotFoundError(f"class list not found: {path}")
    rows = [line.split("\t") for line in path.read_text().splitlines() if line]
    return [r[0] for r in rows], [r[1] == "1" for r in rows]


def encode_label(label: np.ndarray, num_classes: int) -> Image.Image:
    """(H, W) int64 class ids / IGNORE_INDEX -> ADE-style PNG image (8-bit, or 16-bit if N + 1 > 255)."""
    stored = np.where(label == IGNORE_INDEX, 0, label + 1)
    if num_classes + 1 > 255:
        return Image.fromarray(stored.astype(np.uint16))  # written as a 16-bit greyscale PNG
    return Image.fromarray(stored.astype(np.uint8), mode="L")


def write_ade_layout(dataset: Dataset, root: str | Path, *, split: Literal["train", "val"] = "train",
                     image_format: Literal["png", "jpg"] = "png") -> Path:
    """Write every item of `dataset` (image (3, H, W) uint8, label (H, W) int64) into the ADE20K layout.

    Returns the root. PNG images keep the data lossless (the round trip is exact); JPEG does not.
    """
    root = Path(root)
    img_dir, ann_dir = (root / d / SPLIT_DIRS[split] for d in ("images", "annotations"))
    img_dir.mkdir(parents=True, exist_ok=True)
    ann_dir.mkdir(parents=True, exist_ok=True)
    write_classes(root, dataset.class_names, dataset.is_stuff)
    for i in tqdm(range(len(dataset)), desc=f"write {split}", leave=False):
        image, label = dataset[i]
        Image.fromarray(image.permute(1, 2, 0).numpy()).save(img_dir / f"{i:06d}.{image_format}")
        encode_label(label.numpy(), dataset.num_classes).save(ann_dir / f"{i:06d}.png")
    return root


def load_ade_layout(root: str | Path, *, split: Literal["train", "val"] = "train",
                    transform: Transform | None = None) -> SegmentationFolder:
    """Read a folder written by `write_ade_layout` (or any ADE-style folder with classes.tsv)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"data folder not found: {root}")
    names, is_stuff = read_classes(root)
    return SegmentationFolder(
        image_dir=root / "images" / SPLIT_DIRS[split], label_dir=root / "annotations" / SPLIT_DIRS[split],
        num_classes=len(names), image_suffix=(".png", ".jpg"), label_suffix=".png", class_names=names,
        is_stuff=is_stuff, reduce_zero_label=True, ignore_values=(), transform=transform)
