"""Losses and metrics against direct transcriptions and hand-computed cases."""

import math

import numpy as np
import pytest
import torch

from rankseg.constants import IGNORE_INDEX
from rankseg.losses import AsymmetricLoss, pixel_cross_entropy
from rankseg.metrics import SegmentationMeter, average_precision, mean_average_precision, top_k_recall


def asl_formula(logit, y, gamma_neg, gamma_pos, clip, eps):
    """The ASL paper's formula, one entry at a time."""
    p = 1 / (1 + math.exp(-logit))
    if y:
        return -((1 - p) ** gamma_pos) * math.log(max(p, eps))
    p_m = max(p - clip, 0.0)
    return -(p_m ** gamma_neg) * math.log(max(1 - p_m, eps))


@pytest.mark.parametrize("params", [(2.0, 0.0, 0.05, 1e-5), (4.0, 1.0, 0.05, 1e-8), (0.0, 0.0, 0.0, 1e-8)])
def test_asymmetric_loss_matches_formula(params):
    torch.manual_seed(0)
    logits = torch.randn(3, 7) * 3
    targets = torch.rand(3, 7) > 0.6
    got = AsymmetricLoss(gamma_neg=params[0], gamma_pos=params[1], clip=params[2], eps=params[3])(logits, targets)
    want = np.mean([asl_formula(float(logits[i, j]), bool(targets[i, j]), *params)
                    for i in range(3) for j in range(7)])
    assert float(got) == pytest.approx(want, rel=1e-5)


def test_asl_without_focusing_is_bce():
    logits, targets = torch.randn(4, 5), torch.rand(4, 5) > 0.5
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets.float())
    assert float(AsymmetricLoss(gamma_neg=0, gamma_pos=0, clip=0, eps=1e-12)(logits, targets)) == pytest.approx(float(bce), rel=1e-5)


def test_pixel_cross_entropy_ignores_and_never_nans():
    logits = torch.randn(1, 3, 2, 2)
    targets = torch.tensor([[[0, IGNORE_INDEX], [2, 1]]])
    want = torch.nn.functional.cross_entropy(logits, targets, ignore_index=IGNORE_INDEX)
    assert float(pixel_cross_entropy(logits, targets)) == pytest.approx(float(want))
    all_ignored = torch.full((1, 2, 2), IGNORE_INDEX)
    assert float(pixel_cross_entropy(logits, all_ignored)) == 0.0


def test_miou_hand_computed():
    # classes: 0, 1, 2 (2 absent from both → left out), 3 only predicted (IoU 0)
    label = torch.tensor([[0, 0, 1, 1], [0, 1, IGNORE_INDEX, 1]])
    pred = torch.tensor([[0, 1, 1, 1], [0, 3, 0, 1]])
    m = SegmentationMeter(4)
    m.update(pred[None], label[None])
    iou = m.iou()
    assert iou[0] == pytest.approx(2 / 3) and iou[1] == pytest.approx(3 / 5)
    assert math.isnan(iou[2]) and iou[3] == 0
    assert m.miou() == pytest.approx((2 / 3 + 3 / 5 + 0) / 3)
    assert m.pixel_accuracy() == pytest.approx(5 / 7)


def test_miou_matches_torchmetrics_and_accumulates():
    from torchmetrics.classification import MulticlassJaccardIndex

    torch.manual_seed(0)
    label = torch.randint(-1, 6, (4, 16, 16))
    label[label == 5] = 4  # class 5 absent from ground truth...
    pred = torch.randint(0, 5, (4, 16, 16))  # ...and from prediction
    m = SegmentationMeter(6)
    m.update(pred[:2], label[:2])
    m.update(pred[2:], label[2:])
    tm = MulticlassJaccardIndex(num_classes=6, ignore_index=IGNORE_INDEX, average="none")
    per_class = tm(pred, label)
    present = (torch.bincount(label[label >= 0], minlength=6) + torch.bincount(pred[label >= 0], minlength=6)) > 0
    assert m.miou() == pytest.approx(float(per_class[present].mean()), rel=1e-6)


def test_average_precision_hand_computed_and_torchmetrics():
    scores = torch.tensor([[0.9, 0.1], [0.8, 0.7], [0.3, 0.2], [0.1, 0.6]])
    targets = torch.tensor([[1, 0], [0, 0], [1, 0], [0, 0]], dtype=torch.bool)
    ap = average_precision(scores, targets)
    assert ap[0] == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert math.isnan(ap[1])
    assert mean_average_precision(scores, targets) == pytest.approx((1 + 2 / 3) / 2)

    from torchmetrics.classification import MultilabelAveragePrecision

    torch.manual_seed(1)
    s, t = torch.rand(50, 6), torch.rand(50, 6) > 0.7
    want = MultilabelAveragePrecision(num_labels=6, average="macro")(s, t.long())
    assert mean_average_precision(s, t) == pytest.approx(float(want), rel=1e-5)


def test_top_k_recall():
    gt = torch.tensor([[True, True, False, True], [False, False, True, False]])
    ids = torch.tensor([[0, 2], [2, 1]])
    assert top_k_recall(ids, gt) == (2, 4)
    assert top_k_recall(ids, gt, valid=torch.tensor([[False, True], [True, True]])) == (1, 4)


def test_class_frequency_prior_ranks_by_training_image_counts():
    from rankseg.experiments.prior import class_frequency_prior

    class Labels:  # images as label maps; `label(i)` as EmojiScenes offers it
        num_classes, class_names = 4, list("abcd")

        def __init__(self, maps):
            self.maps = [np.asarray(m) for m in maps]

        def __len__(self):
            return len(self.maps)

        def label(self, i):
            return self.maps[i]

    train = Labels([[[0, 1]], [[0, 2]], [[0, 1]], [[3, 3]]])  # counts 3, 2, 1, 1: class 0 first, then 1
    val = Labels([[[0, 2]], [[1, 1]]])
    prior = class_frequency_prior(train, val, num_classes=4, k=2)
    assert prior["recall_at_k"] == pytest.approx(100 * 2 / 3)  # top 2 = {0, 1}: hits 0 and 1, misses 2
    assert 0 < prior["map"] <= 100
