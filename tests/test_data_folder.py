"""Real-file loaders: ADE20K fixtures, an ADE20K-Full TIFF built from a raw full-index annotation, the other
benchmark layouts on small synthetic files, error messages, and the transforms."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import tifffile
import torch
from PIL import Image

from rankseg.constants import IGNORE_INDEX
from rankseg.data import DataConfig, SegmentationFolder, build_benchmark, build_datasets
from rankseg.data.transforms import PadTo, RandomCrop, ResizeShortSide, train_transform

FIXTURES = Path(__file__).parent / "fixtures" / "ade20k"
ADE_VAL = {  # stored values present -> classes after reduce-zero-label
    "ADE_val_00000001": {1, 2, 3, 5, 7, 10, 18},
    "ADE_val_00000002": {1, 2, 3, 5, 14, 18},
    "ADE_val_00000003": {1, 2, 3, 5, 7, 12, 21, 44, 81, 88, 97, 103},
}
# Full-index id -> ADE20K-Full (847) trainId, for the ids in ADE_train_00000970 (see fixtures/ade20k/README.md).
FULL_TO_TRAIN = {312: 1, 2855: 3, 838: 9, 1125: 12, 1910: 16, 2128: 35}


def ade_root(tmp_path: Path) -> Path:
    for split in ("training", "validation"):
        (tmp_path / "images" / split).mkdir(parents=True)
        (tmp_path / "annotations" / split).mkdir(parents=True)
        for stem in ADE_VAL:
            shutil.copy(FIXTURES / f"{stem}.jpg", tmp_path / "images" / split)
            shutil.copy(FIXTURES / f"{stem}.png", tmp_path / "annotations" / split)
    return tmp_path


def test_ade20k_fixture_class_sets(tmp_path):
    ds = build_benchmark("ade20k", root=ade_root(tmp_path), split="val")
    assert len(ds) == 3 and ds.num_classes == 150 and ds.class_names[:3] == ["wall", "building", "sky"]
    assert ds.is_stuff[0] and not ds.is_stuff[7]  # wall is stuff, bed is a thing
    for i, stem in enumerate(ds.stems):
        image, label = ds[i]
        assert image.dtype == torch.uint8 and label.dtype == torch.int64 and image.shape[1:] == label.shape
        present = set(torch.unique(label).tolist())
        assert present - {IGNORE_INDEX} == {v - 1 for v in ADE_VAL[stem]}
        assert IGNORE_INDEX in present  # stored 0 ("other")
    assert tuple(ds[0][1].shape) == (512, 683)


def test_ade20k_training_pipeline(tmp_path):
    torch.manual_seed(0)
    train, val = build_datasets(DataConfig(name="ade20k", root=str(ade_root(tmp_path)), image_size=128,
                                           eval_short_side=96))
    image, label = train[2]
    assert image.shape == (3, 128, 128) and label.shape == (128, 128)
    assert set(torch.unique(label).tolist()) <= {IGNORE_INDEX} | {v - 1 for v in ADE_VAL["ADE_val_00000003"]}
    image, label = val[0]  # image resized to short side 96, label kept at its original size
    assert image.shape == (3, 96, 128) and label.shape == (512, 683)


def test_ade20k_full_tiff_from_raw_annotation(tmp_path):
    raw = np.asarray(Image.open(FIXTURES / "ADE_train_00000970_raw.png")).astype(np.int64)
    full = raw[..., 0] // 10 * 256 + raw[..., 1]
    assert set(np.unique(full).tolist()) == {0} | set(FULL_TO_TRAIN)
    lut = np.full(full.max() + 1, 65535, np.uint16)
    for k, v in FULL_TO_TRAIN.items():
        lut[k] = v
    base = tmp_path / "ADE20K_2021_17_01"
    for split in ("training", "validation"):
        (base / "images_detectron2" / split).mkdir(parents=True)
        (base / "annotations_detectron2" / split).mkdir(parents=True)
    Image.new("RGB", full.shape[::-1]).save(base / "images_detectron2/training/ADE_train_00000970.jpg")
    tifffile.imwrite(base / "annotations_detectron2/training/ADE_train_00000970.tif", lut[full])
    ds = build_benchmark("ade20k_full", root=tmp_path, split="train")
    assert ds.num_classes == 847 and len(ds.class_names) == 847
    label = ds[0][1]
    assert set(torch.unique(label).tolist()) == {IGNORE_INDEX, 1, 3, 9, 12, 16, 35}


def _write_pair(img_dir: Path, lab_dir: Path, stem: str, label: np.ndarray, suffix: str = ".png") -> None:
    img_dir.mkdir(parents=True, exist_ok=True)
    lab_dir.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", label.shape[::-1], (90, 120, 30)).save(img_dir / f"{stem}.jpg")
    Image.fromarray(label).save(lab_dir / f"{stem}{suffix}")


def test_coco_stuff_and_coco_lvis_layouts(tmp_path):
    lab = np.array([[0, 170, 255], [80, 5, 255]], np.uint8)
    _write_pair(tmp_path / "images/val2017", tmp_path / "annotations/val2017", "000000000139", lab,
                "_labelTrainIds.png")
    ds = build_benchmark("coco_stuff164k", root=tmp_path, split="val")
    assert ds.num_classes == 171 and ds.class_names[0] == "person" and ds.is_stuff[80]
    assert ds[0][1].tolist() == [[0, 170, -1], [80, 5, -1]]
    lvis = tmp_path / "lvis"
    _write_pair(lvis / "images/train2017", lvis / "annotations/train2017", "a",
                np.array([[0, 1283], [65535, 900]], np.uint16))
    assert build_benchmark("coco_lvis", root=lvis, split="train")[0][1].tolist() == [[0, 1283], [-1, 900]]


def test_pascal_context_59_and_60(tmp_path):
    lab = np.array([[0, 1, 59], [255, 30, 0]], np.uint8)
    for stem in ("2008_000002", "2008_000003"):
        _write_pair(tmp_path / "JPEGImages", tmp_path / "SegmentationClassContext", stem, lab)
    (tmp_path / "ImageSets/SegmentationContext").mkdir(parents=True)
    (tmp_path / "ImageSets/SegmentationContext/val.txt").write_text("2008_000003\n")
    ds59 = build_benchmark("pascal_context", root=tmp_path, split="val")
    assert len(ds59) == 1 and ds59.num_classes == 59
    assert ds59[0][1].tolist() == [[-1, 0, 58], [-1, 29, -1]]
    lab60 = np.array([[0, 1, 59], [255, 30, 0]], np.uint8)
    _write_pair(tmp_path / "JPEGImages", tmp_path / "SegmentationClassContext", "2008_000003", lab60)
    ds60 = build_benchmark("pascal_context60", root=tmp_path, split="val")
    assert ds60.class_names[0] == "background" and ds60[0][1].tolist() == [[0, 1, 59], [-1, 30, 0]]
    with pytest.raises(ValueError, match=r"2008_000003\.png has stored values \[59\]"):  # 59 - 1 >= 58 classes
        SegmentationFolder(image_dir=tmp_path / "JPEGImages", label_dir=tmp_path / "SegmentationClassContext",
                           num_classes=58, reduce_zero_label=True).label(1)


def test_errors_name_the_offending_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        build_benchmark("ade20k", root=tmp_path / "nowhere", split="val")
    root = ade_root(tmp_path)
    shutil.rmtree(root / "annotations/training")
    with pytest.raises(FileNotFoundError, match="data folder not found: .*annotations/training"):
        build_benchmark("ade20k", root=root, split="train")
    Image.new("RGB", (4, 4)).save(root / "images/validation/ADE_val_00000009.jpg")
    with pytest.raises(FileNotFoundError, match="ADE_val_00000009.jpg has no label"):
        build_benchmark("ade20k", root=root, split="val")
    (root / "images/validation/ADE_val_00000009.jpg").unlink()
    Image.new("L", (4, 4)).save(root / "annotations/validation/ADE_val_00000010.png")
    with pytest.raises(FileNotFoundError, match="ADE_val_00000010.png has no image"):
        build_benchmark("ade20k", root=root, split="val")
    Image.fromarray(np.full((4, 4), 200, np.uint8)).save(root / "annotations/validation/ADE_val_00000010.png")
    Image.new("RGB", (4, 4)).save(root / "images/validation/ADE_val_00000010.jpg")
    ds = build_benchmark("ade20k", root=root, split="val")
    with pytest.raises(ValueError, match=r"ADE_val_00000010\.png has stored values \[200\]"):
        ds[3]
    (root / "images/validation/ADE_val_00000010.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(OSError, match="cannot read image .*ADE_val_00000010.jpg"):
        ds[3]


def test_transforms_keep_ignore_and_respect_cat_max_ratio():
    label = np.zeros((200, 300), np.int64)
    label[:, 250:] = 1
    image = np.zeros((200, 300, 3), np.uint8)
    torch.manual_seed(0)
    _, crop = RandomCrop(size=100, cat_max_ratio=0.75)(image, label)
    counts = np.bincount(crop.ravel())
    assert len(counts) == 2 and counts.max() / counts.sum() < 0.75
    img, lab = PadTo(size=256)(image, label)
    assert img.shape == (256, 300, 3) and (lab[200:] == IGNORE_INDEX).all()
    img, lab = ResizeShortSide(short_side=50)(image, label)
    assert img.shape == (50, 75, 3) and lab.shape == (200, 300)
    torch.manual_seed(1)
    for _ in range(5):
        img, lab = train_transform(crop_size=64)(image, label)
        assert img.shape == (64, 64, 3) and img.dtype == np.uint8 and lab.dtype == np.int64
        assert set(np.unique(lab)) <= {IGNORE_INDEX, 0, 1}
