"""Video: EmojiScenes clips (determinism, motion, clip-level target), per-clip label selection shared
across frames, the VSPW loader on a tiny fixture, and a few training steps at the ci profile."""

import numpy as np
import pytest
import torch
from PIL import Image

from rankseg.config import mask2former_profile, override
from rankseg.constants import IGNORE_INDEX
from rankseg.data.video import EmojiClips, VSPWClips, clip_classes
from rankseg.models.label_selection import present_classes
from rankseg.models.mask2former import build_mask2former

torch.set_num_threads(1)


def test_clips_are_deterministic_and_move():
    a = EmojiClips(size=3, frames=3, image_size=64)
    frames, labels = a[1]
    assert frames.shape == (3, 3, 64, 64) and frames.dtype == torch.uint8
    assert labels.shape == (3, 2, 64, 64) and labels.dtype == torch.long
    again = EmojiClips(size=3, frames=3, image_size=64)[1]
    assert torch.equal(frames, again[0]) and torch.equal(labels, again[1])
    assert not torch.equal(labels[0], labels[-1])  # the camera moved
    assert not torch.equal(a[0][1], a[1][1])  # clips differ
    other_split = EmojiClips(size=3, frames=3, image_size=64, split="val")[1]
    assert not torch.equal(labels, other_split[1])


def test_objects_appear_or_disappear_somewhere():
    ds = EmojiClips(size=12, frames=3, image_size=64)
    changed = 0
    for i in range(len(ds)):
        _, labels = ds[i]
        sets = [set(labels[t, 0].unique().tolist()) for t in range(3)]
        changed += sets[0] != sets[-1]
    assert changed > 0


def test_clip_level_target_is_the_union_of_frames():
    _, labels = EmojiClips(size=2, frames=3, image_size=32)[0]
    target = clip_classes(labels[None], 150)[0]
    union = torch.zeros(150, dtype=torch.bool)
    for t in range(3):
        union |= present_classes(labels[t, 0][None], 150)[0]
    assert torch.equal(target, union)
    assert torch.equal(clip_classes(labels[None, :, 0], 150)[0], union)  # (B, T, H, W) semantic labels too


def test_label_selection_is_shared_across_frames():
    torch.manual_seed(0)
    cfg = override(mask2former_profile("ci"), {"model.top_k": 10, "mask2former.clip_frames": 2})
    model = build_mask2former(cfg).eval()
    clip = torch.rand(2, 2, 3, 64, 64)
    with torch.no_grad():
        out = model(clip)
        per_frame = torch.stack([model(clip[:, t]).ml_logits for t in range(2)]).mean(0)
    assert out.class_ids.shape == (2, 10) and out.mask_logits.shape[:3] == (2, cfg.mask2former.num_queries, 2)
    torch.testing.assert_close(out.ml_logits, per_frame, atol=1e-5, rtol=1e-5)  # scores averaged over frames
    assert torch.equal(out.class_ids, per_frame.topk(10, dim=1).indices)  # one selection per clip
    pred = out.predict((64, 64))
    assert pred.shape == (2, 2, 64, 64)
    assert set(pred[0].unique().tolist()) <= set(out.class_ids[0].tolist())


def test_train_video_ci(tmp_path):
    from rankseg.engine.mask_classification import train_mask_classification

    cfg = override(mask2former_profile("ci"), {"mask2former.clip_frames": 2, "train.iterations": 2,
                                               "data.num_train": 4, "data.num_val": 4})
    s = train_mask_classification(cfg, tmp_path, progress=False).final.summary()
    assert 0 <= s["miou"] <= 100 and np.isnan(s["pq"])  # video: semantic only


def write_vspw(root, videos=("v1", "v2"), frames=3, size=8):
    for v in videos:
        (root / "data" / v / "origin").mkdir(parents=True)
        (root / "data" / v / "mask").mkdir(parents=True)
        for i in range(frames):
            Image.fromarray(np.full((size, size, 3), 10 * i, np.uint8)).save(root / "data" / v / "origin" / f"{i:05d}.jpg")
            mask = np.full((size, size), 5, np.uint8)
            mask[0, 0], mask[0, 1], mask[1, 0] = 0, 255, 124
            Image.fromarray(mask).save(root / "data" / v / "mask" / f"{i:05d}.png")
    (root / "val.txt").write_text("\n".join(videos) + "\n")


def test_vspw_loader(tmp_path):
    write_vspw(tmp_path)
    ds = VSPWClips(root=tmp_path, split="val", frames=2, stride=1)
    assert len(ds) == 4  # 2 videos × windows (0, 1), (1, 2)
    frames, labels = ds[1]
    assert frames.shape == (2, 3, 8, 8) and labels.shape == (2, 2, 8, 8)
    assert labels[0, 0, 0, 0] == IGNORE_INDEX and labels[0, 0, 0, 1] == IGNORE_INDEX  # 0 "others" and 255
    assert labels[0, 0, 1, 0] == 123 and labels[0, 0, 2, 2] == 4  # value v → class v - 1
    assert len(VSPWClips(root=tmp_path, split="val", frames=2)) == 2  # non-overlapping windows
    assert VSPWClips(root=tmp_path, split="val", frames=2, size=4)[0][0].shape == (2, 3, 4, 4)


def test_vspw_errors_name_the_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="root folder"):
        VSPWClips(root=tmp_path / "nope")
    write_vspw(tmp_path)
    with pytest.raises(FileNotFoundError, match="train.txt"):
        VSPWClips(root=tmp_path, split="train")
    (tmp_path / "data" / "v2" / "mask" / "00001.png").unlink()
    with pytest.raises(FileNotFoundError, match="00001.png"):
        VSPWClips(root=tmp_path, split="val")
    (tmp_path / "val.txt").write_text("v3\n")
    with pytest.raises(FileNotFoundError, match="v3"):
        VSPWClips(root=tmp_path, split="val")
    with pytest.raises(ValueError, match="frames"):
        EmojiClips(frames=0)
