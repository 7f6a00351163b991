"""The experiment grid of each paper table, as config changes (dotted keys) on a profile."""

from __future__ import annotations

BASELINE = {"model.multilabel": False, "model.label_selection": False}
RANKSEG: dict = {}

# Table 1: component ablation of the joint multi-task scheme.
TABLE1 = {
    "Baseline": BASELINE,
    "+MT": {"model.label_selection": False},
    "+MT+LS": {"model.rank_adaptive": False},
    "+MT+LS+RA": RANKSEG,
}

# Figure 3 (right): oracle label sets.
ORACLE_TRAIN_EVAL = {"model.oracle": "train_eval"}

# Table 6(e): multi-label head choice.
HEADS = {"gap_linear": {"model.ml_head": "gap_linear"}, "decoder": {"model.ml_head": "decoder", "model.ml_depth": 2},
         "encoder": RANKSEG}

# Table 6(a, b): the independent scheme (a separate classifier ranks the classes).
INDEPENDENT = {"model.scheme": "independent", "model.multilabel": False}
