"""Segmenter's mask transformer decoder, with RankSeg's multi-label branch, label selection and
rank-adaptive temperature as switches (paper Table 1: baseline, +MT, +MT+LS, +MT+LS+RA)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from einops import rearrange
from timm.layers import trunc_normal_
from timm.models.vision_transformer import Block
from torch import Tensor, nn

from rankseg.models.label_selection import gather_rows, oracle_valid_all, select_labels
from rankseg.models.multilabel_head import MultiLabelHead, MultiLabelHeadKind
from rankseg.models.output import SegOutput
from rankseg.models.temperature import RankTemperature


@dataclass(frozen=True)
class DecoderSpec:
    """Everything the decoder needs to be built; `rankseg.models.build` fills it from the config."""

    num_classes: int
    d_encoder: int
    d_model: int = 192
    n_heads: int = 3
    n_layers: int = 2
    mlp_ratio: float = 4.0
    drop_path_rate: float = 0.0
    multilabel: bool = True
    label_selection: bool = True
    top_k: int = 50
    rank_adaptive: bool = True
    temperature_impl: Literal["scale", "layernorm"] = "layernorm"
    ml_head: MultiLabelHeadKind = "encoder"
    ml_pool: int | None = 8
    ml_depth: int = 1


class MaskTransformer(nn.Module):
    """Pixel decoder over class embeddings (Segmenter), optionally ranked and selected (RankSeg).

    forward(tokens (B, P, D_enc), grid (h, w)) → SegOutput with
      * pixel_logits (B, N, h, w) for the baseline and +MT, or (B, K, h, w) with label selection;
      * class_ids (B, K) of the selected classes in rank order (label selection only);
      * ml_logits (B, N) from the multi-label head (+MT and above).

    Keyword arguments of forward:
      * ``gt_classes`` (B, N) bool: oracle mode, the ground-truth label set replaces the prediction;
      * ``ranking_scores`` (B, N): an external ranking (the independent scheme's classifier);
      * ``top_k``: evaluate with another K than the trained one (K = N sorts without dropping);
      * ``threshold``: dynamic K, keep the selected classes whose probability exceeds it.
    """

    def __init__(self, spec: DecoderSpec) -> None:
        super().__init__()
        s = self.spec = spec
        if s.label_selection and not 0 < s.top_k <= s.num_classes:
            raise ValueError(f"top_k must be in 1..{s.num_classes} (the number of classes), got {s.top_k}")
        self.num_classes = s.num_classes
        self.proj_dec = nn.Linear(s.d_encoder, s.d_model)
        self.cls_emb = nn.Parameter(torch.empty(s.num_classes, s.d_model))
        dpr = torch.linspace(0, s.drop_path_rate, s.n_layers).tolist()
        self.blocks = nn.ModuleList(
            [Block(s.d_model, s.n_heads, s.mlp_ratio, qkv_bias=True, drop_path=p) for p in dpr])
        self.decoder_norm = nn.LayerNorm(s.d_model)
        scale = s.d_model ** -0.5
        self.proj_patch = nn.Parameter(scale * torch.randn(s.d_model, s.d_model))
        self.proj_classes = nn.Parameter(scale * torch.randn(s.d_model, s.d_model))
        self.ml_head = MultiLabelHead(kind=s.ml_head, num_classes=s.num_classes, dim=s.d_model, num_heads=s.n_heads,
                                      mlp_ratio=s.mlp_ratio, pool_size=s.ml_pool, depth=s.ml_depth) \
            if s.multilabel else None
        if s.label_selection:
            self.temperature = RankTemperature(k=s.top_k, per_rank=s.rank_adaptive, impl=s.temperature_impl)
        else:
            self.mask_norm = nn.LayerNorm(s.num_classes)  # Segmenter's normalisation over all N classes
        trunc_normal_(self.cls_emb, std=0.02)
        self.apply(_init_weights)

    def forward(self, tokens: Tensor, grid: tuple[int, int], *, gt_classes: Tensor | None = None,
                ranking_scores: Tensor | None = None, top_k: int | None = None,
                threshold: float | None = None) -> SegOutput:
        x = self.proj_dec(tokens)
        b = x.shape[0]
        ml_logits, cls = None, self.cls_emb.unsqueeze(0).expand(b, -1, -1)
        if self.ml_head is not None:
            ml_logits, cls = self.ml_head(x, grid, self.cls_emb)

        class_ids = valid = None
        if self.spec.label_selection:
            ranking = ranking_scores if ranking_scores is not None else ml_logits
            class_ids, valid = select_labels(ranking, self.spec.top_k if top_k is None else top_k, gt_classes=gt_classes,
                                             threshold=threshold)
            cls = gather_rows(cls, class_ids)
        elif gt_classes is not None:
            valid = oracle_valid_all(gt_classes)

        n_patch = x.shape[1]
        x = torch.cat([x, cls], dim=1)
        for blk in self.blocks:
            x = blk(x)
        x = self.decoder_norm(x)
        patches = F.normalize(x[:, :n_patch] @ self.proj_patch, dim=-1)
        classes = F.normalize(x[:, n_patch:] @ self.proj_classes, dim=-1)
        scores = patches @ classes.transpose(1, 2)  # (B, P, C): cosine similarity
        scores = self.temperature(scores) if self.spec.label_selection else self.mask_norm(scores)
        logits = rearrange(scores, "b (h w) c -> b c h w", h=grid[0], w=grid[1])
        return SegOutput(pixel_logits=logits, class_ids=class_ids, ml_logits=ml_logits, valid=valid)


def _init_weights(m: nn.Module) -> None:
    if isinstance(m, nn.Linear):
        trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)
