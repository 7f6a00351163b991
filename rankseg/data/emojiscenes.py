"""EmojiScenes: the embedded, generated segmentation data set (Noto emoji things on textured stuff)."""

from __future__ import annotations

from typing import Callable, Literal

import numpy as np
import torch
from torch.utils.data import Dataset

from rankseg.data.scene import SceneParams, render_scene
from rankseg.data.vocabulary import build_vocabulary

Split = Literal["train", "val"]
SPLIT_IDS = {"train": 0, "val": 1}
Transform = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def to_tensors(image: np.ndarray, label: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """(H, W, 3) uint8 and (H, W) int labels -> (3, H, W) uint8 tensor and (H, W) int64 tensor."""
    img = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
    return img, torch.from_numpy(np.ascontiguousarray(label, dtype=np.int64))


class EmojiScenes(Dataset):
    """Generated scenes of `num_classes` classes; item i is a pure function of (seed, split, i).

    `__getitem__(i)` returns (image (3, S, S) uint8 RGB, label (S, S) int64 in 0..N-1); `sample(i)` also
    gives the instance id map and segment list (for panoptic targets).
    """

    def __init__(self, *, num_classes: int = 150, split: Split = "train", size: int = 200, image_size: int = 64,
                 seed: int = 0, transform: Transform | None = None, cache: bool = False,
                 params: SceneParams = SceneParams()) -> None:
        if split not in SPLIT_IDS:
            raise ValueError(f"split must be one of {tuple(SPLIT_IDS)}, got {split!r}")
        if size < 0 or image_size < 8:
            raise ValueError(f"need size >= 0 and image_size >= 8, got size={size}, image_size={image_size}")
        self.vocab = build_vocabulary(num_classes)
        self.split, self.size, self.image_size, self.seed = split, size, image_size, seed
        self.transform, self.params = transform, params
        self.class_names: list[str] = list(self.vocab.class_names)
        self.num_classes: int = num_classes
        self.is_stuff: list[bool] = list(self.vocab.is_stuff)
        self._cache: dict[int, dict] | None = {} if cache else None

    def __len__(self) -> int:
        return self.size

    def sample(self, index: int) -> dict:
        """Scene `index`: {"image" (S, S, 3) uint8, "label" (S, S) int64, "instance_ids" (S, S) int32,
        "segments": [{"id", "category_id", "is_thing", "area"}, ...]} (no transform applied)."""
        if not 0 <= index < self.size:
            raise IndexError(f"index {index} out of range for EmojiScenes {self.split} of size {self.size}")
        if self._cache is not None and index in self._cache:
            return self._cache[index]
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, SPLIT_IDS[self.split], index]))
        out = render_scene(rng, self.vocab, self.image_size, self.params)
        if self._cache is not None:
            self._cache[index] = out
        return out

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        s = self.sample(index)
        image, label = s["image"], s["label"]
        if self.transform is not None:
            image, label = self.transform(image, label)
        return to_tensors(image, label)

    def label(self, index: int) -> np.ndarray:
        """(S, S) int64 label of item `index` without its image transform (for statistics)."""
        return self.sample(index)["label"]
