"""Class names and stuff flags of the real benchmarks.

ADE20K-150 comes from `assets/objectInfo150.csv` (github.com/CSAILVision/sceneparsing, BSD-3-Clause). The
COCO-Stuff-171 and PASCAL-Context-59/60 lists follow mmsegmentation's order. ADE20K-Full (847) and COCO+LVIS
(1,284) names are not bundled: they are generic (`ade_full_<id>`, `coco_lvis_<id>`) with no stuff flags.
"""

from __future__ import annotations

import csv
import functools

from rankseg.data.atlas import ASSETS

COCO_THINGS = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard",
    "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)
COCO_STUFF = (
    "banner", "blanket", "branch", "bridge", "building-other", "bush", "cabinet", "cage", "cardboard", "carpet",
    "ceiling-other", "ceiling-tile", "cloth", "clothes", "clouds", "counter", "cupboard", "curtain",
    "desk-stuff", "dirt", "door-stuff", "fence", "floor-marble", "floor-other", "floor-stone", "floor-tile",
    "floor-wood", "flower", "fog", "food-other", "fruit", "furniture-other", "grass", "gravel", "ground-other",
    "hill", "house", "leaves", "light", "mat", "metal", "mirror-stuff", "moss", "mountain", "mud", "napkin",
    "net", "paper", "pavement", "pillow", "plant-other", "plastic", "platform", "playingfield", "railing",
    "railroad", "river", "road", "rock", "roof", "rug", "salad", "sand", "sea", "shelf", "sky-other",
    "skyscraper", "snow", "solid-other", "stairs", "stone", "straw", "structural-other", "table", "tent",
    "textile-other", "towel", "tree", "vegetable", "wall-brick", "wall-concrete", "wall-other", "wall-panel",
    "wall-stone", "wall-tile", "wall-wood", "water-other", "waterdrops", "window-blind", "window-other", "wood",
)
PASCAL_CONTEXT_59 = (
    "aeroplane", "bag", "bed", "bedclothes", "bench", "bicycle", "bird", "boat", "book", "bottle", "building",
    "bus", "cabinet", "car", "cat", "ceiling", "chair", "cloth", "computer", "cow", "cup", "curtain", "dog",
    "door", "fence", "floor", "flower", "food", "grass", "ground", "horse", "keyboard", "light", "motorbike",
    "mountain", "mouse", "person", "plate", "platform", "pottedplant", "road", "rock", "sheep", "shelves",
    "sidewalk", "sign", "sky", "snow", "sofa", "table", "track", "train", "tree", "truck", "tvmonitor", "wall",
    "water", "window", "wood",
)
# Our choice (no official thing/stuff split exists for PASCAL-Context): amorphous regions count as stuff.
PASCAL_CONTEXT_STUFF = frozenset({
    "bedclothes", "building", "ceiling", "cloth", "fence", "floor", "grass", "ground", "mountain", "platform",
    "road", "rock", "sidewalk", "sky", "snow", "track", "tree", "wall", "water", "wood", "background",
})


@functools.cache
def ade20k_classes() -> tuple[list[str], list[bool]]:
    """150 ADE20K names (first synonym of objectInfo150.csv, e.g. "building") and stuff flags."""
    with open(ASSETS / "objectInfo150.csv", newline="") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: int(r["Idx"]))
    return [r["Name"].split(";")[0] for r in rows], [r["Stuff"] == "1" for r in rows]


def coco_stuff_classes() -> tuple[list[str], list[bool]]:
    """171 COCO-Stuff names (80 things, then 91 stuff) and stuff flags."""
    return list(COCO_THINGS + COCO_STUFF), [False] * len(COCO_THINGS) + [True] * len(COCO_STUFF)


def pascal_context_classes(*, with_background: bool) -> tuple[list[str], list[bool]]:
    """PASCAL-Context 59 names, or 60 with "background" as class 0, and (our) stuff flags."""
    names = (["background"] if with_background else []) + list(PASCAL_CONTEXT_59)
    return names, [n in PASCAL_CONTEXT_STUFF for n in names]


def generic_classes(prefix: str, num_classes: int) -> tuple[list[str], list[bool]]:
    """Placeholder names `<prefix>_<id>` (no stuff flags) for vocabularies not bundled offline."""
    return [f"{prefix}_{i}" for i in range(num_classes)], [False] * num_classes
