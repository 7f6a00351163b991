"""Compact Mask2Former (+ RankSeg): matching, losses, inference, shapes, K = N and K < N, batch consistency,
oracle, training at the ci profile, errors."""


import pytest
import torch

from rankseg.config import mask2former_profile, override
from rankseg.constants import IGNORE_INDEX
from rankseg.experiments.runner import run_key
from rankseg.models.build import build_model
from rankseg.models.mask2former import Mask2Former, build_mask2former
from rankseg.models.mask2former.classifier import RankedQueryClassifier
from rankseg.models.mask2former.criterion import SetCriterion
from rankseg.models.mask2former.inference import semantic_inference
from rankseg.models.mask2former.matcher import hungarian_match
from rankseg.models.mask2former.targets import SegmentTargets, segment_targets, target_columns

torch.set_num_threads(1)
N = 150
VARIANTS = {
    "baseline": {"model.multilabel": False, "model.label_selection": False},
    "rankseg_k_eq_n": {},
    "rankseg_k_lt_n": {"model.top_k": 12},
    "shared_temperature": {"model.top_k": 12, "model.rank_adaptive": False},
    "swin_nano": {"model.backbone": "swin_nano", "model.top_k": 12},
}


def cfg_for(**changes):
    return override(mask2former_profile("ci"), changes)


def model_for(name, **extra):
    torch.manual_seed(0)
    return build_mask2former(cfg_for(**VARIANTS[name], **extra)).eval()


def panoptic_labels(b=2, s=64):
    """(B, 2, S, S): stuff class 3 everywhere, two instances of thing class 100, void in a corner."""
    lab = torch.zeros(b, 2, s, s, dtype=torch.long)
    lab[:, 0], lab[:, 1] = 3, 1
    lab[:, 0, :16, :16], lab[:, 1, :16, :16] = 100, 2
    lab[:, 0, 40:56, 40:56], lab[:, 1, 40:56, 40:56] = 100, 3
    lab[:, 0, -4:, -4:], lab[:, 1, -4:, -4:] = IGNORE_INDEX, 0
    return lab


@pytest.mark.parametrize("name", list(VARIANTS))
def test_forward_backward_shapes(name):
    model = model_for(name).train()
    cfg = cfg_for(**VARIANTS[name])
    out = model(torch.rand(2, 3, 64, 64))
    q = cfg.mask2former.num_queries
    c = N if name in ("baseline", "rankseg_k_eq_n") else 12
    assert out.class_logits.shape == (2, q, c + 1)
    assert out.mask_logits.shape == (2, q, 1, 16, 16)
    assert len(out.aux) == cfg.mask2former.dec_layers
    assert (out.ml_logits is None) == (name == "baseline")
    if name != "baseline":
        assert out.class_ids.shape == (2, c) and out.ml_logits.shape == (2, N)
    loss = SetCriterion()(out, segment_targets(panoptic_labels(), "panoptic")).total
    loss.backward()
    assert all(p.grad is not None for p in model.decoder.layers[-1].parameters())
    if name != "baseline":
        assert model.cls_emb.grad is not None and model.classifier.temperature.weight.grad is not None


def test_build_model_dispatch_and_surface():
    model = build_model(cfg_for())
    assert isinstance(model, Mask2Former)
    assert model.num_classes == N and model.size_divisor == 32 and model.ranks_labels
    assert {id(p) for p in model.multilabel_parameters()} == {id(p) for p in model.rankseg.ml_head.parameters()}
    base = model_for("baseline")
    assert not base.ranks_labels and base.multilabel_parameters() == []


@pytest.mark.parametrize("name", ["baseline", "rankseg_k_eq_n", "rankseg_k_lt_n"])
def test_prediction_same_alone_and_in_batch(name):
    model = model_for(name)
    images = torch.rand(3, 3, 64, 64)
    with torch.no_grad():
        batch = model(images)
        alone = model(images[1:2])
    torch.testing.assert_close(batch.class_logits[1:2], alone.class_logits, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(batch.mask_logits[1:2], alone.mask_logits, atol=1e-4, rtol=1e-4)
    assert torch.equal(batch.predict((64, 64))[1:2], alone.predict((64, 64)))


def test_k_equals_n_sorts_and_k_less_than_n_selects_the_top():
    with torch.no_grad():
        full = model_for("rankseg_k_eq_n")(torch.rand(2, 3, 64, 64))
        top = model_for("rankseg_k_lt_n")(torch.rand(2, 3, 64, 64))
    for out, k in [(full, N), (top, 12)]:
        expected = out.ml_logits.topk(k, dim=1).indices
        assert torch.equal(out.class_ids, expected)
    assert torch.equal(full.class_ids.sort(1).values, torch.arange(N).expand(2, N))  # K = N: every class, sorted


def test_predictions_are_full_vocabulary_ids_of_selected_classes():
    with torch.no_grad():
        out = model_for("rankseg_k_lt_n")(torch.rand(2, 3, 64, 64))
    pred = out.predict((64, 64))
    assert pred.shape == (2, 1, 64, 64)
    for i in range(2):
        assert set(pred[i].unique().tolist()) <= set(out.class_ids[i].tolist())


def test_oracle_ranks_ground_truth_first_and_rules_out_the_rest():
    gt = torch.zeros(2, N, dtype=torch.bool)
    gt[0, [3, 100]] = True
    gt[1, [7]] = True
    with torch.no_grad():
        out = model_for("rankseg_k_lt_n")(torch.rand(2, 3, 64, 64), gt_classes=gt)
        base = model_for("baseline")(torch.rand(2, 3, 64, 64), gt_classes=gt)
    assert set(out.class_ids[0, :2].tolist()) == {3, 100} and out.class_ids[1, 0] == 7
    assert out.valid[0].sum() == 2 and out.valid[1].sum() == 1
    for o in (out, base):
        pred = o.predict((64, 64))
        assert set(pred[0].unique().tolist()) <= {3, 100} and set(pred[1].unique().tolist()) == {7}


def test_hungarian_matching_hand_case():
    # 3 queries, 2 targets over 4 pixels. Query 2 fits target 0, query 0 fits target 1; query 1 fits neither.
    big = 20.0
    masks = torch.tensor([[1, 1, 0, 0], [0, 0, 1, 1]], dtype=torch.float)
    mask_logits = torch.tensor([[-big, -big, big, big], [big, -big, big, -big], [big, big, -big, -big]])
    class_logits = torch.zeros(3, 4)
    class_logits[2, 0], class_logits[0, 1] = 5.0, 5.0
    q, t = hungarian_match(class_logits, mask_logits, torch.tensor([0, 1]), masks, class_weight=2, mask_weight=5,
                           dice_weight=5)
    assert dict(zip(t.tolist(), q.tolist(), strict=True)) == {0: 2, 1: 0}
    # the class term alone decides when masks are uninformative
    q, t = hungarian_match(class_logits, torch.zeros(3, 4), torch.tensor([0, 1]), masks, class_weight=1, mask_weight=0,
                           dice_weight=0)
    assert dict(zip(t.tolist(), q.tolist(), strict=True)) == {0: 2, 1: 0}
    q, t = hungarian_match(class_logits, mask_logits, torch.zeros(0, dtype=torch.long), masks[:0], class_weight=2,
                           mask_weight=5, dice_weight=5)
    assert len(q) == len(t) == 0


def test_target_columns_send_unselected_classes_to_no_object():
    cols = target_columns(torch.tensor([5, 9, 2]), torch.tensor([2, 5, 7]))
    assert cols.tolist() == [1, 3, 0]
    assert target_columns(torch.tensor([5, 9]), None).tolist() == [5, 9]


def test_criterion_keeps_masks_of_unselected_classes():
    # one target of class 9, which is not among the selected [2, 5]: class target no-object, mask still learnt
    from rankseg.models.mask2former.model import MaskClassOutput

    class_logits = torch.zeros(1, 2, 3, requires_grad=True)
    mask_logits = torch.zeros(1, 2, 1, 4, 4, requires_grad=True)
    out = MaskClassOutput(class_logits=class_logits, mask_logits=mask_logits, class_ids=torch.tensor([[2, 5]]))
    masks = torch.zeros(1, 1, 4, 4, dtype=torch.bool)
    masks[0, 0, :2] = True
    losses = SetCriterion()(out, [SegmentTargets(classes=torch.tensor([9]), masks=masks)])
    losses.total.backward()
    assert mask_logits.grad.abs().sum() > 0
    # every query's class target is no-object: the gradient raises the no-object logit of both queries
    assert (class_logits.grad[0, :, 2] < 0).all()


def test_segment_targets_panoptic_and_semantic():
    lab = panoptic_labels(b=1)
    pan = segment_targets(lab, "panoptic")[0]
    sem = segment_targets(lab, "semantic")[0]
    assert sorted(pan.classes.tolist()) == [3, 100, 100] and pan.masks.shape == (3, 1, 64, 64)
    assert sorted(sem.classes.tolist()) == [3, 100]
    assert not pan.masks[:, :, -4:, -4:].any()  # void belongs to no segment
    assert segment_targets(lab[:, 0], "semantic")[0].classes.tolist() == [3, 100]
    with pytest.raises(ValueError, match="task"):
        segment_targets(lab, "instance")


def test_semantic_inference_hand_case():
    # two queries over columns {0, 1} + no-object: query 0 says class 1 on the left, query 1 class 0 on the right
    class_logits = torch.tensor([[[0.0, 9.0, 0.0], [9.0, 0.0, 0.0]]])
    mask_logits = torch.full((1, 2, 1, 2, 2), -9.0)
    mask_logits[0, 0, 0, :, 0] = 9.0
    mask_logits[0, 1, 0, :, 1] = 9.0
    pred = semantic_inference(class_logits, mask_logits, (2, 2))
    assert pred[0, 0].tolist() == [[1, 0], [1, 0]]


def test_train_and_evaluate_ci(tmp_path):
    from rankseg.engine.mask_classification import train_mask_classification

    cfg = cfg_for(**{"train.iterations": 2, "data.num_val": 4, "data.num_train": 4})
    result = train_mask_classification(cfg, tmp_path, progress=False)
    s = result.final.summary()
    assert 0 <= s["miou"] <= 100 and 0 <= s["pq"] <= 100 and s["recall_at_k"] == 100
    assert (tmp_path / "curves.csv").is_file()
    assert {"loss_ce", "loss_mask", "loss_dice", "ml_loss"} <= set(result.curves.columns)
    again = train_mask_classification(cfg, tmp_path, progress=False)  # resumed: nothing left to train
    assert again.final.summary()["miou"] == pytest.approx(s["miou"])

    # the one evaluator of a run dispatches region classification to its own metric
    from rankseg.engine import EvalOptions, evaluate_run, validation_set
    from rankseg.engine.mask_classification import evaluate_mask_classification

    val = validation_set(cfg)
    assert evaluate_run(result.model, cfg, val).summary() == pytest.approx(s, nan_ok=True)
    oracle = evaluate_run(result.model, cfg, val, options=EvalOptions(oracle=True)).summary()
    assert oracle == evaluate_mask_classification(result.model, val, cfg, oracle=True, progress=False).summary()
    with pytest.raises(ValueError, match="oracle option only"):
        evaluate_run(result.model, cfg, val, options=EvalOptions(top_k=3))


def test_config_errors_and_run_keys():
    with pytest.raises(ValueError, match="label.selection needs"):
        build_mask2former(cfg_for(**{"model.multilabel": False}))
    with pytest.raises(ValueError, match="multiple of num_heads"):
        cfg_for(**{"mask2former.hidden_dim": 30})
    with pytest.raises(ValueError, match="expected images"):
        model_for("baseline")(torch.rand(2, 64, 64))
    with pytest.raises(ValueError, match="multiples of 32"):
        model_for("baseline")(torch.rand(1, 3, 48, 48))
    with pytest.raises(ValueError, match="built for K=4"):
        RankedQueryClassifier(dim=8, top_k=4)(torch.rand(1, 2, 8), torch.rand(1, 5, 8))
    assert run_key(cfg_for()) != run_key(cfg_for(**{"mask2former.num_queries": 9}))
