"""Model tests: shapes, batch consistency, selection, oracle, temperature, errors (all CPU-sized)."""

import pytest
import torch

from rankseg.config import override, profile
from rankseg.constants import IGNORE_INDEX
from rankseg.models.build import build_segmenter
from rankseg.models.label_selection import (gather_rows, present_classes, remap_to_selected, select_top_k,
                                            selected_is_valid)
from rankseg.models.mask_transformer import MaskTransformer
from rankseg.models.rankseg_classifier import RankSegOptions
from rankseg.models.temperature import RankTemperature

N = 150
VARIANTS = {
    "baseline": {"model.multilabel": False, "model.label_selection": False},
    "mt": {"model.label_selection": False},
    "mt_ls": {"model.rank_adaptive": False},
    "mt_ls_ra": {},
    "scale_temperature": {"model.temperature_impl": "scale"},
    "gap_linear": {"model.ml_head": "gap_linear"},
    "decoder_head": {"model.ml_head": "decoder", "model.ml_depth": 2},
    "cross_attention_head": {"model.ml_head": "cross_attention"},
    "no_pooling": {"model.ml_pool": None},
}


def small_cfg(**changes):
    return override(profile("ci"), {"data.image_size": 32, "model.top_k": 10, **changes})


def model_for(name, **extra):
    torch.manual_seed(0)
    return build_segmenter(small_cfg(**VARIANTS[name], **extra)).eval()


@pytest.mark.parametrize("name", list(VARIANTS))
def test_forward_backward_shapes(name):
    model = model_for(name).train()
    images = torch.rand(2, 3, 32, 32)
    out = model(images)
    selected = "ls" in name or name not in {"baseline", "mt"}
    c = 10 if selected else N
    assert out.pixel_logits.shape == (2, c, 4, 4) and out.pixel_logits.dtype == torch.float32
    if selected:
        assert out.class_ids.shape == (2, 10) and out.class_ids.dtype == torch.long
    else:
        assert out.class_ids is None
    assert (out.ml_logits is None) == (name == "baseline")
    loss = out.upsampled_logits((32, 32)).logsumexp(1).mean() + (0 if out.ml_logits is None else out.ml_logits.mean())
    loss.backward()
    assert model.decoder.cls_emb.grad is not None


@pytest.mark.parametrize("name", ["baseline", "mt", "mt_ls_ra", "cross_attention_head"])
def test_prediction_same_alone_and_in_batch(name):
    model = model_for(name)
    images = torch.rand(4, 3, 32, 32)
    with torch.no_grad():
        batch = model(images)
        for i in range(4):
            alone = model(images[i:i + 1])
            torch.testing.assert_close(alone.pixel_logits[0], batch.pixel_logits[i], atol=1e-5, rtol=1e-4)
            assert torch.equal(alone.predict((32, 32))[0], batch.predict((32, 32))[i])
            if batch.class_ids is not None:
                assert torch.equal(alone.class_ids[0], batch.class_ids[i])


def test_predicted_classes_always_among_selected():
    model = model_for("mt_ls_ra")
    with torch.no_grad():
        out = model(torch.rand(4, 3, 32, 32))
    pred = out.predict((32, 32))
    for i in range(4):
        assert set(pred[i].unique().tolist()) <= set(out.class_ids[i].tolist())


def test_selection_is_per_image_top_k():
    scores = torch.tensor([[0.1, 0.9, 0.5, 0.3], [0.8, 0.0, 0.2, 0.95]])
    ids = select_top_k(scores, 2)
    assert ids.tolist() == [[1, 2], [3, 0]]
    tokens = torch.arange(2 * 4 * 3, dtype=torch.float).view(2, 4, 3)
    g = gather_rows(tokens, ids)
    assert torch.equal(g[0], tokens[0, [1, 2]]) and torch.equal(g[1], tokens[1, [3, 0]])


def test_remap_targets_and_ignore():
    labels = torch.tensor([[[1, 2], [3, IGNORE_INDEX]], [[0, 0], [3, 2]]])
    ids = torch.tensor([[2, 1], [3, 0]])
    remapped = remap_to_selected(labels, ids)
    assert remapped.tolist() == [[[1, 0], [IGNORE_INDEX, IGNORE_INDEX]], [[1, 1], [0, IGNORE_INDEX]]]


def test_present_classes_and_out_of_range():
    labels = torch.tensor([[[0, IGNORE_INDEX], [4, 4]], [[IGNORE_INDEX] * 2] * 2])
    hot = present_classes(labels, 5)
    assert hot.tolist() == [[True, False, False, False, True], [False] * 5]
    with pytest.raises(ValueError, match="label value 7 is outside the vocabulary of 5"):
        present_classes(torch.tensor([[[7]]]), 5)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        present_classes(torch.tensor([[[-3]]]), 5)


@pytest.mark.parametrize("name", ["mt_ls_ra", "baseline"])
def test_oracle_uses_exactly_ground_truth_classes(name):
    model = model_for(name)
    gt = torch.zeros(3, N, dtype=torch.bool)
    gt[0, [3, 70, 149]] = True
    gt[1, [5]] = True  # image 2 has no valid pixel at all
    with torch.no_grad():
        out = model(torch.rand(3, 3, 32, 32), gt_classes=gt)
    pred = out.predict((32, 32))
    assert set(pred[0].unique().tolist()) <= {3, 70, 149}
    assert set(pred[1].unique().tolist()) == {5}
    assert torch.isfinite(out.upsampled_logits((32, 32))[2]).all()  # no-label image: nothing masked
    if out.class_ids is not None:
        assert set(out.class_ids[0, :3].tolist()) == {3, 70, 149}
        assert out.valid[0].sum() == 3 and out.valid[1].sum() == 1 and out.valid[2].all()


def test_selected_is_valid_empty_image():
    gt = torch.zeros(1, 4, dtype=torch.bool)
    assert selected_is_valid(torch.tensor([[0, 1]]), gt).all()


def test_top_k_at_eval_and_k_equal_n():
    model = model_for("mt_ls_ra")
    with torch.no_grad():
        assert model(torch.rand(1, 3, 32, 32), top_k=5).pixel_logits.shape[1] == 5
        assert model(torch.rand(1, 3, 32, 32), top_k=N).pixel_logits.shape[1] == N
        dyn = model(torch.rand(2, 3, 32, 32), threshold=0.99)
    assert dyn.valid[:, 0].all()


def test_rank_temperature_modes():
    x = torch.randn(2, 5, 4)
    per = RankTemperature(k=4, per_rank=True, impl="scale", init_scale=2.0)
    torch.testing.assert_close(per(x), 2 * x)
    with torch.no_grad():
        per.log_scale[1] = 0.0
    assert per(x)[..., 1].equal(x[..., 1])
    assert per.temperatures().tolist() == pytest.approx([0.5, 1.0, 0.5, 0.5])
    shared = RankTemperature(k=4, per_rank=False, impl="layernorm")
    assert sum(p.numel() for p in shared.parameters()) == 2
    ln = RankTemperature(k=4, per_rank=True, impl="layernorm")
    torch.testing.assert_close(ln(x), torch.nn.functional.layer_norm(x, (4,)))
    assert ln(torch.randn(1, 3, 6)).shape == (1, 3, 6)  # more ranks at evaluation reuse the last


def test_k_larger_than_n_and_bad_inputs():
    with pytest.raises(ValueError, match="top_k must be in 1..150"):
        MaskTransformer(num_classes=150, d_encoder=8, d_model=8, n_heads=2, rankseg=RankSegOptions(top_k=151))
    with pytest.raises(ValueError, match="model.top_k=200 must be in 1..150"):
        small_cfg(**{"model.top_k": 200})
    with pytest.raises(ValueError, match="top-K must be in 1..N"):
        select_top_k(torch.rand(1, 4), 5)
    model = model_for("mt_ls_ra")
    with pytest.raises(ValueError, match=r"expected images of shape \(B, 3, H, W\)"):
        model(torch.rand(3, 32, 32))
    with pytest.raises(ValueError, match="not a multiple of the patch size 8"):
        model(torch.rand(1, 3, 30, 32))


def test_pretrained_without_hub_fails_clearly(tmp_path, monkeypatch):
    from rankseg.models.backbone import create_timm_model

    import huggingface_hub.constants

    # offline, as on a machine without hub access (without waiting for network time-outs)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(RuntimeError, match="pretrained_path"):
        create_timm_model("vit_tiny_patch16_224", pretrained=True, pretrained_path=None, num_classes=0)
    with pytest.raises(FileNotFoundError, match="weights file not found"):
        create_timm_model("vit_tiny_patch16_224", pretrained=True, pretrained_path=str(tmp_path / "none.pth"))


def test_pretrained_from_local_file(tmp_path):
    import timm
    from rankseg.models.backbone import create_timm_model

    src = timm.create_model("vit_tiny_patch16_224", pretrained=False, depth=2, num_classes=0)
    torch.save(src.state_dict(), tmp_path / "w.pth")
    m = create_timm_model("vit_tiny_patch16_224", pretrained=True, pretrained_path=str(tmp_path / "w.pth"), depth=2,
                          num_classes=0)
    assert torch.equal(m.blocks[0].attn.qkv.weight, src.blocks[0].attn.qkv.weight)
