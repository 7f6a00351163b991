"""The class-frequency prior: the ranking a multi-label head must beat. Every image ranks the N classes by the
number of training images that contain them, so recall@K and mAP measure what knowing the vocabulary's tail,
and nothing of the image, already gives.

`cached_class_frequency_prior` keeps each result as a small JSON file under results/<profile>/prior/, keyed by
the data config and K (committed, like the run records, so that a fresh clone reads it instead of every label)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

import torch
from torch.utils.data import Dataset

from rankseg.config import Config, result_dict
from rankseg.data.build import build_datasets
from rankseg.data.labels import present_classes
from rankseg.data.stats import label_reader, label_stats
from rankseg.experiments.output import git_revision, results_dir
from rankseg.metrics import mean_average_precision, top_k_recall

METRICS = ("recall_at_k", "map")


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


# --- cached per data config and K: reading every training label costs minutes at 16,000 scenes ---------------
PRIOR_SCHEMA = 1  # bump when what the prior computes changes: every cached value is then recomputed


def prior_key(cfg: Config, k: int) -> str:
    """12 hex digits of the hash of the data config's result-relevant fields and K."""
    payload = {"schema": PRIOR_SCHEMA, "data": result_dict(cfg)["data"], "k": int(k)}
    return hashlib.sha1(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]


def prior_path(cfg: Config, k: int) -> Path:
    """`results/<profile>/prior/<key>.json`, committed beside the run records."""
    return results_dir(cfg.name) / "prior" / f"{prior_key(cfg, k)}.json"


def cached_class_frequency_prior(cfg: Config, k: int, *,
                                 datasets: Callable[[], tuple[Dataset, Dataset]] | None = None) -> dict[str, float]:
    """`class_frequency_prior` on the data of `cfg` at K = `k`, read from `prior_path(cfg, k)` or computed on
    `datasets()` (default: `build_datasets(cfg.data)`) and stored there with the data config it was computed on."""
    path = prior_path(cfg, k)
    if path.is_file():
        stored = json.loads(path.read_text())
        return {name: stored[name] for name in METRICS}
    train_set, val_set = datasets() if datasets is not None else build_datasets(cfg.data)
    values = class_frequency_prior(train_set, val_set, num_classes=cfg.data.num_classes, k=k)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"schema": PRIOR_SCHEMA, "data": result_dict(cfg)["data"], "k": int(k), **values,
                                "git_revision": git_revision()}, indent=1, sort_keys=True))
    return {name: values[name] for name in METRICS}
