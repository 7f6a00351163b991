"""Video semantic segmentation data: EmojiScenes clips (generated) and VSPW (real, read from disk).

A clip item is (frames (T, 3, H, W) uint8, labels (T, 2, H, W) long [semantic class, segment id]); the
clip-level multi-label target is the set of classes present in any frame (`clip_classes`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset

from rankseg.constants import IGNORE_INDEX
from rankseg.data.emojiscenes import SPLIT_IDS, Split
from rankseg.data.labels import present_classes
from rankseg.data.scene import render_scene
from rankseg.data.vocabulary import build_vocabulary


def clip_classes(labels: Tensor, num_classes: int) -> Tensor:
    """Clip-level multi-label target: labels (B, T, 2, H, W) or (B, T, H, W) → (B, N) bool, True where the
    class has a pixel in any frame."""
    sem = labels[:, :, 0] if labels.ndim == 5 else labels
    return present_classes(sem.flatten(1, 2), num_classes)


def _resize(array: np.ndarray, size: int, nearest: bool) -> np.ndarray:
    mode = Image.Resampling.NEAREST if nearest else Image.Resampling.BILINEAR
    if nearest:
        return np.asarray(Image.fromarray(array.astype(np.int32), mode="I").resize((size, size), mode)).astype(np.int64)
    return np.asarray(Image.fromarray(array).resize((size, size), mode))


class EmojiClips(Dataset):
    """Clips of `frames` frames: a camera pans and zooms over one EmojiScenes scene rendered at `scene_scale`
    times the frame side, so objects move and change scale from frame to frame and enter or leave the view.
    Clip i is a pure function of (seed, split, i).

    Item: (frames (T, 3, S, S) uint8, labels (T, 2, S, S) long [class, segment id]).
    """

    def __init__(self, *, num_classes: int = 150, split: Split = "train", size: int = 200, image_size: int = 64,
                 frames: int = 2, seed: int = 0, scene_scale: float = 1.5, augment: bool = False) -> None:
        if split not in SPLIT_IDS:
            raise ValueError(f"split must be one of {tuple(SPLIT_IDS)}, got {split!r}")
        if frames < 1 or image_size < 8 or scene_scale < 1:
            raise ValueError(f"need frames >= 1, image_size >= 8, scene_scale >= 1; got {frames}, {image_size}, "
                             f"{scene_scale}")
        self.vocab = build_vocabulary(num_classes)
        self.num_classes, self.class_names = num_classes, list(self.vocab.class_names)
        self.is_stuff = list(self.vocab.is_stuff)
        self.split, self.size, self.image_size, self.frames, self.seed = split, size, image_size, frames, seed
        self.scene_side = int(round(image_size * scene_scale))
        self.augment = augment
        self._cache: dict[int, tuple[Tensor, Tensor]] = {}

    def __len__(self) -> int:
        return self.size

    def clip(self, index: int) -> tuple[Tensor, Tensor]:
        if not 0 <= index < self.size:
            raise IndexError(f"index {index} out of range for EmojiClips {self.split} of size {self.size}")
        if index in self._cache:
            return self._cache[index]
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, SPLIT_IDS[self.split], index, 7]))
        s = render_scene(rng, self.vocab, self.scene_side)
        side = self.scene_side
        crops = rng.uniform(0.55, 0.9, 2) * side  # window side at the first and last frame (zoom)
        frames, labels = [], []
        corners = rng.uniform(0, 1, (2, 2))  # window position at the first and last frame, in free space
        for t in range(self.frames):
            a = t / max(self.frames - 1, 1)
            c = int(round((1 - a) * crops[0] + a * crops[1]))
            y, x = ((1 - a) * corners[0] + a * corners[1]) * (side - c)
            y, x = int(round(y)), int(round(x))
            frames.append(_resize(s["image"][y:y + c, x:x + c], self.image_size, nearest=False))
            sem = _resize(s["label"][y:y + c, x:x + c], self.image_size, nearest=True)
            seg = _resize(s["instance_ids"][y:y + c, x:x + c], self.image_size, nearest=True)
            labels.append(np.stack([sem, seg]))
        out = (torch.from_numpy(np.stack(frames).transpose(0, 3, 1, 2).copy()), torch.from_numpy(np.stack(labels)))
        self._cache[index] = out
        return out

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        frames, labels = self.clip(index)
        if self.augment and torch.rand(()) < 0.5:
            frames, labels = frames.flip(-1), labels.flip(-1)
        return frames, labels


class VSPWClips(Dataset):
    """VSPW (Miao et al., CVPR 2021) in its released layout: `<root>/data/<video>/origin/<frame>.jpg`,
    `<root>/data/<video>/mask/<frame>.png`, split files `<root>/train.txt`, `<root>/val.txt` (one video per line).

    Mask value 0 ("others") and 255 are ignored; values 1..124 become classes 0..123. Items are windows of
    `frames` consecutive frames (every `stride` frames; stride = frames gives non-overlapping windows),
    resized to `size`×`size` when `size` is given (image bilinear, mask nearest).
    Item: (frames (T, 3, H, W) uint8, labels (T, 2, H, W) long [class, class + 1 as segment id]).
    """

    NUM_CLASSES = 124

    def __init__(self, *, root: str | Path, split: str = "val", frames: int = 2, stride: int | None = None,
                 size: int | None = None) -> None:
        self.root = Path(root)
        split_file = self.root / f"{split}.txt"
        if not self.root.is_dir():
            raise FileNotFoundError(f"VSPW root folder not found: {self.root}")
        if not split_file.is_file():
            raise FileNotFoundError(f"VSPW split file not found: {split_file} (expected train.txt / val.txt in the root)")
        self.frames, self.size, self.num_classes = frames, size, self.NUM_CLASSES
        self.windows: list[tuple[str, list[str]]] = []
        for video in [v.strip() for v in split_file.read_text().splitlines() if v.strip()]:
            origin, mask = self.root / "data" / video / "origin", self.root / "data" / video / "mask"
            for folder in (origin, mask):
                if not folder.is_dir():
                    raise FileNotFoundError(f"VSPW video {video!r}: folder not found: {folder}")
            names = sorted(p.stem for p in origin.glob("*.jpg"))
            if not names:
                raise FileNotFoundError(f"VSPW video {video!r}: no .jpg frames in {origin}")
            for name in names:
                if not (mask / f"{name}.png").is_file():
                    raise FileNotFoundError(f"VSPW video {video!r}: mask not found: {mask / (name + '.png')}")
            step = stride or frames
            for start in range(0, max(len(names) - frames, 0) + 1, step):
                window = names[start:start + frames]
                if len(window) == frames:
                    self.windows.append((video, window))

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        video, names = self.windows[index]
        frames, labels = [], []
        for name in names:
            image = np.asarray(Image.open(self.root / "data" / video / "origin" / f"{name}.jpg").convert("RGB"))
            mask = np.asarray(Image.open(self.root / "data" / video / "mask" / f"{name}.png")).astype(np.int64)
            if self.size is not None:
                image, mask = _resize(image, self.size, nearest=False), _resize(mask, self.size, nearest=True)
            sem = np.where((mask == 0) | (mask == 255), IGNORE_INDEX, mask - 1)
            frames.append(image.transpose(2, 0, 1))
            labels.append(np.stack([sem, sem + 1]))
        return torch.from_numpy(np.stack(frames).copy()), torch.from_numpy(np.stack(labels))
