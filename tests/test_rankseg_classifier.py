"""RankSeg's classifier as one module: its steps (rank → select → score) used on their own, the same module in
every framework, batch independence, and checkpoints saved before it existed."""

import pytest
import torch

from rankseg.config import mask2former_profile, override, profile
from rankseg.models.build import build_model
from rankseg.models.rankseg_classifier import RankSegClassifier, RankSegOptions

N, K, D = 30, 5, 16


def classifier(**options):
    torch.manual_seed(0)
    return RankSegClassifier(num_classes=N, dim=D, num_heads=2, options=RankSegOptions(top_k=K, ml_pool=2, **options))


def test_steps_shapes_and_ranking_without_pixels():
    clf = classifier()
    tokens, class_emb = torch.randn(3, 16, D), torch.randn(N, D)
    ranking = clf.rank(tokens, (4, 4), class_emb)  # the ranking alone: no pixel is scored
    assert ranking.ml_logits.shape == (3, N) and ranking.class_tokens.shape == (3, N, D)
    selection = clf.select(ranking)
    assert selection.class_ids.shape == (3, K) and selection.class_tokens.shape == (3, K, D)
    assert selection.class_ids.equal(ranking.ml_logits.topk(K, dim=1).indices)
    torch.testing.assert_close(selection.class_tokens[1], ranking.class_tokens[1, selection.class_ids[1]])
    logits = clf.score(tokens, selection.class_tokens, (4, 4))
    assert logits.shape == (3, K, 4, 4)


def test_selection_per_image_same_alone_and_in_batch():
    clf = classifier().eval()
    tokens, class_emb = torch.randn(4, 16, D), torch.randn(N, D)
    with torch.no_grad():
        batch = clf.select(clf.rank(tokens, (4, 4), class_emb))
        for i in range(4):
            alone = clf.select(clf.rank(tokens[i:i + 1], (4, 4), class_emb))
            assert alone.class_ids.equal(batch.class_ids[i:i + 1])
            torch.testing.assert_close(alone.class_tokens, batch.class_tokens[i:i + 1])


def test_ranking_sources_and_no_selection():
    clf = classifier()
    tokens, class_emb = torch.randn(2, 16, D), torch.randn(N, D)
    ranking = clf.rank(tokens, (4, 4), class_emb)
    scores = torch.randn(2, N)
    assert clf.select(ranking, ranking_scores=scores).class_ids.equal(scores.topk(K, dim=1).indices)
    gt = torch.zeros(2, N, dtype=torch.bool)
    gt[:, [3, 7]] = True
    oracle = clf.select(ranking, gt_classes=gt)
    assert set(oracle.class_ids[0, :2].tolist()) == {3, 7} and oracle.valid[:, :2].all() and not oracle.valid[:, 2:].any()
    mt_only = classifier(label_selection=False)
    sel = mt_only.select(mt_only.rank(tokens, (4, 4), class_emb))
    assert sel.class_ids is None and sel.class_tokens.shape == (2, N, D)
    assert mt_only.score(tokens, sel.class_tokens, (4, 4)).shape == (2, N, 4, 4)
    baseline = classifier(multilabel=False, label_selection=False)
    assert baseline.ml_head is None and baseline.rank(tokens, (4, 4), class_emb).ml_logits is None
    with pytest.raises(ValueError, match="needs a ranking"):
        classifier(multilabel=False).select(baseline.rank(tokens, (4, 4), class_emb))


CONFIGS = {
    "segmenter": lambda: profile("ci"),
    "deeplabv3": lambda: override(profile("ci"), {"model.framework": "deeplabv3", "model.backbone": "resnet18",
                                                  "model.d_model": 32, "model.n_heads": 2}),
    "mask2former": lambda: mask2former_profile("ci"),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_framework_uses_the_module_and_loads_old_checkpoints(name):
    torch.manual_seed(0)
    model = build_model(CONFIGS[name]())
    assert sum(isinstance(m, RankSegClassifier) for m in model.modules()) == 1
    state = model.state_dict()
    # the keys a checkpoint had before the classifier was one module: "….rankseg.ml_head.…" was "….ml_head.…"
    old = {k.replace("rankseg.", ""): v for k, v in state.items()}
    assert old.keys() != state.keys()
    torch.manual_seed(1)
    fresh = build_model(CONFIGS[name]())
    fresh.load_state_dict(old, strict=True)
    assert all(torch.equal(v, fresh.state_dict()[k]) for k, v in state.items())


@pytest.mark.parametrize("kind", ["encoder", "decoder", "cross_attention"])
def test_class_tokens_are_taken_after_the_heads_layernorm(kind):
    """As the official code: the class tokens selected and passed on are the multi-label head's normalised ones,
    and the head scores exactly those tokens."""
    clf = classifier(ml_head=kind)
    head = clf.ml_head
    with torch.no_grad():  # an affine LayerNorm that is not the identity, so before and after differ
        head.norm.weight.uniform_(0.5, 2.0)
        head.norm.bias.uniform_(-1.0, 1.0)
    seen = {}
    head.norm.register_forward_hook(lambda _m, _i, out: seen.setdefault("normed", out))
    ranking = clf.rank(torch.randn(2, 16, D), (4, 4), torch.randn(N, D))
    torch.testing.assert_close(ranking.class_tokens, seen["normed"])
    torch.testing.assert_close(ranking.ml_logits, head.classifier(ranking.class_tokens))


def test_oracle_keeps_every_ground_truth_class_even_beyond_k():
    clf = classifier().eval()
    tokens, class_emb = torch.randn(3, 16, D), torch.randn(N, D)
    gt = torch.zeros(3, N, dtype=torch.bool)
    gt[0, [1, 4, 9, 13, 20, 22, 27, 29]] = True  # 8 classes > K = 5
    gt[1, [2, 6]] = True
    with torch.no_grad():
        sel = clf.select(clf.rank(tokens, (4, 4), class_emb), gt_classes=gt)
        alone = clf.select(clf.rank(tokens[1:2], (4, 4), class_emb), gt_classes=gt[1:2])
    assert sel.class_ids.shape == (3, 8)  # |GT| channels (the batch's largest), not K
    assert set(sel.class_ids[0].tolist()) == set(gt[0].nonzero().flatten().tolist()) and sel.valid[0].all()
    assert set(sel.class_ids[1, :2].tolist()) == {2, 6} and sel.valid[1].sum() == 2
    assert sel.valid[2].all()  # an image without any labelled pixel masks nothing
    assert alone.class_ids.shape == (1, 2) and alone.class_ids.equal(sel.class_ids[1:2, :2])
    logits = clf.score(tokens, sel.class_tokens, (4, 4))  # ranks beyond K reuse the last rank's temperature
    assert logits.shape == (3, 8, 4, 4) and torch.isfinite(logits).all()
