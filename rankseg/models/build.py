"""Builders: a config in, a model out (no registry: read the function to see what gets built)."""

from __future__ import annotations

from torch import nn

from rankseg.config import Config
from rankseg.models.backbone import ViTEncoder
from rankseg.models.classifier import MultiLabelClassifier
from rankseg.models.mask_transformer import DecoderSpec, MaskTransformer
from rankseg.models.segmenter import Segmenter


def build_model(cfg: Config) -> nn.Module:
    """The segmentation model `cfg.model.framework` names (see rankseg.config.Framework)."""
    framework = cfg.model.framework
    if framework == "segmenter":
        return build_segmenter(cfg)
    if framework in ("deeplabv3", "upernet", "encnet", "essnet"):
        from rankseg.models.pixel_framework import build_pixel_framework

        return build_pixel_framework(cfg)
    if framework == "mask2former":  # issue 7: region classification
        from rankseg.models.mask2former import build_mask2former

        return build_mask2former(cfg)
    raise ValueError(f"model.framework={framework!r} has no builder yet")


def build_vit_encoder(cfg: Config) -> ViTEncoder:
    """The ViT `cfg.model` names (Segmenter's encoder, and the backbone of EncNet and ESSNet)."""
    m = cfg.model
    kwargs = {} if m.backbone_depth is None else {"depth": m.backbone_depth}
    return ViTEncoder(name=m.backbone, image_size=cfg.data.image_size, patch_size=m.patch_size,
                      drop_path_rate=m.drop_path_rate, pretrained=m.pretrained, pretrained_path=m.pretrained_path,
                      **kwargs)


def build_segmenter(cfg: Config) -> Segmenter:
    """Segmenter baseline or RankSeg, as `cfg.model` says, for `cfg.data.num_classes` classes."""
    m = cfg.model
    encoder = build_vit_encoder(cfg)
    spec = DecoderSpec(
        num_classes=cfg.data.num_classes, d_encoder=encoder.embed_dim, d_model=m.d_model, n_heads=m.n_heads,
        n_layers=m.n_layers, mlp_ratio=m.mlp_ratio, drop_path_rate=m.drop_path_rate,
        multilabel=m.multilabel and m.scheme == "joint", label_selection=m.label_selection, top_k=m.top_k,
        rank_adaptive=m.rank_adaptive, temperature_impl=m.temperature_impl, ml_head=m.ml_head, ml_pool=m.ml_pool,
        ml_depth=m.ml_depth)
    return Segmenter(encoder=encoder, decoder=MaskTransformer(spec))


def build_classifier(cfg: Config) -> MultiLabelClassifier:
    """The independent scheme's separate multi-label classifier."""
    return MultiLabelClassifier(name=cfg.model.classifier_backbone, num_classes=cfg.data.num_classes,
                                image_size=cfg.data.image_size)
