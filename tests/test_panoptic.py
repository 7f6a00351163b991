"""Panoptic: PQ / SQ / RQ against hand-computed cases and torchmetrics, panoptic merging, the COCO panoptic
format, and EmojiScenes' panoptic ground truth."""

import json

import numpy as np
import pytest
import torch

from rankseg.constants import IGNORE_INDEX
from rankseg.data.panoptic import (COCOPanoptic, PanopticScenes, id_to_rgb, read_coco_panoptic, rgb_to_id,
                                   write_coco_panoptic)
from rankseg.metrics_panoptic import PanopticMeter
from rankseg.models.mask2former.inference import panoptic_inference

torch.set_num_threads(1)


def pan(sem, seg):
    return torch.stack([torch.as_tensor(sem), torch.as_tensor(seg)]).long()


def hand_case():
    """4×4, class 0 stuff (segment 1), class 1 thing (segments 2, 3).

    gt:  thing A top-left 2×2 (4 px), thing B bottom-right 2×2 (4 px), stuff the other 8 px.
    pred: A loses one pixel to stuff (IoU 3/4), B is split off one pixel as a separate segment 4 (B IoU 3/4,
    extra segment unmatched: FP), stuff gains A's pixel (IoU 8/9)... then one stuff pixel goes to B's split.
    """
    gsem = torch.tensor([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]])
    gseg = torch.tensor([[2, 2, 1, 1], [2, 2, 1, 1], [1, 1, 3, 3], [1, 1, 3, 3]])
    psem, pseg = gsem.clone(), gseg.clone()
    psem[0, 0], pseg[0, 0] = 0, 1  # A loses a pixel to stuff
    pseg[3, 3] = 4  # B's corner is a separate (false) segment
    return pan(psem, pseg), pan(gsem, gseg)


def test_pq_hand_computed():
    pred, gt = hand_case()
    m = PanopticMeter(torch.tensor([False, True]))
    m.update(pred, gt)
    # stuff: pred 9 px ⊇ gt 8 px: IoU 8/9, TP. thing A: 3/4, TP. thing B: 3/4, TP; segment 4: 1 px, FP.
    sq_st, pq_st = 8 / 9, 8 / 9
    sq_th = (3 / 4 + 3 / 4) / 2
    rq_th = 2 / (2 + 0.5)
    r = m.compute()
    assert r["pq_st"] == pytest.approx(100 * pq_st) and r["sq_st"] == pytest.approx(100 * sq_st)
    assert r["sq_th"] == pytest.approx(100 * sq_th) and r["rq_th"] == pytest.approx(100 * rq_th)
    assert r["pq_th"] == pytest.approx(100 * sq_th * rq_th)
    assert r["pq"] == pytest.approx((r["pq_th"] + r["pq_st"]) / 2)


def test_pq_matches_torchmetrics():
    tm = pytest.importorskip("torchmetrics.detection")
    pred, gt = hand_case()
    g = torch.Generator().manual_seed(0)
    preds, gts = [pred], [gt]
    for _ in range(3):  # random blocky scenes with 3 classes (0 stuff, 1-2 things)
        sem = torch.randint(0, 3, (4, 4), generator=g).repeat_interleave(4, 0).repeat_interleave(4, 1)
        seg = torch.arange(16).view(4, 4).repeat_interleave(4, 0).repeat_interleave(4, 1) % 5 + 1
        seg = torch.where(sem == 0, torch.zeros_like(seg) + 99, seg)
        noisy_sem = torch.where(torch.rand(16, 16, generator=g) < 0.1, torch.randint(0, 3, (16, 16), generator=g), sem)
        gts.append(pan(sem, seg))
        preds.append(pan(noisy_sem, torch.where(noisy_sem == 0, torch.zeros_like(seg) + 99, seg)))
    ours = PanopticMeter(torch.tensor([False, True, True]))
    metric = tm.PanopticQuality(things={1, 2}, stuffs={0}, return_sq_and_rq=True)
    for p, t in zip(preds[1:], gts[1:], strict=True):
        ours.update(p, t)
        metric.update(p.permute(1, 2, 0)[None], t.permute(1, 2, 0)[None])
    pq, sq, rq = metric.compute().tolist()
    r = ours.compute()
    assert r["pq"] == pytest.approx(100 * pq, abs=1e-4)  # torchmetrics sums in float32
    assert r["sq"] == pytest.approx(100 * sq, abs=1e-4) and r["rq"] == pytest.approx(100 * rq, abs=1e-4)


def test_pq_void_is_neither_counted_nor_false_positive():
    gt = pan(torch.tensor([[0, 0], [IGNORE_INDEX, IGNORE_INDEX]]), torch.tensor([[1, 1], [0, 0]]))
    pred = pan(torch.tensor([[0, 0], [1, 1]]), torch.tensor([[1, 1], [2, 2]]))  # thing segment wholly on void
    m = PanopticMeter(torch.tensor([False, True]))
    m.update(pred, gt)
    assert m.fp.sum() == 0 and m.tp[0] == 1
    assert m.compute()["pq"] == pytest.approx(100.0)
    with pytest.raises(ValueError, match="shape"):
        m.update(pred[0], gt[0])


def test_panoptic_merging_hand_case():
    # columns: 0 = stuff class 10, 1 = thing class 20, 2 = no-object; class_ids map columns to full ids.
    class_ids = torch.tensor([10, 20])
    is_thing = torch.zeros(30, dtype=torch.bool)
    is_thing[20] = True
    hi = 9.0
    class_logits = torch.tensor([
        [hi, 0, 0],  # q0: stuff 10, left half
        [hi, 0, 0],  # q1: stuff 10 again, right-top quarter → merged with q0
        [0, hi, 0],  # q2: thing 20, right-bottom quarter
        [0, hi, 0],  # q3: thing 20, same place as q2 but weaker mask: loses its pixels → dropped by overlap
        [0, 0, hi],  # q4: no-object
        [0.1, 0, 0],  # q5: low score (< 0.8) → dropped
    ])
    m = torch.full((6, 4, 4), -hi)
    m[0, :, :2] = hi
    m[1, :2, 2:] = hi
    m[2, 2:, 2:] = hi
    m[3, 2:, 2:] = 1.0
    m[4] = hi
    m[5] = hi
    panoptic, segments = panoptic_inference(class_logits, m, is_thing=is_thing, class_ids=class_ids)
    assert [(s["category_id"], s["is_thing"], s["area"]) for s in segments] == [(10, False, 12), (20, True, 4)]
    assert (panoptic[0, :, :2] == 10).all() and (panoptic[0, :2, 2:] == 10).all() and (panoptic[0, 2:, 2:] == 20).all()
    assert panoptic[1].unique().tolist() == [1, 2]
    # nothing confident: everything void
    empty, segs = panoptic_inference(class_logits[4:5], m[4:5], is_thing=is_thing, class_ids=class_ids)
    assert segs == [] and (empty[0] == IGNORE_INDEX).all() and (empty[1] == 0).all()


def test_coco_panoptic_round_trip(tmp_path):
    ids = np.array([[0, 1], [70000, 255]])
    assert (rgb_to_id(id_to_rgb(ids)) == ids).all()
    label = pan(torch.tensor([[IGNORE_INDEX, 2], [0, 2]]), torch.tensor([[0, 5], [7, 9]]))
    segments = [{"id": 5, "category_id": 2, "is_thing": True}, {"id": 7, "category_id": 0, "is_thing": False},
                {"id": 9, "category_id": 2, "is_thing": True}]
    ann = write_coco_panoptic(tmp_path / "panoptic" / "a.png", label, segments)
    assert [s["area"] for s in ann["segments_info"]] == [1, 1, 1]
    assert torch.equal(read_coco_panoptic(tmp_path / "panoptic" / "a.png", ann["segments_info"]), label)
    # the data set: categories 11 (stuff) and 42, 43 (things) become classes 0, 1, 2
    from PIL import Image

    (tmp_path / "images").mkdir()
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / "images" / "a.jpg")
    info = [{**s, "category_id": {2: 43, 0: 11}[s["category_id"]]} for s in ann["segments_info"]]
    info[2]["iscrowd"] = 1
    d = {"images": [{"id": 1, "file_name": "a.jpg"}],
         "annotations": [{"image_id": 1, "file_name": "a.png", "segments_info": info}],
         "categories": [{"id": 11, "name": "wall", "isthing": 0}, {"id": 42, "name": "cat", "isthing": 1},
                        {"id": 43, "name": "dog", "isthing": 1}]}
    (tmp_path / "ann.json").write_text(json.dumps(d))
    ds = COCOPanoptic(json_file=tmp_path / "ann.json", image_dir=tmp_path / "images", panoptic_dir=tmp_path / "panoptic")
    image, lab = ds[0]
    assert image.shape == (3, 2, 2) and ds.is_thing.tolist() == [False, True, True]
    assert lab[0].tolist() == [[IGNORE_INDEX, 2], [0, IGNORE_INDEX]]  # the crowd segment is void
    with pytest.raises(FileNotFoundError, match="panoptic PNG folder"):
        COCOPanoptic(json_file=tmp_path / "ann.json", image_dir=tmp_path / "images", panoptic_dir=tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="annotation JSON"):
        COCOPanoptic(json_file=tmp_path / "x.json", image_dir=tmp_path / "images", panoptic_dir=tmp_path / "panoptic")
    with pytest.raises(KeyError, match="category_id 5"):
        read_coco_panoptic(tmp_path / "panoptic" / "a.png", [{"id": 5, "category_id": 5}], {11: 0})
    with pytest.raises(ValueError, match="segment ids"):
        id_to_rgb(np.array([-1]))


def test_emojiscenes_panoptic_ground_truth():
    ds = PanopticScenes(size=3, image_size=64)
    image, label = ds[0]
    assert image.shape == (3, 64, 64) and image.dtype == torch.uint8 and label.shape == (2, 64, 64)
    assert torch.equal(ds[0][1], PanopticScenes(size=3, image_size=64)[0][1])  # deterministic
    s = ds.scenes.sample(0)
    assert torch.equal(label[0], torch.from_numpy(s["label"]))
    for seg in s["segments"]:
        assert seg["is_thing"] == bool(ds.is_thing[seg["category_id"]])
    # stuff: one segment per class; things may have several instances of one class
    sem, seg = label[0].flatten(), label[1].flatten()
    for c in sem.unique().tolist():
        n_segments = len(seg[sem == c].unique())
        assert n_segments == 1 or ds.is_thing[c]
    assert ds.is_thing.sum() == 110 and len(ds.is_thing) == 150
