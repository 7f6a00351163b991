"""A tiny generated data set for engine and model tests: coloured rectangles on a textured ground,
each rectangle colour a class, so that the tests do not depend on EmojiScenes."""

from __future__ import annotations

import torch
from torch.utils.data import Dataset

from rankseg.constants import IGNORE_INDEX


class Rectangles(Dataset):
    """Items (image uint8 (3, S, S), label int64 (S, S)); `ignore_border` pixels are IGNORE_INDEX."""

    def __init__(self, *, n: int, num_classes: int, size: int = 32, seed: int = 0, per_image: int = 3,
                 ignore_border: int = 1) -> None:
        self.n, self.num_classes, self.size, self.seed = n, num_classes, size, seed
        self.per_image, self.ignore_border = per_image, ignore_border
        g = torch.Generator().manual_seed(1234)
        self.colours = torch.randint(0, 256, (num_classes, 3), generator=g, dtype=torch.uint8)
        self.class_names = [f"class_{i}" for i in range(num_classes)]
        self.is_stuff = [False] * num_classes

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.Generator().manual_seed(self.seed * 100_003 + i)
        s = self.size
        label = torch.full((s, s), int(torch.randint(0, self.num_classes, (1,), generator=g)), dtype=torch.long)
        for _ in range(self.per_image):
            c = int(torch.randint(0, self.num_classes, (1,), generator=g))
            y, x = torch.randint(0, s // 2, (2,), generator=g).tolist()
            h, w = torch.randint(s // 4, s // 2, (2,), generator=g).tolist()
            label[y:y + h, x:x + w] = c
        image = self.colours[label].permute(2, 0, 1).contiguous()
        if self.ignore_border:
            b = self.ignore_border
            label[:b], label[-b:], label[:, :b], label[:, -b:] = IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX
        return image, label
