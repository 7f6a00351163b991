"""RankSeg's classifier, the part of the paper that plugs into any segmenter: score all N classes of the image
(multi-label head), rank them and select the top K (label selection), classify each pixel over those K only
(rank-adaptive temperature). Segmenter's mask transformer, the pixel frameworks and Mask2Former all use it.

The three steps are methods, so a caller can stop after the ranking or run its own layers in between:

    ranking = rankseg.rank(tokens, grid, class_emb)             # ml_logits (B, N), class tokens (B, N or M, D)
    selection = rankseg.select(ranking)                          # class_ids (B, K), class tokens (B, K, D)
    logits = rankseg.score(pixels, selection.class_tokens, grid) # (B, K, h, w)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn

from rankseg.config import ModelConfig, MultiLabelHeadKind, TemperatureImpl
from rankseg.models.label_selection import gather_rows, oracle_valid_all, select_labels
from rankseg.models.multilabel_head import MultiLabelHead
from rankseg.models.shortlist import ClassShortlist
from rankseg.models.temperature import RankTemperature


@dataclass(frozen=True)
class RankSegOptions:
    """Which of RankSeg's parts are on (the rows of paper Table 1) and how they are built.

    baseline: multilabel=False, label_selection=False; +MT: multilabel=True; +MT+LS: label_selection=True,
    rank_adaptive=False; +MT+LS+RA: rank_adaptive=True. Label selection without a multi-label head ranks by
    an independent classifier's scores or by the ground truth (oracle), passed to `select`.

    ml_shortlist=M (large vocabularies): a linear scorer shortlists M classes per image and the multi-label layer
    and label selection run over those M only (needs multilabel, label_selection, top_k ≤ M ≤ N and a head
    other than gap_linear).
    """

    multilabel: bool = True
    label_selection: bool = True
    top_k: int = 50
    rank_adaptive: bool = True
    temperature_impl: TemperatureImpl = "layernorm"
    ml_head: MultiLabelHeadKind = "encoder"
    ml_pool: int | None = 8
    ml_depth: int = 1
    ml_shortlist: int | None = None

    @classmethod
    def from_config(cls, m: ModelConfig) -> RankSegOptions:
        """The options `cfg.model` names. The independent scheme ranks by a separate classifier's scores: its
        segmentation model has no multi-label head."""
        return cls(multilabel=m.multilabel and m.scheme == "joint", label_selection=m.label_selection, top_k=m.top_k,
                   rank_adaptive=m.rank_adaptive, temperature_impl=m.temperature_impl, ml_head=m.ml_head,
                   ml_pool=m.ml_pool, ml_depth=m.ml_depth, ml_shortlist=m.ml_shortlist)


@dataclass(frozen=True)
class Ranking:
    """The multi-label head's view of an image.

    ml_logits: (B, N) image-level class scores, or None without a multi-label head.
    class_tokens: (B, N, D) the class embeddings after the head looked at the image (the raw embeddings
        without a head); with a shortlist, (B, M, D) for the shortlisted classes only.
    shortlist: (B, M) long full-vocabulary ids of the shortlisted classes in the linear scorer's order, or None.
    """

    ml_logits: Tensor | None
    class_tokens: Tensor
    shortlist: Tensor | None = None


@dataclass(frozen=True)
class Selection:
    """The classes a pixel may take.

    class_tokens: (B, C, D), C = K in rank order with label selection, else C = N.
    class_ids: (B, K) long full-vocabulary ids of the selected classes, or None when C = N.
    valid: (B, C) bool, usable channels (oracle and dynamic-K runs mask the rest), or None.
    """

    class_tokens: Tensor
    class_ids: Tensor | None = None
    valid: Tensor | None = None


class RankSegClassifier(nn.Module):
    """Multi-label head → label selection → pixel scores with rank-adaptive temperature.

    The caller owns the class embeddings (N, D) (they are its decoder's class queries, and staying there they
    keep the parameter order that optimiser states and checkpoints were saved with) and passes them to `rank`.
    Methods:
      * ``rank(tokens (B, P, D), grid (h, w), class_emb (N, D))`` → Ranking (ml_logits (B, N), tokens (B, N, D));
        with ``ml_shortlist=M``, tokens (B, M, D) of the M classes a linear scorer ranks highest, and ml_logits
        the scorer's (B, N) scores plus, on those M, the multi-label layer's scores (a refinement: the one
        multi-label loss over (B, N) trains the scorer on every class and the layer on the shortlist);
      * ``select(ranking, *, gt_classes=None, ranking_scores=None, top_k=None, threshold=None)`` → Selection:
        the top K by the head's scores (within the shortlist when there is one; class_ids stay full-vocabulary
        ids), or by ``ranking_scores`` (B, N) (independent scheme), with the
        ground-truth set (B, N) bool ranked first (oracle); ``top_k`` evaluates with another K than the
        trained one, ``threshold`` keeps the selected classes whose probability exceeds it (dynamic K);
        without label selection every class is kept (and the oracle masks the absent ones);
      * ``score(pixels (B, P, D), classes (B, C, D), grid)`` → logits (B, C, h, w): cosine similarity, then
        one temperature per rank (RankTemperature), or Segmenter's LayerNorm over the N classes without
        selection.

    ``pixel_scores=False`` leaves out the scoring step's parameters, for a caller that classifies the selected
    class tokens its own way (Mask2Former classifies queries, with a no-object column). The oracle keeps every
    ground-truth class (|GT| channels), unless ``fixed_width``: then K channels, ground truth first and the rest
    masked, for a caller whose classifier is sized for exactly K (Mask2Former's LayerNorm over K + 1 scores).
    """

    def __init__(self, *, num_classes: int, dim: int, num_heads: int, mlp_ratio: float = 4.0,
                 options: RankSegOptions = RankSegOptions(), pixel_scores: bool = True,
                 fixed_width: bool = False) -> None:
        super().__init__()
        o = self.options = options
        self.fixed_width = fixed_width
        if o.label_selection and not 0 < o.top_k <= num_classes:
            raise ValueError(f"top_k must be in 1..{num_classes} (the number of classes), got {o.top_k}")
        self.num_classes = num_classes
        self.shortlist = None
        if o.ml_shortlist is not None:
            if not (o.multilabel and o.label_selection and o.ml_head != "gap_linear"):
                raise ValueError("ml_shortlist needs multilabel=True, label_selection=True and an ml_head other "
                                 "than gap_linear")
            if not o.top_k <= o.ml_shortlist <= num_classes:
                raise ValueError(f"ml_shortlist must be in top_k..N = {o.top_k}..{num_classes}, got {o.ml_shortlist}")
            self.shortlist = ClassShortlist(num_classes=num_classes, dim=dim)
        self.ml_head = MultiLabelHead(kind=o.ml_head, num_classes=num_classes, dim=dim, num_heads=num_heads,
                                      mlp_ratio=mlp_ratio, pool_size=o.ml_pool, depth=o.ml_depth) \
            if o.multilabel else None
        if not pixel_scores:
            return
        if o.label_selection:
            self.temperature = RankTemperature(k=o.top_k, per_rank=o.rank_adaptive, impl=o.temperature_impl)
        else:
            self.mask_norm = nn.LayerNorm(num_classes)  # Segmenter's normalisation over all N classes

    @property
    def ranks_labels(self) -> bool:
        """True when the classes are selected by the model's own multi-label ranking."""
        return self.options.label_selection and self.ml_head is not None

    def rank(self, tokens: Tensor, grid: tuple[int, int], class_emb: Tensor) -> Ranking:
        if self.ml_head is None:
            return Ranking(ml_logits=None, class_tokens=class_emb.unsqueeze(0).expand(tokens.shape[0], -1, -1))
        if self.shortlist is None:
            ml_logits, class_tokens = self.ml_head(tokens, grid, class_emb)
            return Ranking(ml_logits=ml_logits, class_tokens=class_tokens)
        coarse, shortlist = self.shortlist(tokens, self.options.ml_shortlist)
        fine, class_tokens = self.ml_head(tokens, grid, class_emb, class_ids=shortlist)
        return Ranking(ml_logits=coarse.scatter_add(1, shortlist, fine), class_tokens=class_tokens, shortlist=shortlist)

    def select(self, ranking: Ranking, *, gt_classes: Tensor | None = None, ranking_scores: Tensor | None = None,
               top_k: int | None = None, threshold: float | None = None) -> Selection:
        if not self.options.label_selection:
            valid = None if gt_classes is None else oracle_valid_all(gt_classes)
            return Selection(class_tokens=ranking.class_tokens, valid=valid)
        k = self.options.top_k if top_k is None else top_k
        if ranking.shortlist is not None:
            if ranking_scores is not None:
                # the class tokens exist for the shortlisted classes only: an outside ranking could pick others
                raise ValueError("ranking_scores (the independent scheme, sliding-window evaluation) cannot rank a "
                                 "model with ml_shortlist; evaluate whole images")
            ids = ranking.shortlist
            local, valid = select_labels(ranking.ml_logits.gather(1, ids), k, threshold=threshold,
                                         gt_classes=None if gt_classes is None else gt_classes.gather(1, ids),
                                         oracle_keeps_k=self.fixed_width)
            return Selection(class_tokens=gather_rows(ranking.class_tokens, local), class_ids=ids.gather(1, local),
                             valid=valid)
        scores = ranking_scores if ranking_scores is not None else ranking.ml_logits
        class_ids, valid = select_labels(scores, k, gt_classes=gt_classes, threshold=threshold,
                                         oracle_keeps_k=self.fixed_width)
        return Selection(class_tokens=gather_rows(ranking.class_tokens, class_ids), class_ids=class_ids, valid=valid)

    def score(self, pixels: Tensor, classes: Tensor, grid: tuple[int, int]) -> Tensor:
        scores = F.normalize(pixels, dim=-1) @ F.normalize(classes, dim=-1).transpose(1, 2)  # (B, P, C) cosine
        scores = self.temperature(scores) if self.options.label_selection else self.mask_norm(scores)
        return rearrange(scores, "b (h w) c -> b c h w", h=grid[0], w=grid[1])


def rename_legacy_keys(renames: dict[str, str]) -> Callable[..., None]:
    """A load_state_dict pre-hook for checkpoints saved before submodules moved or were renamed: for each
    old → new path (e.g. Mask2Former's "backbone" → "encoder"), keys ``<prefix><old>.…`` are read as
    ``<prefix><new>.…``."""

    def hook(_module: nn.Module, state_dict: dict, prefix: str, *_args) -> None:
        for old, new in renames.items():
            for key in [k for k in state_dict if k.startswith(prefix + old + ".")]:
                state_dict[prefix + new + key[len(prefix + old):]] = state_dict.pop(key)

    return hook


def nest_legacy_keys(child: str, names: tuple[str, ...]) -> Callable[..., None]:
    """A load_state_dict pre-hook for checkpoints saved before `child` held the submodules `names`: their keys
    ``<prefix><name>.…`` are read as ``<prefix><child>.<name>.…``."""
    return rename_legacy_keys({name: f"{child}.{name}" for name in names})
