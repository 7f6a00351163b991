"""EmojiScenes vocabularies (150, 847, 1284 classes) and their scene structure.

Class ids 0..S-1 are the stuff classes of `stuff.STUFF_CLASSES`; ids S..N-1 are the first N-S emoji of a
fixed seeded ordering, so the vocabularies are nested (150 within 847 within 1284). The ordering is a
weighted shuffle in which emoji subcategories have Zipf popularities: small vocabularies hold a few
well-filled scene types, as a frequent-class subset of a large vocabulary would.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from rankseg.data.atlas import load_emoji_atlas
from rankseg.data.stuff import STUFF_CLASSES

VOCAB_SIZES = (150, 847, 1284)
ORDER_SEED = 2022  # fixes the emoji ordering and the scenes' preferred stuff, independent of the data seed
THING_ZIPF = 0.9  # class weight ~ 1 / rank^THING_ZIPF in the global emoji ordering
STUFF_ZIPF = 0.8
MIN_SCENE_SIZE = 3  # subcategories with fewer members in the vocabulary are pooled by category
PREFERRED_STUFF = 6


@dataclass(frozen=True)
class Vocabulary:
    """Class list and co-occurrence structure for N classes.

    Attributes:
        class_names: N names (stuff names, then emoji names).
        is_stuff: N flags.
        emoji_index: (N - S,) atlas rows of the thing classes S..N-1.
        thing_weights: (N - S,) Zipf weights of the thing classes (sum 1).
        stuff_weights: (S,) Zipf weights of the stuff classes (sum 1).
        scene_names: scene types (emoji subcategories, or "<category> misc").
        scene_members: per scene, the class ids (in S..N-1) of its things.
        scene_weights: (num_scenes,) probability of drawing each scene (sum 1).
        scene_stuff: per scene, PREFERRED_STUFF stuff class ids it favours.
    """

    class_names: list[str]
    is_stuff: list[bool]
    emoji_index: np.ndarray
    thing_weights: np.ndarray
    stuff_weights: np.ndarray
    scene_names: list[str]
    scene_members: list[np.ndarray]
    scene_weights: np.ndarray
    scene_stuff: list[np.ndarray]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def num_stuff(self) -> int:
        return len(self.stuff_weights)


def _zipf(n: int, exponent: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** exponent
    return w / w.sum()


@functools.cache
def emoji_ordering() -> np.ndarray:
    """(E,) atlas rows in vocabulary order: a weighted random permutation (Efraimidis-Spirakis keys)."""
    atlas = load_emoji_atlas()
    rng = np.random.default_rng(ORDER_SEED)
    subcats = sorted(set(atlas.subcategories))
    popularity = dict(zip(rng.permutation(subcats), _zipf(len(subcats), 0.7) * len(subcats), strict=True))
    weights = np.array([popularity[s] for s in atlas.subcategories])
    keys = rng.random(len(atlas)) ** (1.0 / weights)
    return np.argsort(-keys, kind="stable")


@functools.cache
def build_vocabulary(num_classes: int) -> Vocabulary:
    """The EmojiScenes vocabulary of `num_classes` in VOCAB_SIZES (cached)."""
    if num_classes not in VOCAB_SIZES:
        raise ValueError(f"EmojiScenes num_classes must be one of {VOCAB_SIZES}, got {num_classes}")
    atlas = load_emoji_atlas()
    num_stuff = len(STUFF_CLASSES)
    emoji_index = emoji_ordering()[: num_classes - num_stuff]
    thing_weights = _zipf(len(emoji_index), THING_ZIPF)
    stuff_weights = _zipf(num_stuff, STUFF_ZIPF)

    groups: dict[str, list[int]] = defaultdict(list)
    sub_counts = defaultdict(int)
    for row in emoji_index:
        sub_counts[atlas.subcategories[row]] += 1
    for k, row in enumerate(emoji_index):
        sub = atlas.subcategories[row]
        key = sub if sub_counts[sub] >= MIN_SCENE_SIZE else f"{atlas.categories[row]} misc"
        groups[key].append(num_stuff + k)
    scene_names = sorted(groups, key=lambda s: groups[s][0])  # by their most frequent member
    scene_members = [np.array(groups[s]) for s in scene_names]
    mass = np.array([thing_weights[m - num_stuff].sum() for m in scene_members])
    rng = np.random.default_rng([ORDER_SEED, num_classes])
    scene_stuff = [rng.choice(num_stuff, PREFERRED_STUFF, replace=False, p=stuff_weights) for _ in scene_names]
    return Vocabulary(
        class_names=[s.name for s in STUFF_CLASSES] + [atlas.names[r] for r in emoji_index],
        is_stuff=[True] * num_stuff + [False] * len(emoji_index),
        emoji_index=emoji_index,
        thing_weights=thing_weights,
        stuff_weights=stuff_weights,
        scene_names=scene_names,
        scene_members=scene_members,
        scene_weights=mass / mass.sum(),
        scene_stuff=scene_stuff,
    )
