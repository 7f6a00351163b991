"""Stuff ("background") classes of EmojiScenes: scikit-image textures, recoloured, and procedural patterns.

Each class is painted once per image size as a (2S, 2S, 3) uint8 canvas (deterministic, cached); an
image takes a random S x S window of it, so regions of one class differ in phase but not in look.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from PIL import Image

from rankseg.data.atlas import load_textures

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class StuffSpec:
    """One stuff class: `kind` is a skimage texture name or a procedural pattern; `colours` tint it."""

    name: str
    kind: str
    colours: tuple[RGB, ...] = ()
    freq: float = 4.0  # pattern periods per image side


STUFF_CLASSES: tuple[StuffSpec, ...] = (
    StuffSpec("brick wall", "brick", ((70, 30, 20), (220, 120, 90))),
    StuffSpec("grass", "grass", ((20, 60, 10), (150, 220, 80))),
    StuffSpec("gravel", "gravel", ((60, 60, 60), (200, 195, 185))),
    StuffSpec("moon rock", "moon", ((30, 30, 35), (230, 230, 220))),
    StuffSpec("cell tissue", "cell", ((40, 0, 60), (240, 200, 255))),
    StuffSpec("printed page", "page", ((60, 40, 20), (250, 235, 200))),
    StuffSpec("signboard", "text", ((0, 20, 80), (220, 230, 255))),
    StuffSpec("fundus", "microaneurysms", ((90, 20, 0), (255, 180, 60))),
    StuffSpec("starry sky", "hubble_deep_field"),
    StuffSpec("stained slide", "immunohistochemistry"),
    StuffSpec("retina", "retina"),
    StuffSpec("cafe table", "coffee"),
    StuffSpec("sand", "gravel", ((150, 110, 50), (255, 230, 160))),
    StuffSpec("snow", "gravel", ((170, 190, 220), (255, 255, 255))),
    StuffSpec("dry grass", "grass", ((80, 60, 10), (240, 210, 120))),
    StuffSpec("moss", "moon", ((10, 50, 20), (120, 200, 90))),
    StuffSpec("lava", "cell", ((60, 0, 0), (255, 170, 0))),
    StuffSpec("blue brick", "brick", ((10, 30, 80), (120, 170, 255))),
    StuffSpec("sky", "sky", ((70, 130, 230), (200, 225, 255))),
    StuffSpec("sunset", "sky", ((250, 120, 40), (120, 40, 130))),
    StuffSpec("plaster wall", "plain", ((225, 210, 180),)),
    StuffSpec("concrete", "fine_noise", ((110, 110, 105), (170, 170, 165))),
    StuffSpec("mist", "cloud_noise", ((150, 160, 175), (240, 245, 250))),
    StuffSpec("awning", "stripes_h", ((200, 30, 30), (245, 245, 245)), 6),
    StuffSpec("curtain", "stripes_v", ((30, 60, 170), (120, 160, 240)), 8),
    StuffSpec("candy wrap", "stripes_d", ((40, 160, 60), (250, 230, 60)), 5),
    StuffSpec("chessboard", "checks", ((15, 15, 15), (240, 240, 240)), 4),
    StuffSpec("picnic cloth", "checks", ((220, 40, 40), (250, 220, 80)), 10),
    StuffSpec("bathroom tiles", "tiles", ((230, 240, 250), (90, 110, 140)), 6),
    StuffSpec("polka dots", "dots", ((250, 170, 200), (130, 20, 70)), 8),
    StuffSpec("starry wallpaper", "dots", ((20, 30, 90), (250, 230, 90)), 12),
    StuffSpec("wood grain", "wood", ((110, 60, 25), (200, 140, 80)), 3),
    StuffSpec("water", "waves", ((10, 60, 140), (90, 170, 230)), 6),
    StuffSpec("carpet", "fine_noise", ((120, 10, 30), (200, 60, 60))),
    StuffSpec("marble", "marble", ((60, 60, 70), (245, 245, 240)), 3),
    StuffSpec("camouflage", "camo", ((50, 70, 30), (110, 120, 60)), 4),
    StuffSpec("zigzag rug", "zigzag", ((240, 120, 20), (40, 30, 30)), 6),
    StuffSpec("pine wall", "stripes_v", ((170, 120, 60), (210, 170, 110)), 3),
    StuffSpec("pool tiles", "tiles", ((60, 170, 210), (230, 250, 255)), 12),
    StuffSpec("night", "cloud_noise", ((5, 5, 25), (40, 40, 90))),
)


def _tint(grey: np.ndarray, colours: tuple[RGB, ...]) -> np.ndarray:
    """Map grey values in [0, 1] (H, W) linearly between two colours -> (H, W, 3) float."""
    lo, hi = (np.asarray(c, np.float32) for c in colours[:2])
    return lo + grey[..., None] * (hi - lo)


def _smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Band-limited noise in [0, 1]: a cells x cells random grid upsampled bicubically to (size, size)."""
    grid = Image.fromarray(rng.random((cells, cells), dtype=np.float32), mode="F")
    out = np.asarray(grid.resize((size, size), Image.Resampling.BICUBIC))
    return (out - out.min()) / (np.ptp(out) + 1e-6)


def _pattern(spec: StuffSpec, size: int, rng: np.random.Generator) -> np.ndarray:
    """Procedural grey pattern in [0, 1] on a (size, size) canvas; `size` spans two image sides."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / (size / 2)  # image sides
    f, k = spec.freq, spec.kind
    if k == "sky":
        return np.clip(y / 2 + 0.15 * _smooth_noise(rng, size, 6), 0, 1)
    if k == "plain":
        return np.full((size, size), 0.5, np.float32)
    if k == "fine_noise":
        return 0.5 * rng.random((size, size), dtype=np.float32) + 0.5 * _smooth_noise(rng, size, 40)
    if k == "cloud_noise":
        return 0.6 * _smooth_noise(rng, size, 5) + 0.4 * _smooth_noise(rng, size, 16)
    if k == "stripes_h":
        return (np.sin(2 * np.pi * f * y) > 0).astype(np.float32)
    if k == "stripes_v":
        return (np.sin(2 * np.pi * f * x) > 0).astype(np.float32)
    if k == "stripes_d":
        return (np.sin(2 * np.pi * f * (x + y) / np.sqrt(2)) > 0).astype(np.float32)
    if k == "checks":
        return ((np.floor(f * x) + np.floor(f * y)) % 2).astype(np.float32)
    if k == "tiles":
        return (np.minimum((f * x) % 1, (f * y) % 1) > 0.12).astype(np.float32)
    if k == "dots":
        d = np.hypot((f * x) % 1 - 0.5, (f * y) % 1 - 0.5)
        return (d > 0.28).astype(np.float32)
    if k == "wood":
        r = f * np.hypot(x - 0.3, 4 * (y - 1.7)) + 1.5 * _smooth_noise(rng, size, 8)
        return 0.5 + 0.5 * np.sin(2 * np.pi * r)
    if k == "waves":
        return 0.5 + 0.5 * np.sin(2 * np.pi * (f * y + 0.3 * np.sin(2 * np.pi * 2 * x)))
    if k == "marble":
        return 0.5 + 0.5 * np.sin(2 * np.pi * (f * (x + y) + 2.0 * _smooth_noise(rng, size, 10)))
    if k == "camo":
        n = _smooth_noise(rng, size, int(4 * f))
        return np.digitize(n, [0.35, 0.55, 0.7]).astype(np.float32) / 3
    if k == "zigzag":
        return (((f * y + np.abs((f * x) % 1 - 0.5)) % 1) > 0.5).astype(np.float32)
    raise ValueError(f"unknown stuff pattern {k!r}")


@functools.cache
def stuff_canvas(index: int, image_size: int) -> np.ndarray:
    """(2S, 2S, 3) uint8 canvas of stuff class `index` for images of side S (read-only, cached)."""
    spec = STUFF_CLASSES[index]
    size = 2 * image_size
    rng = np.random.default_rng([7, index])
    textures = load_textures()
    if spec.kind in textures:
        tile = Image.fromarray(textures[spec.kind]).resize((image_size, image_size), Image.Resampling.BILINEAR)
        rgb = np.tile(np.asarray(tile, np.float32), (2, 2, 1))
        if spec.colours:
            grey = rgb.mean(axis=2) / 255
            rgb = _tint((grey - grey.min()) / (np.ptp(grey) + 1e-6), spec.colours)
    else:
        grey = _pattern(spec, size, rng)
        colours = spec.colours if len(spec.colours) > 1 else spec.colours * 2
        rgb = _tint(grey, colours) + rng.normal(0, 4, (size, size, 1)).astype(np.float32)
    out = np.clip(rgb, 0, 255).astype(np.uint8)
    out.setflags(write=False)
    return out
