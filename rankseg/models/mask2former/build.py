"""Config → compact Mask2Former (no registry)."""

from __future__ import annotations

from rankseg.config import Config
from rankseg.models.mask2former.backbone import FeaturePyramidBackbone
from rankseg.models.mask2former.model import Mask2Former

# Keyword arguments that make a timm backbone small enough for the CPU profiles (64-pixel images).
TINY_BACKBONES: dict[str, dict] = {
    "swin_tiny_patch4_window7_224": dict(img_size=64, window_size=4, depths=(1, 1, 2, 1), embed_dim=48,
                                         num_heads=(2, 4, 8, 16)),
}


def build_mask2former(cfg: Config) -> Mask2Former:
    """The Mask2Former `cfg.model` and `cfg.mask2former` describe (baseline: model.multilabel=False)."""
    m, q = cfg.model, cfg.mask2former
    kwargs = dict(TINY_BACKBONES.get(m.backbone, {})) if not (m.pretrained or m.pretrained_path) else {}
    if "img_size" in kwargs:
        kwargs["img_size"] = cfg.data.image_size
    backbone = FeaturePyramidBackbone(name=m.backbone, pretrained=m.pretrained, pretrained_path=m.pretrained_path,
                                      **kwargs)
    return Mask2Former(backbone=backbone, num_classes=cfg.data.num_classes, dim=q.hidden_dim, num_heads=q.num_heads,
                       dim_feedforward=q.dim_feedforward, num_layers=q.dec_layers, num_queries=q.num_queries,
                       multilabel=m.multilabel, label_selection=m.label_selection, top_k=m.top_k,
                       rank_adaptive=m.rank_adaptive, ml_pool=m.ml_pool)
