"""Batches for training and evaluation: a resumable, seeded iteration order and collation."""

from __future__ import annotations

import random
from collections.abc import Iterator

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset, Sampler

from rankseg.constants import IGNORE_INDEX
from rankseg.engine.runtime import progress_bar


class SeededSamples(Dataset):
    """Wraps a data set so that item (index, seed) is drawn with all RNGs seeded by `seed`.

    Random augmentations then depend only on (run seed, iteration, position in batch), not on which
    worker or how many earlier samples ran: a resumed run sees the very batches it would have seen.
    """

    def __init__(self, base: Dataset) -> None:
        self.base = base

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, item: tuple[int, int]):
        index, seed = item
        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch.manual_seed(seed)
        return self.base[index]


class IterationBatches(Sampler):
    """Yields the batches of iterations start..total-1: epoch e is a permutation seeded by (seed, e).

    Under DDP each rank takes its slice of the global batch. Items are (dataset index, sample seed).
    """

    def __init__(self, n: int, *, batch_size: int, total: int, seed: int, start: int = 0, rank: int = 0,
                 world_size: int = 1) -> None:
        if n == 0:
            raise ValueError("the training set is empty")
        self.n, self.batch, self.total, self.seed, self.start = n, batch_size, total, seed, start
        self.rank, self.world = rank, world_size

    def __len__(self) -> int:
        return max(self.total - self.start, 0)

    def _perm(self, epoch: int) -> list[int]:
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(self.n, generator=g).tolist()

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        global_batch = self.batch * self.world
        perms: dict[int, list[int]] = {}
        for it in range(self.start, self.total):
            items = []
            for j in range(it * global_batch + self.rank * self.batch, it * global_batch + (self.rank + 1) * self.batch):
                epoch, pos = divmod(j, self.n)
                if epoch not in perms:
                    perms = {epoch: self._perm(epoch)}  # keep only the current epoch's permutation
                items.append((perms[epoch][pos], (self.seed * 1_000_003 + j) % 2**31))
            yield items


def to_float_images(images: Tensor) -> Tensor:
    """uint8 (B, 3, H, W) → float in [0, 1]."""
    return images.float().div_(255) if images.dtype == torch.uint8 else images.float()


def collate(batch: list[tuple[Tensor, Tensor]]) -> tuple[Tensor, Tensor]:
    images, labels = zip(*batch, strict=True)
    return torch.stack(images), torch.stack(labels)


def check_dataset(dataset: Dataset, *, num_classes: int | None, what: str = "data set", progress: bool = True) -> None:
    """Reads every item of `dataset` once, so that an unreadable file fails now rather than at the end of training,
    and with `num_classes` checks that each label (H, W) holds only 0..N-1 and IGNORE_INDEX."""
    own = getattr(dataset, "num_classes", num_classes)
    if num_classes is not None and own != num_classes:
        raise ValueError(f"the {what} has {own} classes but the config says data.num_classes={num_classes}")
    for i in progress_bar(range(len(dataset)), enabled=progress, desc=f"check {what}", leave=False):
        _, label = dataset[i]
        if num_classes is None:
            continue
        bad = (label != IGNORE_INDEX) & ((label < 0) | (label >= num_classes))
        if bad.any():
            values = torch.unique(label[bad])[:10].tolist()
            raise ValueError(f"{what} item {i} has label values {values} outside 0..{num_classes - 1} "
                             f"(and {IGNORE_INDEX} = ignore)")
