"""Builders: a config in, a model out (no registry: read the function to see what gets built)."""

from __future__ import annotations

from torch import nn

from rankseg.config import Config
from rankseg.models.backbone import build_vit_encoder
from rankseg.models.classifier import MultiLabelClassifier
from rankseg.models.feature_encoder import PyramidTokens, TimmFeatures
from rankseg.models.mask2former import build_mask2former
from rankseg.models.mask_transformer import MaskTransformer
from rankseg.models.pixel_framework import build_pixel_framework
from rankseg.models.rankseg_classifier import RankSegOptions
from rankseg.models.segmenter import Segmenter


def build_model(cfg: Config) -> nn.Module:
    """The segmentation model `cfg.model.framework` names (see rankseg.config.Framework)."""
    framework = cfg.model.framework
    if framework == "segmenter":
        return build_segmenter(cfg)
    if framework in ("deeplabv3", "upernet", "encnet", "essnet"):
        return build_pixel_framework(cfg)
    if framework == "mask2former":  # region classification
        return build_mask2former(cfg)
    raise ValueError(f"model.framework={framework!r} has no builder yet")


def build_segmenter(cfg: Config) -> Segmenter:
    """Segmenter baseline or RankSeg, as `cfg.model` says, for `cfg.data.num_classes` classes."""
    m = cfg.model
    if m.token_encoder == "feature_pyramid":
        encoder = PyramidTokens(TimmFeatures(name=m.backbone, out_indices=m.feature_indices,
                                             output_stride=m.output_stride, pretrained=m.pretrained,
                                             pretrained_path=m.pretrained_path))
    else:
        encoder = build_vit_encoder(cfg)
    decoder = MaskTransformer(num_classes=cfg.data.num_classes, d_encoder=encoder.embed_dim, d_model=m.d_model,
                              n_heads=m.n_heads, n_layers=m.n_layers, mlp_ratio=m.mlp_ratio,
                              drop_path_rate=m.drop_path_rate, rankseg=RankSegOptions.from_config(m))
    return Segmenter(encoder=encoder, decoder=decoder, freeze_encoder=m.freeze_backbone)


def build_classifier(cfg: Config) -> MultiLabelClassifier:
    """The independent scheme's separate multi-label classifier."""
    return MultiLabelClassifier(name=cfg.model.classifier_backbone, num_classes=cfg.data.num_classes,
                                image_size=cfg.data.image_size)
