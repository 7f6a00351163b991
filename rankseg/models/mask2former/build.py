"""Config → compact Mask2Former (no registry)."""

from __future__ import annotations

from rankseg.config import Config
from rankseg.models.feature_encoder import build_timm_features
from rankseg.models.mask2former.model import Mask2Former
from rankseg.models.rankseg_classifier import RankSegOptions


def build_mask2former(cfg: Config) -> Mask2Former:
    """The Mask2Former `cfg.model` and `cfg.mask2former` describe (baseline: model.multilabel=False). Its
    multi-label head is always the paper's "encoder" head, whatever model.ml_head says.

    The encoder is model.backbone's last 4 stages at their own strides (4 to 32, undilated: model.output_stride is
    not read, a dilated last stage would give the FPN two maps at one stride), frozen with model.freeze_backbone."""
    m, q = cfg.model, cfg.mask2former
    encoder = build_timm_features(m.backbone, image_size=cfg.data.image_size, last_stages=4, pretrained=m.pretrained,
                                  pretrained_path=m.pretrained_path)
    return Mask2Former(encoder=encoder, num_classes=cfg.data.num_classes, dim=q.hidden_dim, num_heads=q.num_heads,
                       dim_feedforward=q.dim_feedforward, num_layers=q.dec_layers, num_queries=q.num_queries,
                       rankseg=RankSegOptions(multilabel=m.multilabel, label_selection=m.label_selection,
                                              top_k=m.top_k, rank_adaptive=m.rank_adaptive, ml_head="encoder",
                                              ml_pool=m.ml_pool),
                       freeze_encoder=m.freeze_backbone)
