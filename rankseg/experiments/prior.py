"""The class-frequency prior: the ranking a multi-label head must beat. Every image ranks the N classes by the
number of training images that contain them, so recall@K and mAP measure what knowing the vocabulary's tail,
and nothing of the image, already gives."""

from __future__ import annotations

import torch
from torch.utils.data import Dataset

from rankseg.data.labels import present_classes
from rankseg.data.stats import label_reader, label_stats
from rankseg.metrics import mean_average_precision, top_k_recall


def class_frequency_prior(train_set: Dataset, val_set: Dataset, *, num_classes: int, k: int) -> dict[str, float]:
    """recall@K (%) and mAP (%) on `val_set` of the ranking by training-set class image counts.

    Labels are read without augmentation where the data set offers `label(i)` (EmojiScenes does)."""
    counts = torch.as_tensor(label_stats(train_set).class_image_counts, dtype=torch.float)
    get = label_reader(val_set)
    gt = torch.cat([present_classes(torch.as_tensor(get(i))[None], num_classes) for i in range(len(val_set))])
    scores = counts.expand(len(gt), -1)
    hits, total = top_k_recall(scores.topk(min(k, num_classes), dim=1).indices, gt)
    return {"recall_at_k": 100 * hits / total if total else float("nan"),
            "map": 100 * mean_average_precision(scores, gt)}
