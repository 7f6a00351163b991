"""The paper's reported numbers (and the official release's, where the paper text is not available),
transcribed from shared/paper_reference.md. They are the reference column of our tables, never our results.

Source tags: "paper" = stated in the paper's text; "official release" = the official repository's
README/configs for the same setting (very likely the paper's table entries, not verified against the PDF).
"""

from __future__ import annotations

# Figure 3 (left): % of images with fewer than 25 classes (paper text).
LABEL_STATS_UNDER_25 = {"PASCAL-Context": 100.00, "COCO-Stuff": 99.99, "ADE20K-Full": 99.14, "COCO+LVIS": 99.85}

# Figure 3 (right): Segmenter ViT-B/16, mIoU, baseline and ground-truth label set at train+eval (official release).
ORACLE = {
    "PASCAL-Context": {"baseline": 53.8, "gt_train_eval": 70.8},
    "COCO-Stuff-10K": {"baseline": 41.9, "gt_train_eval": 66.8},
    "ADE20K-Full": {"baseline": 17.8, "gt_train_eval": 37.0},
    "COCO+LVIS": {"baseline": 19.4, "gt_train_eval": 46.8},
    "ADE20K": {"baseline": 48.8, "gt_train_eval": 63.6},
}

# Table 1: baseline and the full method (+MT+LS+RA); the +MT and +MT+LS rows are not available.
TABLE1 = {
    "PASCAL-Context": {"Baseline": 53.8, "+MT+LS+RA": 54.7},
    "COCO-Stuff": {"Baseline": 41.9, "+MT+LS+RA": 44.9},
    "ADE20K-Full": {"Baseline": 17.8, "+MT+LS+RA": 18.8},
    "COCO+LVIS": {"Baseline": 19.4, "+MT+LS+RA": 21.3},
}

# Table 6(e): multi-label head choice on COCO-Stuff (official release), mIoU; baseline 41.9.
HEAD_CHOICE = {"gap_linear": 43.2, "decoder": 44.1, "encoder": 44.9}
HEAD_CHOICE_BASELINE = 41.9

# Table 8 (official release, R-README / R-SEG): mIoU (baseline, + RankSeg); ADE20K and COCO-Stuff-10K
# multi-scale, COCO+LVIS single-scale. BEiT-L is not reproduced here (no BEiT-L UPerNet in this package).
FRAMEWORKS = {
    "DeepLabv3": {"backbone": "ResNet-101, 512²", "ADE20K": (45.2, 46.6), "COCO-Stuff-10K": (38.4, 39.8),
                  "COCO+LVIS": (11.0, 12.8)},
    "UPerNet": {"backbone": "Swin-B, 512²", "ADE20K": (52.4, 53.0), "COCO-Stuff-10K": (47.2, 47.9),
                "COCO+LVIS": (20.3, 20.8)},
    "Segmenter": {"backbone": "ViT-B/16, 512²", "ADE20K": (50.7, 51.4), "COCO-Stuff-10K": (43.8, 46.2)},
    "Segmenter ViT-L": {"backbone": "ViT-L/16, 640²", "ADE20K": (53.6, 54.4), "COCO-Stuff-10K": (47.1, 47.9),
                        "COCO+LVIS": (23.7, 24.6)},
}

# Table 9 (supplementary): Segmenter ViT-B/16 single-scale mIoU; the EncNet and ESSNet rows are not available.
ENC_ESS = {"Baseline": {"ADE20K": 48.8, "COCO-Stuff-10K": 41.9, "COCO+LVIS": 19.4},
           "RankSeg": {"ADE20K": 49.7, "COCO-Stuff-10K": 44.9, "COCO+LVIS": 21.3}}

# The Mask2Former table (official release, R-M2F): (task, method) → (setting, value, gain over that setting's
# Mask2Former); rows without an entry have no published counterpart.
MASK2FORMER: dict[tuple[str, str], tuple[str, float, float]] = {
    ("image semantic", "Mask2Former"): ("ADE20K sem. Swin-B, mIoU", 53.9, 0.0),
    ("image semantic", "+ RankSeg"): ("ADE20K sem. Swin-B, mIoU", 54.9, 1.0),
    ("image semantic", "+ RankSeg + GT (train+eval)"): ("ADE20K sem. Swin-B + GT, mIoU", 68.0, 14.1),
    ("image panoptic", "Mask2Former"): ("ADE20K pan. Swin-L, PQ", 48.1, 0.0),
    ("image panoptic", "+ RankSeg"): ("ADE20K pan. Swin-L, PQ", 48.9, 0.8),
    ("video semantic", "Mask2Former"): ("VSPW Swin-B, mIoU (R101: 45.9)", 59.4, 0.0),
    ("video semantic", "+ RankSeg"): ("VSPW Swin-B, mIoU (R101: 47.0, +1.1)", 60.1, 0.7),
    # the official VSPW oracle uses the ground truth at training and test time; ours is evaluation-only here
    ("video semantic", "+ RankSeg + GT (eval)"): ("VSPW R101 + GT (official: train+eval), mIoU vs R101 45.9", 62.3, 16.4),
}
