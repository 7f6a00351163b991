"""What the benchmarks measure: feature shapes, heads, vocabulary sizes and the K used for each."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from rankseg.models.mask_transformer import MaskTransformer
from rankseg.models.rankseg_classifier import RankSegOptions

HeadName = Literal["segmenter", "rankseg", "rankseg_xattn", "rankseg_shortlist"]
Phase = Literal["infer", "train"]
Variant = Literal["eager_fp32", "eager_bf16", "compile_fp32", "compile_bf16"]

HEADS: tuple[HeadName, ...] = ("segmenter", "rankseg", "rankseg_xattn", "rankseg_shortlist")
# The large-vocabulary option's shortlist length M (model.ml_shortlist); min(M, N) at small N.
SHORTLIST_M = 256
# ADE20K, COCO+LVIS (and EmojiScenes-1284), 5,000 and ImageNet-21k (ADE20K-Full's 847 sits between the first two)
VOCABULARIES: tuple[int, ...] = (150, 1284, 5000, 21841)


@dataclass(frozen=True)
class FeatureSetting:
    """Encoder features fed to the decoder: (batch, grid², d_model) tokens, labels at grid·patch pixels."""

    name: str
    grid: int
    d_model: int
    n_heads: int
    patch: int

    @property
    def label_size(self) -> int:
        """Side of the full-resolution label map (the image side)."""
        return self.grid * self.patch


SETTINGS: dict[str, FeatureSetting] = {
    # ViT-B/16 at 512×512: 32×32 tokens of width 768, the paper's Segmenter ViT-B decoder (2 layers, 12 heads).
    "vitb16_512": FeatureSetting(name="vitb16_512", grid=32, d_model=768, n_heads=12, patch=16),
    # CPU-sized: ViT-Tiny width 192 on 16×16 tokens, patch 8 → 128×128 labels.
    "cpu_tiny": FeatureSetting(name="cpu_tiny", grid=16, d_model=192, n_heads=3, patch=8),
    # The same tokens at the paper's patch 16 → 256×256 labels (16× more pixels per token than the 8 of cpu_tiny's
    # patch would give at this grid): the setting of the project's head-only targets.
    "tiny_p16_256": FeatureSetting(name="tiny_p16_256", grid=16, d_model=192, n_heads=3, patch=16),
    # For the tests: milliseconds.
    "test": FeatureSetting(name="test", grid=4, d_model=32, n_heads=2, patch=4),
}


def paper_k(num_classes: int) -> int:
    """The paper's K: 50 for ADE20K-150 / COCO-Stuff-171, 100 for ADE20K-Full-847, COCO+LVIS-1284 and larger."""
    return 50 if num_classes <= 171 else 100


def paper_ml_pool(num_classes: int) -> int | None:
    """The paper pools the tokens to 8×8 for the multi-label head on the small vocabularies, not on the large."""
    return 8 if num_classes <= 171 else None


def head_options(head: HeadName, num_classes: int, k: int | None = None) -> RankSegOptions:
    """RankSeg's options for a benchmarked head: the paper's head and pooling for `rankseg`, the linear
    cross-attention head for `rankseg_xattn`, and for `rankseg_shortlist` the paper's head over a shortlist of
    min(SHORTLIST_M, N) classes with the tokens pooled 8×8 at every N."""
    if head == "segmenter":
        return RankSegOptions(multilabel=False, label_selection=False)
    k = k or paper_k(num_classes)
    if head == "rankseg_shortlist":
        return RankSegOptions(top_k=k, ml_head="encoder", ml_pool=8, ml_shortlist=max(min(SHORTLIST_M, num_classes), k))
    return RankSegOptions(top_k=k, ml_head="encoder" if head == "rankseg" else "cross_attention",
                          ml_pool=paper_ml_pool(num_classes))


def build_decoder(head: HeadName, setting: FeatureSetting, num_classes: int, k: int | None = None) -> MaskTransformer:
    """The decoder of one benchmarked head; k defaults to the paper's K (RankSeg heads only)."""
    common = dict(num_classes=num_classes, d_encoder=setting.d_model, d_model=setting.d_model,
                  n_heads=setting.n_heads, n_layers=2, drop_path_rate=0.0)
    options = head_options(head, num_classes, k)
    if options.ml_pool is not None and options.ml_pool > setting.grid:
        options = replace(options, ml_pool=None)
    return MaskTransformer(**common, rankseg=options)
