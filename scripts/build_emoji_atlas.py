"""Rebuild the EmojiScenes assets from the npm package `emoji-datasource-google` and scikit-image.

Writes into `rankseg/data/assets/`:
- `emoji_atlas.npz`: `rgba` (E, P, P, 4) uint8 Noto emoji artwork at P px, plus `names`, `categories`,
  `subcategories`, `sort_order` (E,) arrays. Flags, Component and skin-tone variants are dropped.
- `stuff_textures.npz`: the grey-level and colour textures bundled inside the scikit-image wheel
  (no download), downsampled to T x T tiles, so that the data set does not depend on the skimage version.
- `emoji_LICENSE` (the package's MIT licence) and `NOTICE`.

Usage: python scripts/build_emoji_atlas.py [PACKAGE_DIR] [--size 40] [--texture-size 128]
If PACKAGE_DIR (default /tmp/emoji/package) is missing, the script runs `npm pack` to fetch it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

ASSETS = Path(__file__).resolve().parents[1] / "rankseg" / "data" / "assets"
PACKAGE_SPEC = "emoji-datasource-google@16.0.0"
DROPPED_CATEGORIES = ("Flags", "Component")
# skimage.data images that ship inside the wheel (checked offline with scikit-image 0.26); all CC0 or
# public domain (see each function's docstring).
TEXTURES = ("brick", "grass", "gravel", "moon", "cell", "page", "text", "microaneurysms",
            "hubble_deep_field", "immunohistochemistry", "retina", "coffee")


def fetch_package(path: Path) -> Path:
    """Run `npm pack` into `path.parent` and unpack; returns the package folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "pack", PACKAGE_SPEC], cwd=path.parent, check=True)
    tgz = sorted(path.parent.glob("emoji-datasource-google-*.tgz"))[-1]
    subprocess.run(["tar", "xzf", tgz.name], cwd=path.parent, check=True)
    return path


def build_atlas(package: Path, size: int) -> dict[str, np.ndarray]:
    """Read emoji.json and the 64 px Google PNGs; returns arrays for `emoji_atlas.npz`."""
    entries = json.loads((package / "emoji.json").read_text())
    keep = [e for e in entries if e["category"] not in DROPPED_CATEGORIES and e.get("has_img_google")]
    keep.sort(key=lambda e: e["sort_order"])
    rgba, names, seen = [], [], set()
    for e in keep:
        name = e["name"].lower()
        if name in seen:  # one duplicate name in 16.0.0
            name = f"{name} ({e['short_name']})"
        seen.add(name)
        names.append(name)
        img = Image.open(package / "img" / "google" / "64" / e["image"]).convert("RGBA")
        rgba.append(np.asarray(img.resize((size, size), Image.Resampling.LANCZOS), dtype=np.uint8))
    return {
        "rgba": np.stack(rgba),
        "names": np.array(names),
        "categories": np.array([e["category"] for e in keep]),
        "subcategories": np.array([e["subcategory"] for e in keep]),
        "sort_order": np.array([e["sort_order"] for e in keep], dtype=np.int32),
    }


def build_textures(size: int) -> dict[str, np.ndarray]:
    """Bundled skimage.data images as (size, size, 3) uint8 tiles (centre crop, then resize)."""
    import skimage.data

    out = {}
    for name in TEXTURES:
        img = np.asarray(getattr(skimage.data, name)())
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        h, w = img.shape[:2]
        s = min(h, w)
        img = img[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s, :3]
        out[name] = np.asarray(Image.fromarray(img).resize((size, size), Image.Resampling.LANCZOS))
    return out


NOTICE = """EmojiScenes assets
==================

emoji_atlas.npz: emoji artwork from the npm package emoji-datasource-google 16.0.0
(https://github.com/iamcal/emoji-data), resized. The images are Noto Emoji by Google,
licensed under the Apache License, Version 2.0 (https://www.apache.org/licenses/LICENSE-2.0;
https://github.com/googlefonts/noto-emoji). The package metadata (names, categories) is
MIT-licensed, Copyright (c) 2013 Cal Henderson: see emoji_LICENSE.

stuff_textures.npz: images bundled with scikit-image (skimage.data: brick, grass, gravel, cell,
retina, coffee, microaneurysms: CC0; hubble_deep_field: NASA, public domain; text, moon, page,
immunohistochemistry: no known copyright restrictions / public domain), cropped and resized.

class_stats.json: per-class image counts from dataset-ninja's public statistics
(github.com/dataset-ninja/{ade20k,cocostuff164k,PASCAL-context}, stats/class_balance.json).

objectInfo150.csv: from github.com/CSAILVision/sceneparsing (BSD-3-Clause, see ade20k_LICENSE).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("package", nargs="?", default="/tmp/emoji/package", type=Path)
    parser.add_argument("--size", type=int, default=40)
    parser.add_argument("--texture-size", type=int, default=128)
    args = parser.parse_args()
    package = args.package if (args.package / "emoji.json").exists() else fetch_package(args.package)
    ASSETS.mkdir(parents=True, exist_ok=True)
    atlas = build_atlas(package, args.size)
    np.savez_compressed(ASSETS / "emoji_atlas.npz", **atlas)
    np.savez_compressed(ASSETS / "stuff_textures.npz", **build_textures(args.texture_size))
    shutil.copyfile(package / "LICENSE", ASSETS / "emoji_LICENSE")
    (ASSETS / "NOTICE").write_text(NOTICE)
    print(f"{len(atlas['names'])} emoji at {args.size} px -> {ASSETS}")


if __name__ == "__main__":
    main()
