"""Segmenter's mask transformer decoder, with RankSeg's classifier (multi-label head, label selection,
rank-adaptive temperature) switched by RankSegOptions (paper Table 1: baseline, +MT, +MT+LS, +MT+LS+RA)."""

from __future__ import annotations

import torch
from timm.layers import trunc_normal_
from timm.models.vision_transformer import Block
from torch import Tensor, nn

from rankseg.models.output import SegOutput
from rankseg.models.rankseg_classifier import RankSegClassifier, RankSegOptions, nest_legacy_keys


class MaskTransformer(nn.Module):
    """Pixel decoder over class embeddings (Segmenter), optionally ranked and selected (RankSeg).

    The class embeddings are ranked and selected before the decoder blocks, so the blocks attend over the
    patches and the K selected classes only; the pixels are scored after them.

    forward(tokens (B, P, D_enc), grid (h, w)) → SegOutput with
      * pixel_logits (B, N, h, w) for the baseline and +MT, or (B, K, h, w) with label selection;
      * class_ids (B, K) of the selected classes in rank order (label selection only);
      * ml_logits (B, N) from the multi-label head (+MT and above).

    Keyword arguments of forward (see RankSegClassifier.select):
      * ``gt_classes`` (B, N) bool: oracle mode, the ground-truth label set replaces the prediction;
      * ``ranking_scores`` (B, N): an external ranking (the independent scheme's classifier);
      * ``top_k``: evaluate with another K than the trained one (K = N sorts without dropping);
      * ``threshold``: dynamic K, keep the selected classes whose probability exceeds it.
    """

    def __init__(self, *, num_classes: int, d_encoder: int, d_model: int = 192, n_heads: int = 3, n_layers: int = 2,
                 mlp_ratio: float = 4.0, drop_path_rate: float = 0.0, rankseg: RankSegOptions) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.proj_dec = nn.Linear(d_encoder, d_model)
        self.cls_emb = nn.Parameter(torch.empty(num_classes, d_model))
        dpr = torch.linspace(0, drop_path_rate, n_layers).tolist()
        self.blocks = nn.ModuleList(
            [Block(d_model, n_heads, mlp_ratio, qkv_bias=True, drop_path=p) for p in dpr])
        self.decoder_norm = nn.LayerNorm(d_model)
        scale = d_model ** -0.5
        self.proj_patch = nn.Parameter(scale * torch.randn(d_model, d_model))
        self.proj_classes = nn.Parameter(scale * torch.randn(d_model, d_model))
        self.rankseg = RankSegClassifier(num_classes=num_classes, dim=d_model, num_heads=n_heads, mlp_ratio=mlp_ratio,
                                         options=rankseg)
        trunc_normal_(self.cls_emb, std=0.02)
        self.apply(_init_weights)
        # checkpoints from before the classifier was one module keep loading
        self.register_load_state_dict_pre_hook(nest_legacy_keys("rankseg", ("ml_head", "temperature", "mask_norm")))

    def forward(self, tokens: Tensor, grid: tuple[int, int], *, gt_classes: Tensor | None = None,
                ranking_scores: Tensor | None = None, top_k: int | None = None,
                threshold: float | None = None) -> SegOutput:
        x = self.proj_dec(tokens)
        ranking = self.rankseg.rank(x, grid, self.cls_emb)
        selection = self.rankseg.select(ranking, gt_classes=gt_classes, ranking_scores=ranking_scores, top_k=top_k,
                                        threshold=threshold)
        n_patch = x.shape[1]
        x = torch.cat([x, selection.class_tokens], dim=1)
        for blk in self.blocks:
            x = blk(x)
        x = self.decoder_norm(x)
        logits = self.rankseg.score(x[:, :n_patch] @ self.proj_patch, x[:, n_patch:] @ self.proj_classes, grid)
        return SegOutput(pixel_logits=logits, class_ids=selection.class_ids, ml_logits=ranking.ml_logits,
                         valid=selection.valid)


def _init_weights(m: nn.Module) -> None:
    if isinstance(m, nn.Linear):
        trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)
