"""Converters from raw benchmark releases to the layouts the loaders read (`rankseg.data.benchmarks`).

    python -m rankseg.data.convert coco_stuff SRC DST

coco_stuff: COCO-Stuff-164k's `stuffthingmaps_trainval2017` PNGs (values 0..181 = COCO category id - 1, 182 ids of
which 171 are used; 255 = unlabelled) -> `<stem>_labelTrainIds.png` with the 171 train ids 0..170 and 255 = ignore,
the map mmsegmentation's `tools/dataset_converters/coco_stuff164k.py` applies (`clsID_to_trID`). SRC's sub-folders
(train2017/, val2017/) are kept under DST, so DST is `<root>/annotations` of the coco_stuff164k layout.

ADE20K-Full and COCO+LVIS need no converter here: the loaders read Mask2Former's prepared ADE20K-Full output and
16-bit PNGs of class ids as they are.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

# COCO's 91 thing category ids include 11 that no annotation uses (street sign, hat, shoe, eye glasses, plate,
# mirror, window, desk, door, blender, hair brush); as 0-based stuffthingmaps values:
COCO_UNUSED_IDS = (11, 25, 28, 29, 44, 65, 67, 68, 70, 82, 90)
COCO_STUFF_RAW_IDS = 182
IGNORE = 255


def coco_stuff_lut() -> np.ndarray:
    """(256,) uint8 lookup table: raw stuffthingmaps value -> train id (0..170), 255 for unused ids and 255."""
    lut = np.full(256, IGNORE, dtype=np.uint8)
    used = [i for i in range(COCO_STUFF_RAW_IDS) if i not in COCO_UNUSED_IDS]
    lut[used] = np.arange(len(used))
    return lut


def convert_coco_stuff_map(raw: np.ndarray, *, path: Path | str = "<array>") -> np.ndarray:
    """(H, W) raw stuffthingmaps values -> (H, W) uint8 train ids; a value outside 0..181 and 255 raises naming
    `path`."""
    bad = (raw > COCO_STUFF_RAW_IDS - 1) & (raw != IGNORE)
    if bad.any() or (raw < 0).any():
        values = np.unique(raw[bad | (raw < 0)])[:10].tolist()
        raise ValueError(f"{path}: values {values} are not COCO-Stuff ids (0..181, 255 = unlabelled); is this a raw "
                         "stuffthingmaps PNG?")
    return coco_stuff_lut()[raw]


def convert_coco_stuff(src: Path | str, dst: Path | str, *, progress: bool = True) -> list[Path]:
    """Converts every raw PNG under `src` (recursively) into `dst`, same sub-folders, as `<stem>_labelTrainIds.png`.
    Returns the written paths."""
    src, dst = Path(src), Path(dst)
    if not src.is_dir():
        raise FileNotFoundError(f"COCO-Stuff stuffthingmaps folder not found: {src}")
    files = sorted(p for p in src.rglob("*.png") if not p.name.endswith("_labelTrainIds.png"))
    if not files:
        raise FileNotFoundError(f"no stuffthingmaps PNG files under {src}")
    written = []
    for path in tqdm(files, desc="coco_stuff") if progress else files:  # tqdm honours TQDM_DISABLE
        with Image.open(path) as img:
            raw = np.asarray(img)
        if raw.ndim != 2:
            raise ValueError(f"{path}: a stuffthingmaps label is single-channel, got shape {raw.shape}")
        out = dst / path.relative_to(src).parent / f"{path.stem}_labelTrainIds.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(convert_coco_stuff_map(raw.astype(np.int64), path=path)).save(out)
        written.append(out)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset", choices=["coco_stuff"])
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path)
    args = ap.parse_args(argv)
    written = convert_coco_stuff(args.src, args.dst)
    print(f"wrote {len(written)} label maps under {args.dst}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
