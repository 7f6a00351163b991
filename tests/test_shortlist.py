"""The large-vocabulary shortlist (model.ml_shortlist): shapes, selection within the shortlist, batch
independence, the (B, N) multi-label scores the losses and metrics read, config errors, and no N×H×W tensor."""

import pytest
import torch

from rankseg.config import override, profile
from rankseg.losses import AsymmetricLoss
from rankseg.models.build import build_model
from rankseg.models.rankseg_classifier import RankSegClassifier, RankSegOptions

N, M, K, D = 300, 24, 5, 16


def classifier(**options):
    torch.manual_seed(0)
    opts = dict(top_k=K, ml_pool=2, ml_shortlist=M) | options
    return RankSegClassifier(num_classes=N, dim=D, num_heads=2, options=RankSegOptions(**opts))


@pytest.mark.parametrize("ml_head", ["encoder", "decoder", "cross_attention"])
def test_shapes_and_selection_within_the_shortlist(ml_head):
    clf = classifier(ml_head=ml_head)
    tokens, class_emb = torch.randn(3, 16, D), torch.randn(N, D)
    ranking = clf.rank(tokens, (4, 4), class_emb)
    assert ranking.ml_logits.shape == (3, N) and ranking.shortlist.shape == (3, M)
    assert ranking.class_tokens.shape == (3, M, D)
    selection = clf.select(ranking)
    assert selection.class_ids.shape == (3, K) and selection.class_tokens.shape == (3, K, D)
    for b in range(3):
        assert set(selection.class_ids[b].tolist()) <= set(ranking.shortlist[b].tolist())
        # the top K of the refined scores among the shortlisted classes, full-vocabulary ids in rank order
        short = ranking.shortlist[b]
        expected = short[ranking.ml_logits[b, short].topk(K).indices]
        assert selection.class_ids[b].equal(expected)
        # the selected tokens are the layer's tokens of those classes
        pos = [short.tolist().index(c) for c in selection.class_ids[b].tolist()]
        torch.testing.assert_close(selection.class_tokens[b], ranking.class_tokens[b, pos])
    assert clf.score(tokens, selection.class_tokens, (4, 4)).shape == (3, K, 4, 4)


def test_ml_logits_are_the_scorers_scores_refined_on_the_shortlist():
    clf = classifier()
    tokens, class_emb = torch.randn(2, 16, D), torch.randn(N, D)
    ranking = clf.rank(tokens, (4, 4), class_emb)
    coarse, shortlist = clf.shortlist(tokens, M)
    assert shortlist.equal(ranking.shortlist) and shortlist.equal(coarse.topk(M).indices)
    outside = torch.ones(2, N, dtype=torch.bool).scatter(1, shortlist, False)
    torch.testing.assert_close(ranking.ml_logits[outside], coarse[outside])
    assert not torch.allclose(ranking.ml_logits.gather(1, shortlist), coarse.gather(1, shortlist))
    # one loss over (B, N) reaches the scorer, the multi-label layer and the class embeddings
    class_emb.requires_grad_(True)
    gt = torch.zeros(2, N, dtype=torch.bool)
    gt[:, :3] = True
    AsymmetricLoss()(clf.rank(tokens, (4, 4), class_emb).ml_logits, gt).backward()
    assert clf.shortlist.fc.weight.grad.abs().sum() > 0
    assert clf.ml_head.classifier.weight.grad.abs().sum() > 0
    # only the shortlisted class embeddings went through the layer
    used = class_emb.grad.abs().sum(1) > 0
    assert used.sum() <= 2 * M and used[shortlist.flatten()].all()


def test_same_alone_and_in_a_batch_of_four():
    clf = classifier().eval()
    tokens, class_emb = torch.randn(4, 16, D), torch.randn(N, D)
    with torch.no_grad():
        ranking = clf.rank(tokens, (4, 4), class_emb)
        batch = clf.select(ranking)
        for i in range(4):
            r = clf.rank(tokens[i:i + 1], (4, 4), class_emb)
            alone = clf.select(r)
            assert r.shortlist.equal(ranking.shortlist[i:i + 1])
            assert alone.class_ids.equal(batch.class_ids[i:i + 1])
            torch.testing.assert_close(r.ml_logits, ranking.ml_logits[i:i + 1])
            torch.testing.assert_close(alone.class_tokens, batch.class_tokens[i:i + 1])


def test_whole_model_batch_consistency_and_oracle():
    cfg = override(profile("ci"), {"data.num_classes": 847, "model.top_k": 8, "model.ml_shortlist": 32})
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    images = torch.rand(4, 3, cfg.data.image_size, cfg.data.image_size)
    with torch.no_grad():
        out = model(images)
        assert out.ml_logits.shape == (4, 847) and out.class_ids.shape == (4, 8)
        pred = out.predict((cfg.data.image_size, cfg.data.image_size))
        for i in range(4):
            one = model(images[i:i + 1])
            assert one.class_ids.equal(out.class_ids[i:i + 1])
            assert one.predict((cfg.data.image_size,) * 2).equal(pred[i:i + 1])
        gt = torch.zeros(4, 847, dtype=torch.bool)
        gt[:, 0] = True
        oracle = model(images, gt_classes=gt)  # the oracle keeps the |GT| = 1 ground-truth class, if shortlisted
        assert oracle.class_ids.shape == oracle.valid.shape == (4, 1)


@pytest.mark.parametrize(("changes", "message"), [
    ({"model.ml_shortlist": 4}, "model.ml_shortlist=4 must be in model.top_k..data.num_classes"),
    ({"model.ml_shortlist": 10_000}, "model.ml_shortlist=10000 must be in model.top_k..data.num_classes"),
    ({"model.ml_shortlist": 32, "model.ml_head": "gap_linear"}, "model.ml_shortlist needs"),
    ({"model.ml_shortlist": 32, "model.label_selection": False}, "model.ml_shortlist needs"),
    ({"model.ml_shortlist": 32, "train.eval_mode": "slide"}, "model.ml_shortlist needs"),
])
def test_config_rejects_a_bad_shortlist(changes, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        override(profile("ci"), {"model.top_k": 8, **changes})


def test_an_outside_ranking_is_refused():
    clf = classifier()
    ranking = clf.rank(torch.randn(2, 16, D), (4, 4), torch.randn(N, D))
    with pytest.raises(ValueError, match="ml_shortlist"):
        clf.select(ranking, ranking_scores=torch.randn(2, N))


def test_classifier_rejects_a_bad_shortlist():
    with pytest.raises(ValueError, match="ml_shortlist"):
        classifier(ml_shortlist=K - 1)
    with pytest.raises(ValueError, match="ml_shortlist"):
        classifier(ml_shortlist=N + 1)


def test_default_config_builds_no_shortlist():
    model = build_model(profile("ci"))
    assert not any("shortlist" in name for name, _ in model.named_parameters())
