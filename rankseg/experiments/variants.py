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

# Table 6(c, d): grids per profile (the paper profile uses the benchmark's own K and weight around them).
K_GRID = {"ci": [5, 20], "default": [10, 25, 50], "paper": [25, 50, 100]}
ML_WEIGHT_GRID = {"ci": [1.0, 30.0], "default": [1.0, 10.0, 30.0], "paper": [5.0, 10.0, 30.0]}
# Table 6(a): classifier strength of the independent scheme = its training length, as a share of the profile's.
CLASSIFIER_STRENGTH = {"weak (25% of steps)": 0.25, "full": 1.0}

# Figure 9: the multi-label head over-fits; a smaller learning rate and loss weight for it help.
OVERFITTING = {"default ML LR and weight": RANKSEG,
               "ML LR x0.1, weight 3": {"train.ml_lr_mult": 0.1, "loss.ml_weight": 3.0}}

# Figure 7: the two realisations of the rank-adaptive temperature.
TEMPERATURE_IMPL = {"LayerNorm per rank (official code)": RANKSEG,
                    "scale per rank (paper formula)": {"model.temperature_impl": "scale"}}

# Dynamic K (supplementary): keep the selected classes whose probability exceeds a threshold.
THRESHOLDS = [0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5]  # ASL makes probabilities high: most of the range is above 0.1
