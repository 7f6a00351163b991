"""The embedded EmojiScenes assets: Noto emoji sprites and scikit-image texture tiles (loaded once per process).

The files live in `rankseg/data/assets/` and are rebuilt by `scripts/build_emoji_atlas.py`; nothing here
needs the network.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ASSETS = Path(__file__).resolve().parent / "assets"


@dataclass(frozen=True)
class EmojiAtlas:
    """Emoji artwork and metadata.

    Attributes:
        rgba: (E, P, P, 4) uint8 sprites; alpha >= 128 is the object's mask.
        names: E unique lower-case emoji names ("grinning face").
        categories: E top-level categories ("Animals & Nature").
        subcategories: E subcategories ("animal-mammal"), the scene types of EmojiScenes.
    """

    rgba: np.ndarray
    names: list[str]
    categories: list[str]
    subcategories: list[str]

    def __len__(self) -> int:
        return len(self.names)


@functools.cache
def load_emoji_atlas() -> EmojiAtlas:
    """Read `emoji_atlas.npz` (about 1,636 emoji, no flags, components or skin tones); cached."""
    path = ASSETS / "emoji_atlas.npz"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python scripts/build_emoji_atlas.py`")
    with np.load(path) as z:
        atlas = EmojiAtlas(
            rgba=z["rgba"],
            names=[str(s) for s in z["names"]],
            categories=[str(s) for s in z["categories"]],
            subcategories=[str(s) for s in z["subcategories"]],
        )
    atlas.rgba.setflags(write=False)
    return atlas


@functools.cache
def load_textures() -> dict[str, np.ndarray]:
    """Read `stuff_textures.npz`: name -> (T, T, 3) uint8 tile from skimage.data; cached."""
    path = ASSETS / "stuff_textures.npz"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python scripts/build_emoji_atlas.py`")
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


@functools.cache
def load_class_stats() -> dict[str, dict]:
    """Read `class_stats.json`: data set -> {"source", "num_images", "image_counts": {class: images}}."""
    return json.loads((ASSETS / "class_stats.json").read_text())
