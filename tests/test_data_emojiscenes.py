"""EmojiScenes: determinism, vocabularies, label ranges, the ADE-layout round trip, statistics, config."""

import numpy as np
import pytest
import torch

from rankseg.constants import IGNORE_INDEX
from rankseg.data import DataConfig, EmojiScenes, build_datasets, label_stats, load_ade_layout, write_ade_layout
from rankseg.data.atlas import load_emoji_atlas
from rankseg.data.stuff import STUFF_CLASSES


def test_atlas_drops_flags_components_and_skin_tones():
    atlas = load_emoji_atlas()
    assert 1600 <= len(atlas) <= 1700
    assert atlas.rgba.dtype == np.uint8 and atlas.rgba.shape[1:] == (40, 40, 4)
    assert not {"Flags", "Component"} & set(atlas.categories)
    assert len(set(atlas.names)) == len(atlas.names)
    assert not any("skin tone" in n for n in atlas.names)


@pytest.mark.parametrize("n", [150, 847, 1284])
def test_vocabulary_sizes_build(n):
    ds = EmojiScenes(num_classes=n, size=3, image_size=64)
    assert ds.num_classes == n == len(ds.class_names) == len(ds.is_stuff)
    assert len(set(ds.class_names)) == n
    assert sum(ds.is_stuff) == len(STUFF_CLASSES) >= 30
    image, label = ds[0]
    assert image.dtype == torch.uint8 and image.shape == (3, 64, 64)
    assert label.dtype == torch.int64 and label.shape == (64, 64)
    assert 0 <= int(label.min()) and int(label.max()) < n


def test_vocabularies_are_nested():
    small, large = EmojiScenes(num_classes=150, size=1), EmojiScenes(num_classes=1284, size=1)
    assert large.class_names[:150] == small.class_names


def test_deterministic_and_seeded():
    a = EmojiScenes(num_classes=847, size=4, image_size=64, seed=3)
    b = EmojiScenes(num_classes=847, size=4, image_size=64, seed=3)
    c = EmojiScenes(num_classes=847, size=4, image_size=64, seed=4)
    for i in range(4):
        assert a[i][0].numpy().tobytes() == b[i][0].numpy().tobytes()
        assert torch.equal(a[i][1], b[i][1])
    assert any(not torch.equal(a[i][0], c[i][0]) for i in range(4))
    assert not torch.equal(a[0][0], a[1][0])


def test_train_and_val_streams_differ():
    tr = EmojiScenes(split="train", size=2, image_size=64)
    va = EmojiScenes(split="val", size=2, image_size=64)
    assert not torch.equal(tr[0][0], va[0][0])


def test_sample_instances_match_label():
    ds = EmojiScenes(num_classes=150, size=5, image_size=96, cache=True)
    s = ds.sample(2)
    assert ds.sample(2) is s  # cached
    ids, label = s["instance_ids"], s["label"]
    assert ids.shape == label.shape and (ids > 0).all()
    for seg in s["segments"]:
        mask = ids == seg["id"]
        assert mask.sum() == seg["area"] > 0
        assert (label[mask] == seg["category_id"]).all()
        assert seg["is_thing"] == (not ds.is_stuff[seg["category_id"]])
    assert any(seg["is_thing"] for seg in s["segments"])


def test_ade_layout_round_trip_16bit(tmp_path):
    ds = EmojiScenes(num_classes=847, split="val", size=6, image_size=64, seed=1)
    write_ade_layout(ds, tmp_path, split="val")
    from PIL import Image

    assert Image.open(tmp_path / "annotations/validation/000000.png").mode.startswith("I;16")
    back = load_ade_layout(tmp_path, split="val")
    assert back.class_names == ds.class_names and back.is_stuff == ds.is_stuff and back.num_classes == 847
    for i in range(len(ds)):
        assert torch.equal(back[i][0], ds[i][0]) and torch.equal(back[i][1], ds[i][1])
    cfg = DataConfig(name="folder", root=str(tmp_path))
    with pytest.raises(FileNotFoundError, match="training"):  # only the val split was written
        build_datasets(cfg)


def test_ignore_survives_round_trip(tmp_path):
    class WithIgnore(EmojiScenes):
        def __getitem__(self, i):
            image, label = super().__getitem__(i)
            label[:5] = IGNORE_INDEX
            return image, label

    ds = WithIgnore(num_classes=150, size=2, image_size=32)
    write_ade_layout(ds, tmp_path)
    back = load_ade_layout(tmp_path)
    assert torch.equal(back[1][1], ds[1][1]) and (back[1][1][:5] == IGNORE_INDEX).all()


def test_label_statistics_are_realistic():
    stats = label_stats(EmojiScenes(num_classes=847, size=150, image_size=128, seed=5))
    assert 5 <= stats.mean_classes_per_image <= 12
    assert stats.share_at_most(25) >= 0.99
    assert stats.classes_per_image.min() >= 1


def test_build_datasets_and_config_errors():
    train, val = build_datasets(DataConfig(num_train=5, num_val=3, image_size=32))
    assert len(train) == 5 and len(val) == 3
    image, label = train[0]
    assert image.shape == (3, 32, 32) and label.shape == (32, 32)
    with pytest.raises(ValueError, match="150, 847, 1284"):
        DataConfig(num_classes=200)
    with pytest.raises(ValueError, match="root"):
        DataConfig(name="ade20k")
    with pytest.raises(ValueError, match="unknown data set"):
        DataConfig(name="cityscapes")
    with pytest.raises(ValueError, match="cat_max_ratio"):
        DataConfig(cat_max_ratio=0)
    with pytest.raises(IndexError):
        EmojiScenes(size=2).sample(2)


def test_preview_grid():
    import matplotlib

    matplotlib.use("Agg")
    from rankseg.data import preview_grid

    fig = preview_grid(EmojiScenes(size=3, image_size=32), [0, 2])
    assert len(fig.axes) == 4


def test_identical_across_processes():
    import hashlib
    import subprocess
    import sys

    code = ("import hashlib; from rankseg.data import EmojiScenes; d = EmojiScenes(num_classes=1284, size=3, "
            "image_size=48, seed=9); h = hashlib.sha256(); "
            "[h.update(t.numpy().tobytes()) for i in range(3) for t in d[i]]; print(h.hexdigest())")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    d, h = EmojiScenes(num_classes=1284, size=3, image_size=48, seed=9), hashlib.sha256()
    for i in range(3):
        for t in d[i]:
            h.update(t.numpy().tobytes())
    assert other == h.hexdigest()


def test_dataloader_workers():
    loader = torch.utils.data.DataLoader(EmojiScenes(size=4, image_size=32), batch_size=2, num_workers=2)
    images, labels = next(iter(loader))
    assert images.shape == (2, 3, 32, 32) and labels.dtype == torch.int64


def test_one_palette_for_previews_and_prediction_figures():
    from rankseg.data import preview
    from rankseg.experiments import plots

    assert plots.colourise is preview.colourise  # notebook 01 paints a class the same in both figures
    label = np.array([[0, 5], [-1, 5]])
    rgb = preview.colourise(label, 10)
    assert rgb.shape == (2, 2, 3) and (rgb[1, 0] == 0).all() and (rgb[0, 1] == rgb[1, 1]).all()
