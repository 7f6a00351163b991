"""Label statistics on a hand-made case and the bundled real reference statistics."""

import numpy as np
import pytest

from rankseg.constants import IGNORE_INDEX
from rankseg.data.stats import label_stats, label_stats_from_labels, reference_class_stats


def test_hand_made_statistics():
    labels = [
        np.array([[0, 0], [1, IGNORE_INDEX]]),  # 2 classes
        np.array([[2, 2], [2, 2]]),  # 1 class
        np.array([[0, 1], [2, 3]]),  # 4 classes
        np.full((2, 2), IGNORE_INDEX),  # 0 classes
    ]
    s = label_stats_from_labels(labels, num_classes=5, class_names=list("abcde"))
    assert s.classes_per_image.tolist() == [2, 1, 4, 0]
    assert s.class_image_counts.tolist() == [2, 2, 2, 1, 0]
    assert s.mean_classes_per_image == pytest.approx(7 / 4)
    assert s.share_at_most(1) == 0.5 and s.share_at_most(4) == 1.0
    cum = s.cumulative()
    assert cum["n"].tolist() == [1, 2, 3, 4] and cum["images_at_most_n"].tolist() == [0.5, 0.75, 0.75, 1.0]
    freq = s.class_frequency()
    assert freq["class"].iloc[-1] == "e" and freq["frequency"].iloc[0] == 0.5
    assert s.share_of_classes_below(0.3) == pytest.approx(2 / 5)  # d (0.25) and e (0)


def test_label_stats_uses_dataset_labels():
    class Tiny:
        num_classes, class_names = 3, ["x", "y", "z"]

        def __len__(self):
            return 2

        def label(self, i):
            return np.array([[i, 2]])

    s = label_stats(Tiny())
    assert s.classes_per_image.tolist() == [2, 2] and s.class_image_counts.tolist() == [1, 1, 2]


def test_reference_class_stats():
    ade = reference_class_stats("ade20k")
    assert len(ade.image_counts) == 3579 and ade.mean_classes_per_image == pytest.approx(12.13, abs=0.01)
    assert reference_class_stats("cocostuff164k").mean_classes_per_image == pytest.approx(9.23, abs=0.01)
    assert reference_class_stats("pascal_context").mean_classes_per_image == pytest.approx(6.53, abs=0.01)
    with pytest.raises(ValueError, match="unknown reference"):
        reference_class_stats("cityscapes")
