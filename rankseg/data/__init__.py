"""Data: the embedded EmojiScenes set, real benchmark loaders, transforms and label statistics.

Every data set yields (image (3, H, W) uint8 RGB, label (H, W) int64 with IGNORE_INDEX = -1) and has
`class_names`, `num_classes`, `is_stuff`.
"""

from rankseg.data.benchmarks import BENCHMARKS, build_benchmark
from rankseg.data.build import build_datasets
from rankseg.data.config import DataConfig
from rankseg.data.emojiscenes import EmojiScenes
from rankseg.data.folder import SegmentationFolder
from rankseg.data.layout import load_ade_layout, write_ade_layout
from rankseg.data.preview import preview_grid
from rankseg.data.stats import LabelStats, label_stats, reference_class_stats

__all__ = [
    "BENCHMARKS", "DataConfig", "EmojiScenes", "LabelStats", "SegmentationFolder", "build_benchmark",
    "build_datasets", "label_stats", "load_ade_layout", "preview_grid", "reference_class_stats",
    "write_ade_layout",
]
