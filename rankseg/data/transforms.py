"""Segmentation transforms as in mmsegmentation, as small callables on (image, label) numpy pairs.

Every transform maps (image (H, W, 3) uint8 RGB, label (H, W) int64 with IGNORE_INDEX) to a new pair.
Random ones draw their numbers from torch's generator (via `_rng`), so that `torch.manual_seed` fixes
them and DataLoader workers, which torch seeds apart, do not repeat each other.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
from PIL import Image

from rankseg.constants import IGNORE_INDEX

Pair = tuple[np.ndarray, np.ndarray]


def _rng() -> np.random.Generator:
    return np.random.default_rng(int(torch.randint(0, 2**62, ()).item()))


def resize_image(image: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of (H, W, 3) uint8 to (h, w, 3)."""
    return np.asarray(Image.fromarray(image).resize((hw[1], hw[0]), Image.Resampling.BILINEAR))


def resize_label(label: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """Nearest resize of (H, W) int64 labels to (h, w) (int32 image mode keeps every class id and -1)."""
    img = Image.fromarray(label.astype(np.int32), mode="I")
    return np.asarray(img.resize((hw[1], hw[0]), Image.Resampling.NEAREST)).astype(np.int64)


def rescale_hw(hw: tuple[int, int], long_side: float, short_side: float) -> tuple[int, int]:
    """mmseg keep-ratio rescale: the largest size with long <= long_side and short <= short_side."""
    h, w = hw
    f = min(long_side / max(h, w), short_side / min(h, w))
    return max(1, int(h * f + 0.5)), max(1, int(w * f + 0.5))


class Compose:
    """Apply transforms in order."""

    def __init__(self, transforms: Sequence[Callable[[np.ndarray, np.ndarray], Pair]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, image: np.ndarray, label: np.ndarray) -> Pair:
        for t in self.transforms:
            image, label = t(image, label)
        return image, label


class RandomResize:
    """Rescale (keep ratio) to scale * r with r ~ U(ratio_range); scale = (long, short) base size."""

    def __init__(self, *, scale: tuple[int, int], ratio_range: tuple[float, float] = (0.5, 2.0)) -> None:
        self.scale, self.ratio_range = scale, ratio_range

    def __call__(self, image: np.ndarray, label: np.ndarray) -> Pair:
        r = _rng().uniform(*self.ratio_range)
        hw = rescale_hw(label.shape, self.scale[0] * r, self.scale[1] * r)
        return resize_image(image, hw), resize_label(label, hw)


class RandomCrop:
    """Random crop of at most `size`; retried up to 10 times while one class covers > cat_max_ratio."""

    def __init__(self, *, size: int, cat_max_ratio: float = 1.0, ignore_index: int = IGNORE_INDEX) -> None:
        self.size, self.cat_max_ratio, self.ignore_index = size, cat_max_ratio, ignore_index

    def _box(self, rng: np.random.Generator, hw: tuple[int, int]) -> tuple[int, int, int, int]:
        h, w = hw
        y0 = int(rng.integers(0, max(h - self.size, 0) + 1))
        x0 = int(rng.integers(0, max(w - self.size, 0) + 1))
        return y0, min(y0 + self.size, h), x0, min(x0 + self.size, w)

    def __call__(self, image: np.ndarray, label: np.ndarray) -> Pair:
        rng = _rng()
        y0, y1, x0, x1 = self._box(rng, label.shape)
        if self.cat_max_ratio < 1.0:
            for _ in range(10):
                crop = label[y0:y1, x0:x1]
                _, counts = np.unique(crop[crop != self.ignore_index], return_counts=True)
                if len(counts) > 1 and counts.max() / counts.sum() < self.cat_max_ratio:
                    break
                y0, y1, x0, x1 = self._box(rng, label.shape)
        return image[y0:y1, x0:x1], label[y0:y1, x0:x1]


class RandomFlip:
    """Horizontal flip with probability `prob`."""

    def __init__(self, *, prob: float = 0.5) -> None:
        self.prob = prob

    def __call__(self, image: np.ndarray, label: np.ndarray) -> Pair:
        if _rng().random() < self.prob:
            return image[:, ::-1].copy(), label[:, ::-1].copy()
        return image, label


class PhotoMetricDistortion:
    """mmseg PhotoMetricDistortion: brightness (+-32), contrast and saturation (x0.5..1.5), hue (+-18/180),
    each applied with probability 1/2; contrast before or after the HSV part at random."""

    def __init__(self, *, brightness: float = 32, contrast: tuple[float, float] = (0.5, 1.5),
                 saturation: tuple[float, float] = (0.5, 1.5), hue: int = 18) -> None:
        self.brightness, self.contrast, self.saturation, self.hue = brightness, contrast, saturation, hue

    def __call__(self, image: np.ndarray, label: np.ndarray) -> Pair:
        rng = _rng()
        img = image.astype(np.float32)
        if rng.random() < 0.5:
            img += rng.uniform(-self.brightness, self.brightness)
        contrast_first = rng.random() < 0.5
        if contrast_first and rng.random() < 0.5:
            img *= rng.uniform(*self.contrast)
        do_sat, do_hue = rng.random() < 0.5, rng.random() < 0.5
        if do_sat or do_hue:
            hsv = np.asarray(Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).convert("HSV")).astype(np.int32)
            if do_sat:
                hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(*self.saturation), 0, 255)
            if do_hue:  # PIL hue spans 0..255 for 0..360 degrees; mmseg shifts by +-hue in OpenCV's 0..180
                hsv[..., 0] = (hsv[..., 0] + int(rng.integers(-self.hue, self.hue + 1)) * 256 // 180) % 256
            img = np.asarray(Image.fromarray(hsv.astype(np.uint8), mode="HSV").convert("RGB")).astype(np.float32)
        if not contrast_first and rng.random() < 0.5:
            img *= rng.uniform(*self.contrast)
        return np.clip(img, 0, 255).astype(np.uint8), label


class PadTo:
    """Pad bottom/right to at least (size, size): image with 0, label with the ignore index."""

    def __init__(self, *, size: int, ignore_index: int = IGNORE_INDEX) -> None:
        self.size, self.ignore_index = size, ignore_index

    def __call__(self, image: np.ndarray, label: np.ndarray) -> Pair:
        ph, pw = max(self.size - label.shape[0], 0), max(self.size - label.shape[1], 0)
        if ph == 0 and pw == 0:
            return image, label
        image = np.pad(image, ((0, ph), (0, pw), (0, 0)))
        return image, np.pad(label, ((0, ph), (0, pw)), constant_values=self.ignore_index)


class ResizeShortSide:
    """Evaluation resize of the image only: short side -> `short_side` (long side <= max_ratio times it).

    The label keeps its original size, as in mmsegmentation: predictions are resized back to it.
    """

    def __init__(self, *, short_side: int, max_ratio: float = 4.0) -> None:
        self.short_side, self.max_ratio = short_side, max_ratio

    def __call__(self, image: np.ndarray, label: np.ndarray) -> Pair:
        hw = rescale_hw(image.shape[:2], self.short_side * self.max_ratio, self.short_side)
        return resize_image(image, hw), label


def train_transform(*, crop_size: int, ratio_range: tuple[float, float] = (0.5, 2.0), cat_max_ratio: float = 0.75,
                    flip: bool = True, photometric: bool = True) -> Compose:
    """mmseg training pipeline for real data: resize (base short side = crop_size, long <= 4x), crop,
    flip, photometric distortion, pad to the crop size."""
    steps: list = [RandomResize(scale=(4 * crop_size, crop_size), ratio_range=ratio_range),
                   RandomCrop(size=crop_size, cat_max_ratio=cat_max_ratio)]
    steps += [RandomFlip()] if flip else []
    steps += [PhotoMetricDistortion()] if photometric else []
    return Compose(steps + [PadTo(size=crop_size)])
