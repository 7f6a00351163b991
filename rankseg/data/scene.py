"""Render one EmojiScenes image: stuff regions, then emoji pasted with occlusion, then photometric jitter.

Everything random is drawn from the one `numpy.random.Generator` passed in, so a scene is a pure
function of (vocabulary, image size, generator state).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from rankseg.data.atlas import load_emoji_atlas
from rankseg.data.stuff import stuff_canvas
from rankseg.data.vocabulary import Vocabulary


@dataclass(frozen=True)
class SceneParams:
    """Knobs of the scene sampler (defaults give about 8.5 classes per image, as in ADE20K)."""

    stuff_probs: tuple[float, ...] = (0.15, 0.35, 0.35, 0.15)  # P(1..4 stuff classes)
    preferred_stuff: float = 0.7  # share of stuff drawn from the scene's preferred set
    two_scenes: float = 0.4  # P(an image mixes two scene types)
    in_scene: float = 0.85  # share of thing classes drawn from the image's scenes
    thing_mean: float = 6.2  # mean number of distinct thing classes drawn
    thing_dispersion: float = 4.0  # negative binomial shape: smaller = heavier tail
    repeat_p: float = 0.7  # instances per class: 1 + Geometric(repeat_p) - 1, at most 4
    scale_range: tuple[float, float] = (0.1, 0.5)  # object side / image side (log-uniform)
    max_rotation: float = 30.0
    alpha_threshold: int = 128


def _stuff_regions(rng: np.random.Generator, size: int, k: int) -> np.ndarray:
    """(size, size) int region map with values 0..k-1: layered horizons or a warped Voronoi partition."""
    if k == 1:
        return np.zeros((size, size), np.int64)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    warp = np.asarray(Image.fromarray(rng.normal(0, 1, (4, 4)).astype(np.float32), mode="F")
                      .resize((size, size), Image.Resampling.BICUBIC))
    if rng.random() < 0.5:  # horizons: k-1 wavy lines from top to bottom
        cuts = np.sort(rng.uniform(0.15, 0.85, k - 1))
        phase, freq = rng.uniform(0, 2 * np.pi), rng.uniform(0.5, 2.0)
        yy = y + 0.06 * np.sin(2 * np.pi * freq * x + phase) + 0.04 * warp
        return np.searchsorted(cuts, yy).astype(np.int64)
    seeds = rng.uniform(0, 1, (k, 2)).astype(np.float32)
    dist = (y[None] - seeds[:, :1, None]) ** 2 + (x[None] - seeds[:, 1:, None]) ** 2
    return np.argmin(np.sqrt(dist) + 0.08 * warp[None] * np.arange(k)[:, None, None], axis=0)


def _pick_classes(rng: np.random.Generator, vocab: Vocabulary, p: SceneParams) -> tuple[list[int], list[int]]:
    """Draw the stuff class ids and the thing class ids of one image (scene-correlated, long-tailed)."""
    n_scenes = 2 if rng.random() < p.two_scenes else 1
    scenes = rng.choice(len(vocab.scene_names), n_scenes, replace=False, p=vocab.scene_weights)
    k = 1 + rng.choice(len(p.stuff_probs), p=p.stuff_probs)
    preferred = np.unique(np.concatenate([vocab.scene_stuff[s] for s in scenes]))
    stuff: list[int] = []
    while len(stuff) < k:
        pool = preferred if rng.random() < p.preferred_stuff else np.arange(vocab.num_stuff)
        c = int(rng.choice(pool, p=vocab.stuff_weights[pool] / vocab.stuff_weights[pool].sum()))
        if c not in stuff:
            stuff.append(c)
    r = p.thing_dispersion  # negative binomial with mean thing_mean - 1, shape r
    n_things = 1 + rng.negative_binomial(r, r / (r + p.thing_mean - 1))
    members = np.concatenate([vocab.scene_members[s] for s in scenes])
    things: list[int] = []
    for _ in range(20 * n_things):
        if len(things) >= n_things:
            break
        pool = members if rng.random() < p.in_scene else None
        if pool is None:
            c = vocab.num_stuff + int(rng.choice(len(vocab.thing_weights), p=vocab.thing_weights))
        else:
            w = vocab.thing_weights[pool - vocab.num_stuff]
            c = int(rng.choice(pool, p=w / w.sum()))
        if c not in things:
            things.append(c)
    return stuff, things


def _paste(canvas: np.ndarray, ids: np.ndarray, sprite: np.ndarray, top: int, left: int, seg_id: int,
           alpha_threshold: int) -> None:
    """Alpha-blend an RGBA sprite into canvas (H, W, 3) float32 at (top, left); label its opaque pixels."""
    h, w = sprite.shape[:2]
    H, W = ids.shape
    y0, x0, y1, x1 = max(top, 0), max(left, 0), min(top + h, H), min(left + w, W)
    if y0 >= y1 or x0 >= x1:
        return
    crop = sprite[y0 - top:y1 - top, x0 - left:x1 - left]
    alpha = crop[..., 3:].astype(np.float32) / 255
    region = canvas[y0:y1, x0:x1]
    region += alpha * (crop[..., :3] - region)
    ids[y0:y1, x0:x1][crop[..., 3] >= alpha_threshold] = seg_id


def render_scene(rng: np.random.Generator, vocab: Vocabulary, image_size: int,
                 params: SceneParams = SceneParams()) -> dict:
    """Draw one scene.

    Returns:
        dict with "image" (S, S, 3) uint8, "label" (S, S) int64 class ids, "instance_ids" (S, S) int32
        segment ids (every pixel belongs to one segment), and "segments": list of dicts
        {"id", "category_id", "is_thing", "area"} for the segments still visible.
    """
    size, atlas = image_size, load_emoji_atlas()
    stuff, things = _pick_classes(rng, vocab, params)
    regions = _stuff_regions(rng, size, len(stuff))
    canvas = np.empty((size, size, 3), np.float32)
    for r, c in enumerate(stuff):
        dy, dx = rng.integers(0, size, 2)
        window = stuff_canvas(c, size)[dy:dy + size, dx:dx + size]
        np.copyto(canvas, window, where=(regions == r)[..., None], casting="unsafe")
    ids = (regions + 1).astype(np.int32)
    categories = [-1] + list(stuff)  # segment id -> class id

    instances = [c for c in things for _ in range(min(rng.geometric(params.repeat_p), 4))]
    lo, hi = np.log(params.scale_range)
    scales = np.exp(rng.uniform(lo, hi, len(instances)))
    order = np.argsort(-scales * rng.uniform(0.7, 1.3, len(instances)))  # large objects mostly behind
    for j in order:
        c, side = instances[j], max(4, int(round(scales[j] * size)))
        img = Image.fromarray(atlas.rgba[vocab.emoji_index[c - vocab.num_stuff]])
        if rng.random() < 0.5:
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        img = img.resize((side, side), Image.Resampling.BILINEAR)
        angle = rng.uniform(-params.max_rotation, params.max_rotation)
        sprite = np.array(img.rotate(angle, Image.Resampling.BILINEAR, expand=True), dtype=np.float32)
        sprite[..., :3] *= rng.uniform(0.85, 1.15)
        top, left = rng.integers(-side // 4, size - 3 * side // 4, 2)
        categories.append(c)
        _paste(canvas, ids, np.clip(sprite, 0, 255), int(top), int(left), len(categories) - 1,
               params.alpha_threshold)

    # photometric jitter: contrast, brightness, per-channel gains, noise
    mean = canvas.mean()
    canvas = (canvas - mean) * rng.uniform(0.8, 1.2) + mean + rng.normal(0, 10)
    canvas *= rng.uniform(0.92, 1.08, 3).astype(np.float32)
    canvas += rng.uniform(0, 5) * rng.standard_normal(canvas.shape, dtype=np.float32)
    image = np.clip(np.rint(canvas), 0, 255).astype(np.uint8)

    area = np.bincount(ids.ravel(), minlength=len(categories))
    lut = np.array(categories, np.int64)
    segments = [{"id": i, "category_id": categories[i], "is_thing": i > len(stuff), "area": int(area[i])}
                for i in range(1, len(categories)) if area[i] > 0]
    return {"image": image, "label": lut[ids], "instance_ids": ids, "segments": segments}
