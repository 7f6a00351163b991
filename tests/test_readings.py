"""Verdicts on claims from paired per-seed differences (rankseg.experiments.readings) and Table 1's builder
(tables.component_table), on hand-made runs whose answers are known."""

import pandas as pd
import pytest

from rankseg.experiments.readings import (
    BASELINE_FLOOR,
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    ONE_SEED,
    UNTESTABLE,
    paired_step,
    verdict,
)
from rankseg.experiments.tables import GT_AT_EVAL, PRIOR_ROW, component_table


@pytest.mark.parametrize(("diffs", "expected"), [
    ([2.7, 2.0, 5.8], HOLDS),            # every seed a gain, mean 3.5 > std 2.0
    ([-5.6, -12.0, -7.1], FAILS),        # every seed a loss beyond the spread
    ([3.0, -1.0, 4.0], INCONCLUSIVE),    # the seeds disagree
    ([0.5, 0.1, 4.0], INCONCLUSIVE),     # all gains, but the spread (2.1) exceeds the mean (1.5)
])
def test_verdict_from_seeds(diffs, expected):
    assert verdict(diffs) == expected


def test_verdict_follows_the_claimed_direction_and_one_seed_needs_a_yardstick():
    assert verdict([-2.0, -3.0, -2.5], direction=-1) == HOLDS  # a claimed drop that happened
    assert verdict([4.0]) == ONE_SEED
    assert verdict([4.0], spread=3.3) == HOLDS and verdict([-4.0], spread=3.3) == FAILS
    assert verdict([2.0], spread=3.3) == INCONCLUSIVE
    with pytest.raises(ValueError, match="at least one"):
        verdict([])


def test_paired_step_states_mean_per_seed_and_verdict():
    text = paired_step([36.1, 41.2, 39.8], [33.4, 39.2, 34.0], "+MT", "Baseline")
    assert text.startswith("+MT is above Baseline by 3.50 mIoU points on average over 3 seeds")
    assert "(per seed +2.7, +2.0, +5.8)" in text and ": a gain," in text
    assert "inconclusive" in paired_step([1, 3], [2, 1], "a", "b")
    assert "one seed" in paired_step([2.0], [1.0], "a", "b")
    assert "no effect" in paired_step([1.0, 2.0], [1.0, 2.0], "a", "b")


def _runs(n, seeds, miou):
    rows = []
    for method, values in miou.items():
        for seed, v in zip(seeds, values, strict=True):
            rows.append({"method": method, "num_classes": n, "top_k": 50 if n == 150 else 100, "seed": seed,
                         "run": f"{method}-{n}-{seed}", "miou": v, "map": 20.0, "recall_at_k": 80.0,
                         "miou_late_change": 0.1, "train_seconds": 10.0})
    return rows


def test_component_table_pairs_each_vocabulary_with_its_own_baseline():
    runs = pd.DataFrame(_runs(150, [0, 1, 2], {"Baseline": [33.4, 39.2, 34.0], "+MT+LS+RA": [27.8, 27.2, 26.9],
                                                 GT_AT_EVAL: [40.0, 41.0, 42.0]})
                        + _runs(1284, [0], {"Baseline": [30.0], "+MT+LS+RA": [31.0]}))
    priors = {150: (50, {"recall_at_k": 68.8, "map": 7.7}), 1284: (100, {"recall_at_k": 57.5, "map": 2.8})}
    t = component_table(runs, priors)
    assert list(t["method"]) == ["Baseline", "+MT+LS+RA", GT_AT_EVAL, PRIOR_ROW, "Baseline", "+MT+LS+RA", PRIOR_ROW]
    full = t[(t["method"] == "+MT+LS+RA") & (t["num_classes"] == 150)].iloc[0]
    assert full["gain"] == pytest.approx((-5.6 - 12.0 - 7.1) / 3) and full["verdict"] == FAILS
    assert full["gain_std"] == pytest.approx(pd.Series([-5.6, -12.0, -7.1]).std())
    assert full["run_seeds"] == "0,1,2" and full["runs"] == "+MT+LS+RA-150-0 +MT+LS+RA-150-1 +MT+LS+RA-150-2"
    large = t[(t["method"] == "+MT+LS+RA") & (t["num_classes"] == 1284)].iloc[0]
    assert large["gain"] == pytest.approx(1.0) and large["verdict"] == ONE_SEED  # its own baseline, not N=150's
    prior = t[(t["method"] == PRIOR_ROW) & (t["num_classes"] == 1284)].iloc[0]
    assert (prior["top_k"], prior["recall_at_k"]) == (100, 57.5) and pd.isna(prior["miou"])


def test_no_verdict_over_a_baseline_that_did_not_learn():
    # Mask2Former's own classifier at 2.1 mIoU: a +18 gain over it says nothing about the claim
    assert verdict([18.3], spread=3.3, baseline=2.1) == UNTESTABLE
    assert verdict([-2.4, -3.0], baseline=BASELINE_FLOOR - 0.1) == UNTESTABLE
    assert verdict([18.3], spread=3.3, baseline=BASELINE_FLOOR) == HOLDS
