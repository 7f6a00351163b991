"""Panoptic ground truth: EmojiScenes with instance ids and thing/stuff flags, and the COCO panoptic format
(PNG whose RGB encodes segment ids, id = R + 256·G + 256²·B, plus JSON `segments_info`) for real data.

Panoptic labels are (2, H, W) long tensors: [semantic class (IGNORE_INDEX for void), segment id (0 for
void)], so that `rankseg.engine.data.collate` stacks them like semantic labels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset

from rankseg.constants import IGNORE_INDEX
from rankseg.data.emojiscenes import EmojiScenes, Split
from rankseg.data.transforms import PhotoMetricDistortion


def panoptic_label(label: np.ndarray, segment_ids: np.ndarray) -> Tensor:
    """(H, W) class ids and (H, W) segment ids → (2, H, W) long; void pixels (class < 0) get segment 0."""
    sem = torch.from_numpy(np.ascontiguousarray(label, dtype=np.int64))
    seg = torch.from_numpy(np.ascontiguousarray(segment_ids, dtype=np.int64))
    return torch.stack([sem, torch.where(sem == IGNORE_INDEX, torch.zeros_like(seg), seg)])


class PanopticScenes(Dataset):
    """EmojiScenes with panoptic targets: emoji classes are things (one segment per instance), the 40
    texture classes are stuff (one segment per class and image).

    Item: (image (3, S, S) uint8, label (2, S, S) long [class, segment id]). `is_thing` (N,) bool.
    Training augmentation (`augment=True`): horizontal flip and photometric jitter.
    """

    def __init__(self, *, num_classes: int = 150, split: Split = "train", size: int = 200, image_size: int = 64,
                 seed: int = 0, augment: bool = False) -> None:
        self.scenes = EmojiScenes(num_classes=num_classes, split=split, size=size, image_size=image_size, seed=seed,
                                  cache=True)
        self.num_classes, self.class_names = num_classes, self.scenes.class_names
        self.is_stuff = self.scenes.is_stuff
        self.is_thing = ~torch.tensor(self.is_stuff, dtype=torch.bool)
        self.augment = augment
        self._photometric = PhotoMetricDistortion()

    def __len__(self) -> int:
        return len(self.scenes)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        s = self.scenes.sample(index)
        image = s["image"]
        label = panoptic_label(s["label"], s["instance_ids"])
        if self.augment:
            image, _ = self._photometric(image, s["label"])
            if torch.rand(()) < 0.5:
                image, label = image[:, ::-1], label.flip(-1)
        return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))), label.contiguous()


# --- COCO panoptic format ------------------------------------------------------------------------------------

def rgb_to_id(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 → (H, W) int64 segment ids (id = R + 256·G + 256²·B)."""
    rgb = rgb.astype(np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


def id_to_rgb(ids: np.ndarray) -> np.ndarray:
    """(H, W) segment ids → (H, W, 3) uint8."""
    ids = np.asarray(ids, dtype=np.int64)
    if (ids < 0).any() or (ids >= 256 ** 3).any():
        raise ValueError("segment ids must be in 0..256³-1 to be stored as RGB")
    return np.stack([ids % 256, ids // 256 % 256, ids // 65536], axis=-1).astype(np.uint8)


def write_coco_panoptic(png_path: str | Path, panoptic: Tensor, segments: list[dict]) -> dict:
    """Writes a (2, H, W) panoptic label as a COCO panoptic PNG; returns its annotation entry
    {"file_name", "segments_info": [{"id", "category_id", "iscrowd", "isthing", "area"}]}."""
    png_path = Path(png_path)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    ids = panoptic[1].cpu().numpy()
    Image.fromarray(id_to_rgb(ids)).save(png_path)
    info = [{"id": int(s["id"]), "category_id": int(s["category_id"]), "iscrowd": int(s.get("iscrowd", 0)),
             "isthing": int(bool(s["is_thing"])), "area": int((ids == s["id"]).sum())} for s in segments]
    return {"file_name": png_path.name, "segments_info": info}


def read_coco_panoptic(png_path: str | Path, segments_info: list[dict],
                       category_map: dict[int, int] | None = None) -> Tensor:
    """A COCO panoptic PNG and its `segments_info` → (2, H, W) long [class, segment id].

    `category_map` maps the file's category ids to contiguous class ids (None: identity). Crowd segments,
    segment id 0 and ids without an entry in `segments_info` are void (IGNORE_INDEX, segment 0).
    """
    png_path = Path(png_path)
    if not png_path.is_file():
        raise FileNotFoundError(f"panoptic PNG not found: {png_path}")
    ids = rgb_to_id(np.asarray(Image.open(png_path).convert("RGB")))
    sem = np.full(ids.shape, IGNORE_INDEX, np.int64)
    seg = np.zeros(ids.shape, np.int64)
    for s in segments_info:
        if s.get("iscrowd", 0):
            continue
        cat = s["category_id"] if category_map is None else category_map.get(s["category_id"])
        if cat is None:
            raise KeyError(f"{png_path.name}: category_id {s['category_id']} is not in the category list")
        where = ids == s["id"]
        sem[where], seg[where] = cat, s["id"]
    return torch.stack([torch.from_numpy(sem), torch.from_numpy(seg)])


class COCOPanoptic(Dataset):
    """A data set in the COCO panoptic layout (ADE20K panoptic and COCO panoptic are distributed so):
    `images/` (JPEG or PNG), `panoptic/` (PNG), and `annotations.json` with "images", "annotations"
    (file_name, image_id, segments_info) and "categories" (id, name, isthing).

    Item: (image (3, H, W) uint8, label (2, H, W) long); classes are the categories in file order.
    """

    def __init__(self, *, json_file: str | Path, image_dir: str | Path, panoptic_dir: str | Path) -> None:
        json_file, self.image_dir, self.panoptic_dir = Path(json_file), Path(image_dir), Path(panoptic_dir)
        for path, what in [(json_file, "annotation JSON"), (self.image_dir, "image folder"),
                           (self.panoptic_dir, "panoptic PNG folder")]:
            if not path.exists():
                raise FileNotFoundError(f"COCO panoptic {what} not found: {path}")
        d = json.loads(json_file.read_text())
        missing = {"images", "annotations", "categories"} - set(d)
        if missing:
            raise KeyError(f"{json_file} lacks the key(s) {sorted(missing)} of the COCO panoptic format")
        self.categories = d["categories"]
        self.category_map = {c["id"]: i for i, c in enumerate(self.categories)}
        self.class_names = [c["name"] for c in self.categories]
        self.num_classes = len(self.categories)
        self.is_thing = torch.tensor([bool(c.get("isthing", 0)) for c in self.categories])
        self.is_stuff = (~self.is_thing).tolist()
        files = {im["id"]: im["file_name"] for im in d["images"]}
        self.items = [(files[a["image_id"]], a["file_name"], a["segments_info"]) for a in d["annotations"]]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        image_file, png_file, info = self.items[index]
        path = self.image_dir / image_file
        if not path.is_file():
            raise FileNotFoundError(f"image not found: {path}")
        image = np.asarray(Image.open(path).convert("RGB"))
        label = read_coco_panoptic(self.panoptic_dir / png_file, info, self.category_map)
        return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))), label
