"""Build the (train, val) data sets of a DataConfig."""

from __future__ import annotations

from torch.utils.data import Dataset

from rankseg.data.benchmarks import build_benchmark
from rankseg.data.config import DataConfig
from rankseg.data.emojiscenes import EmojiScenes
from rankseg.data.layout import load_ade_layout
from rankseg.data.transforms import Compose, PhotoMetricDistortion, RandomFlip, ResizeShortSide, train_transform


def build_datasets(cfg: DataConfig) -> tuple[Dataset, Dataset]:
    """(train, val) for `cfg.name`.

    EmojiScenes trains with flip and photometric jitter only (its images are already `image_size`).
    Real data trains with the mmseg pipeline (random resize, crop with cat_max_ratio, flip, photometric,
    pad) at crop `image_size`; validation resizes the image's short side to `eval_short_side` if set and
    keeps the label at its original size, so predictions must be resized back to the label (batch 1).
    """
    if cfg.name == "emojiscenes":
        steps = ([RandomFlip()] if cfg.flip else []) + ([PhotoMetricDistortion()] if cfg.photometric else [])
        # cached: a scene is rendered once per process, not once per epoch (transforms copy, never mutate)
        common = dict(num_classes=cfg.num_classes, image_size=cfg.image_size, seed=cfg.seed, cache=True)
        train = EmojiScenes(split="train", size=cfg.num_train, transform=Compose(steps) if steps else None, **common)
        return train, EmojiScenes(split="val", size=cfg.num_val, **common)
    train_tf = train_transform(crop_size=cfg.image_size, ratio_range=cfg.ratio_range,
                               cat_max_ratio=cfg.cat_max_ratio, flip=cfg.flip, photometric=cfg.photometric)
    val_tf = ResizeShortSide(short_side=cfg.eval_short_side) if cfg.eval_short_side else None
    if cfg.name == "folder":
        return (load_ade_layout(cfg.root, split="train", transform=train_tf),
                load_ade_layout(cfg.root, split="val", transform=val_tf))
    return (build_benchmark(cfg.name, root=cfg.root, split="train", transform=train_tf),
            build_benchmark(cfg.name, root=cfg.root, split="val", transform=val_tf))
