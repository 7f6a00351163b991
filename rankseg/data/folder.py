"""SegmentationFolder: image / label pairs read from two folders; every real benchmark loader is one."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from rankseg.constants import IGNORE_INDEX
from rankseg.data.emojiscenes import to_tensors

Transform = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def read_image(path: Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB; raises OSError naming `path` if it cannot be decoded."""
    try:
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"))
    except Exception as exc:  # PIL raises several types
        raise OSError(f"cannot read image {path}: {exc}") from exc


def read_raw_label(path: Path) -> np.ndarray:
    """(H, W) int64 stored values of a PNG (8 or 16 bit, L or P mode) or a TIFF label file."""
    try:
        if path.suffix.lower() in (".tif", ".tiff"):
            import tifffile

            raw = tifffile.imread(path)
        else:
            with Image.open(path) as img:
                raw = np.asarray(img)
    except Exception as exc:
        raise OSError(f"cannot read label {path}: {exc}") from exc
    if raw.ndim != 2:
        raise ValueError(f"label {path} must be single-channel, got shape {raw.shape}")
    return raw.astype(np.int64)


def decode_label(raw: np.ndarray, *, num_classes: int, reduce_zero_label: bool, ignore_values: Sequence[int],
                 path: Path | str = "<array>") -> np.ndarray:
    """Stored values -> class ids 0..N-1 and IGNORE_INDEX.

    With reduce_zero_label, stored 0 is ignored and v becomes v - 1 (ADE20K, PASCAL-Context-59); values in
    `ignore_values` (as stored) are ignored. Any other value outside 0..N-1 raises ValueError naming `path`.
    """
    ignore = np.isin(raw, np.asarray(ignore_values, dtype=np.int64))
    label = raw.copy()
    if reduce_zero_label:
        ignore |= raw == 0
        label -= 1
    bad = ~ignore & ((label < 0) | (label >= num_classes))
    if bad.any():
        values = np.unique(raw[bad])[:10].tolist()
        raise ValueError(f"label {path} has stored values {values} outside the {num_classes}-class vocabulary "
                         f"(reduce_zero_label={reduce_zero_label}, ignore values {list(ignore_values)})")
    label[ignore] = IGNORE_INDEX
    return label


class SegmentationFolder(Dataset):
    """Pairs `image_dir/<stem><image_suffix>` with `label_dir/<stem><label_suffix>`.

    `__getitem__(i)` returns (image (3, H, W) uint8 RGB, label (H, W) int64, IGNORE_INDEX = ignored), after
    the optional transform on the numpy pair. Unpaired files, a missing folder, an unreadable file or a
    label value outside the vocabulary raise with the offending path in the message.
    """

    def __init__(self, *, image_dir: str | Path, label_dir: str | Path, num_classes: int,
                 image_suffix: str | tuple[str, ...] = ".jpg", label_suffix: str = ".png",
                 class_names: Sequence[str] | None = None, is_stuff: Sequence[bool] | None = None,
                 reduce_zero_label: bool = False, ignore_values: Sequence[int] = (255,),
                 stems: Sequence[str] | None = None, transform: Transform | None = None) -> None:
        self.image_dir, self.label_dir = Path(image_dir), Path(label_dir)
        for d in (self.image_dir, self.label_dir):
            if not d.is_dir():
                raise FileNotFoundError(f"data folder not found: {d}")
        self.num_classes = num_classes
        self.class_names: list[str] = list(class_names) if class_names else [f"class_{i}" for i in range(num_classes)]
        self.is_stuff: list[bool] = list(is_stuff) if is_stuff is not None else [False] * num_classes
        if len(self.class_names) != num_classes or len(self.is_stuff) != num_classes:
            raise ValueError(f"need {num_classes} class names and stuff flags, got "
                             f"{len(self.class_names)} and {len(self.is_stuff)}")
        self.reduce_zero_label, self.ignore_values = reduce_zero_label, tuple(ignore_values)
        self.transform = transform
        suffixes = (image_suffix,) if isinstance(image_suffix, str) else tuple(image_suffix)
        images = {p.name[: -len(s)]: p for s in suffixes for p in self.image_dir.glob(f"*{s}")}
        labels = {p.name[: -len(label_suffix)]: p for p in self.label_dir.glob(f"*{label_suffix}")}
        if stems is not None:  # a split file selects the pairs; each must exist
            for s in stems:
                if s not in images:
                    raise FileNotFoundError(f"image for {s!r} not found in {self.image_dir} (suffixes {suffixes})")
                if s not in labels:
                    missing = self.label_dir / (s + label_suffix)
                    raise FileNotFoundError(f"label {missing} not found for image {images[s]}")
            keys = list(stems)
        else:
            for s in sorted(images.keys() - labels.keys()):
                raise FileNotFoundError(f"image {images[s]} has no label {self.label_dir / (s + label_suffix)}")
            for s in sorted(labels.keys() - images.keys()):
                raise FileNotFoundError(f"label {labels[s]} has no image in {self.image_dir} (suffixes {suffixes})")
            keys = sorted(images)
        if not keys:
            raise FileNotFoundError(f"no images with suffix {suffixes} in {self.image_dir}")
        self.stems = keys
        self.image_paths = [images[s] for s in keys]
        self.label_paths = [labels[s] for s in keys]

    def __len__(self) -> int:
        return len(self.stems)

    def label(self, index: int) -> np.ndarray:
        """(H, W) int64 decoded label of item `index` (no transform)."""
        path = self.label_paths[index]
        return decode_label(read_raw_label(path), num_classes=self.num_classes, path=path,
                            reduce_zero_label=self.reduce_zero_label, ignore_values=self.ignore_values)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image, label = read_image(self.image_paths[index]), self.label(index)
        if image.shape[:2] != label.shape:
            raise ValueError(f"image {self.image_paths[index]} is {image.shape[:2]} but its label "
                             f"{self.label_paths[index]} is {label.shape}")
        if self.transform is not None:
            image, label = self.transform(image, label)
        return to_tensors(image, label)
