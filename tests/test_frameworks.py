"""The pixel-classification frameworks (DeepLabv3, UPerNet, EncNet, ESSNet), with and without RankSeg:
shapes, forward and backward, batch consistency, the pieces against direct computations, and errors."""

import pytest
import torch
import torch.nn.functional as F

from rankseg.config import override, profile
from rankseg.constants import IGNORE_INDEX
from rankseg.engine.evaluate import EvalOptions, evaluate
from rankseg.losses import multilabel_criterion, segmentation_losses
from rankseg.models.build import build_model
from rankseg.models.encnet import Encoding
from rankseg.models.essnet import EmbeddingOutput
from rankseg.models.label_selection import present_classes
from rankseg.models.output import SegOutput

N, K = 150, 10
RANKSEG_OFF = {"model.multilabel": False, "model.label_selection": False}
# resnet18 stands in for the DeepLabv3 backbone here: the same code path as EfficientNet-Lite0, no weights
FRAMEWORKS = {
    "deeplabv3": {"model.framework": "deeplabv3", "model.backbone": "resnet18"},
    "deeplabv3_lite0": {"model.framework": "deeplabv3", "model.backbone": "tf_efficientnet_lite0"},
    "upernet_swin": {"model.framework": "upernet", "model.backbone": "swin_nano"},
    "upernet_resnet": {"model.framework": "upernet", "model.backbone": "resnet18"},
}
# name -> (changes, channels of the output, feature resolution at 64 px, has multi-label scores)
VARIANTS = {
    **{f"{name}_rankseg": (ch, K, None, True) for name, ch in FRAMEWORKS.items()},
    **{f"{name}_baseline": ({**ch, **RANKSEG_OFF}, N, None, False) for name, ch in FRAMEWORKS.items()},
    "deeplabv3_mt_only": ({**FRAMEWORKS["deeplabv3"], "model.label_selection": False}, N, None, True),
    "encnet": ({**RANKSEG_OFF, "model.framework": "encnet", "model.encnet_codewords": 8}, N, 8, True),
}
RES = {"deeplabv3": 8, "upernet": 16}


def cfg_for(changes):
    return override(profile("ci"), {"model.top_k": K, "model.d_model": 32, "model.n_heads": 2, **changes})


def build(changes, seed=0):
    torch.manual_seed(seed)
    return build_model(cfg_for(changes))


@pytest.mark.parametrize("name", list(VARIANTS))
def test_forward_backward_shapes(name):
    changes, c, res, has_ml = VARIANTS[name]
    res = res or RES[changes["model.framework"]]
    model = build(changes).train()
    images, labels = torch.rand(2, 3, 64, 64), torch.randint(0, N, (2, 64, 64))
    out = model(images)
    assert isinstance(out, SegOutput)
    assert out.pixel_logits.shape == (2, c, res, res)
    assert (out.class_ids is not None) == (c == K)
    assert (out.ml_logits is not None) == has_ml
    if has_ml:
        assert out.ml_logits.shape == (2, N)
    crit = multilabel_criterion(kind="asl", gamma_neg=2, gamma_pos=0, clip=0.05, eps=1e-5)
    loss = segmentation_losses(out, labels, present_classes(labels, N), seg_weight=1, ml_weight=1, ml_criterion=crit)
    loss.total.backward()
    assert all(p.grad is not None for p in model.parameters())
    # (timm's ResNets zero-initialise the last BN of each block, so some backbone gradients start at 0)
    head = [p.grad for p in [*model.decoder.parameters(), *model.classifier.parameters()]]
    assert sum(bool(g.abs().sum() > 0) for g in head) > 0.9 * len(head)
    assert model.ranks_labels == (c == K)
    assert (len(model.multilabel_parameters()) > 0) == (has_ml and changes.get("model.framework") != "encnet"
                                                          or (has_ml and c == K))


@pytest.mark.parametrize("name", ["deeplabv3_rankseg", "deeplabv3_baseline", "upernet_swin_rankseg", "encnet",
                                  "essnet"])
def test_prediction_same_alone_and_in_batch(name):
    changes = ESSNET if name == "essnet" else VARIANTS[name][0]
    model = build(changes).eval()
    images = torch.rand(4, 3, 64, 64)
    with torch.no_grad():
        batch = model(images).predict((64, 64))
        for i in range(4):
            alone = model(images[i:i + 1]).predict((64, 64))
            assert torch.equal(alone[0], batch[i])


def test_rankseg_predicts_only_selected_classes_and_oracle_uses_gt():
    model = build(FRAMEWORKS["deeplabv3"]).eval()
    images = torch.rand(3, 3, 64, 64)
    with torch.no_grad():
        out = model(images)
        pred = out.predict((64, 64))
        for i in range(3):
            assert set(pred[i].unique().tolist()) <= set(out.class_ids[i].tolist())
        gt = torch.zeros(3, N, dtype=torch.bool)
        gt[0, [3, 77]] = True
        gt[1, [149]] = True
        gt[2, [0, 1, 2]] = True
        oracle = model(images, gt_classes=gt)
        pred = oracle.predict((64, 64))
        for i in range(3):
            assert set(pred[i].unique().tolist()) <= set(gt[i].nonzero().flatten().tolist())
        assert model(images, top_k=N).pixel_logits.shape[1] == N  # K = N: sorting without dropping


def test_encnet_is_built_as_the_baseline_it_is():
    with pytest.raises(ValueError, match="EncNet"):
        build({"model.framework": "encnet"})


def test_baseline_rejects_label_selection_arguments():
    model = build({**FRAMEWORKS["deeplabv3"], **RANKSEG_OFF}).eval()
    with pytest.raises(ValueError, match="label selection"):
        model(torch.rand(1, 3, 64, 64), top_k=5)


def test_encoding_matches_direct_formula():
    torch.manual_seed(0)
    enc = Encoding(channels=6, num_codes=4)
    x = torch.randn(2, 6, 3, 5)
    out = enc(x)
    pts = x.flatten(2).transpose(1, 2)  # (B, P, C)
    resid = pts[:, :, None, :] - enc.codewords[None, None]  # (B, P, K, C)
    a = F.softmax(enc.scale * resid.pow(2).sum(-1), dim=2)
    direct = (a[..., None] * resid).sum(1)
    torch.testing.assert_close(out, direct, atol=1e-5, rtol=1e-5)


ESSNET = {**RANKSEG_OFF, "model.framework": "essnet", "model.essnet_k": 5, "model.essnet_dim": 16}


def test_essnet_output_and_knn_loss():
    model = build(ESSNET).train()
    images, labels = torch.rand(2, 3, 64, 64), torch.randint(0, N, (2, 64, 64))
    labels[0, :10] = IGNORE_INDEX
    out = model(images)
    assert isinstance(out, EmbeddingOutput)
    assert out.pixel_embeddings.shape == (2, 16, 8, 8) and out.class_embeddings.shape == (N, 16)
    loss = out.pixel_loss(labels)
    # direct: for each labelled pixel, CE over the k nearest classes with the ground truth forced in
    emb = out.upsampled_embeddings((64, 64)).flatten(0, 1)
    t = labels.flatten()
    keep = t != IGNORE_INDEX
    sims = emb[keep] @ out.class_embeddings.t()
    total = 0.0
    for s, y in zip(sims, t[keep], strict=True):
        idx = s.topk(5).indices
        if y not in idx:
            idx[-1] = y
        total += F.cross_entropy(out.scale * s[idx][None], (idx == y).nonzero()[0])
    torch.testing.assert_close(loss, total / keep.sum(), atol=1e-4, rtol=1e-4)
    loss.backward()
    assert model.classifier.cls_emb.grad is not None
    assert float(out.pixel_loss(torch.full((2, 64, 64), IGNORE_INDEX)).detach()) == 0.0
    pred = out.predict((64, 64))
    nearest = (emb @ out.class_embeddings.t()).argmax(-1).view(2, 64, 64)
    assert torch.equal(pred, nearest)


def test_essnet_k_must_fit_vocabulary_and_rejects_oracle():
    with pytest.raises(ValueError, match="essnet_k"):
        cfg_for({**ESSNET, "model.essnet_k": N + 1})
    model = build(ESSNET).eval()
    with pytest.raises(ValueError, match="nearest neighbours"):
        model(torch.rand(1, 3, 64, 64), gt_classes=torch.ones(1, N, dtype=torch.bool))


def test_essnet_refuses_sliding_window_evaluation():
    from tests.synthetic import Rectangles

    model = build(ESSNET)
    with pytest.raises(ValueError, match="whole-image"):
        evaluate(model, Rectangles(n=2, size=64, num_classes=N), options=EvalOptions(mode="slide", crop=32),
                 progress=False)


@pytest.mark.parametrize("name", ["deeplabv3_rankseg", "upernet_swin_baseline"])
def test_evaluate_runs_whole_and_slide(name):
    from tests.synthetic import Rectangles

    model = build(VARIANTS[name][0])
    data = Rectangles(n=3, size=64, num_classes=N)
    whole = evaluate(model, data, options=EvalOptions(), progress=False)
    assert 0 <= whole.miou <= 100
    if name.startswith("deeplabv3"):
        slide = evaluate(model, data, options=EvalOptions(mode="slide", crop=32, stride=16), progress=False)
        assert 0 <= slide.miou <= 100 and slide.recall_at_k == slide.recall_at_k


def test_paper_profile_frameworks_follow_the_official_settings():
    from rankseg.experiments.variants import FRAMEWORKS

    def paper_cfg(name):
        return override(profile("paper", "ade20k", root="/data/ade"), FRAMEWORKS["paper"][name])

    dl, up, vitl = paper_cfg("DeepLabv3"), paper_cfg("UPerNet"), paper_cfg("Segmenter ViT-L")
    for c in (dl, up, vitl):
        assert (c.model.top_k, c.loss.ml_weight, c.model.multilabel, c.model.label_selection) == (50, 10.0, True, True)
    # DeepLabv3 R101: ML head width 512, 8 heads, feed-forward 2048, 16×16 pooled grid, output stride 8, batch 16
    assert (dl.model.backbone, dl.model.d_model, dl.model.n_heads, dl.model.d_model * dl.model.mlp_ratio,
            dl.model.ml_pool, dl.model.output_stride, dl.train.batch_size) == ("resnet101", 512, 8, 2048, 16, 8, 16)
    # Swin-B UPerNet: AdamW 6e-5, wd 0.01, ML-head LR ×0.1, batch 16
    assert (up.train.optimizer, up.train.lr, up.train.weight_decay, up.train.ml_lr_mult, up.train.batch_size) == \
        ("adamw", 6e-5, 0.01, 0.1, 16)
    # Seg-L-Mask/16: ViT-L at 640², mask transformer of width 1024 with 16 heads and 2 layers
    assert (vitl.model.backbone, vitl.data.image_size, vitl.model.d_model, vitl.model.n_heads, vitl.model.n_layers) \
        == ("vit_large_patch16_384", 640, 1024, 16, 2)
