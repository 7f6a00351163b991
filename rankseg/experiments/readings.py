"""Verdicts on the paper's claims from paired runs: does a change move mIoU the paper's way, by more than the
seeds vary? Used by the notebooks' readings and by the README's table of gains, so both judge alike.

A claim is judged on per-seed differences (the same seed trains both sides, so data order and initialisation
cancel): it **holds** when the mean difference has the claimed sign, every seed agrees, and the mean exceeds the
differences' standard deviation; it **does not hold** when the same is true with the opposite sign; otherwise it is
**inconclusive**. A single seed has no spread of its own: it is judged against a spread measured elsewhere (the
seed-to-seed std of a paired difference in Table 1), or not judged at all. A gain over a baseline that learned
too little (below `BASELINE_FLOOR` mIoU) is not judged either: it would compare a model that learned with one
that did not, not the claim.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

HOLDS, FAILS, INCONCLUSIVE, ONE_SEED = "holds", "does not hold", "inconclusive", "one seed, no spread"
# Issue 13's floor for the default regime's baseline: below it a baseline has not learned enough for a claim about
# it to be tested (the first default's baselines reached 4-8 mIoU, and every reading of them was an artefact).
BASELINE_FLOOR = 25.0
UNTESTABLE = f"untestable: baseline below {BASELINE_FLOOR:g} mIoU"


def verdict(diffs: Sequence[float], spread: float | None = None, direction: int = 1,
            baseline: float | None = None) -> str:
    """The verdict on a claimed change of sign `direction` (+1: a gain) from the per-seed differences `diffs`.

    `spread` is the yardstick of a single seed (ignored with two or more, which have their own); `baseline`, the
    mean mIoU of the side the change is measured from, when known: below `BASELINE_FLOOR` nothing is judged."""
    d = np.asarray(diffs, dtype=float) * direction
    if len(d) == 0:
        raise ValueError("verdict needs at least one per-seed difference")
    if baseline is not None and baseline < BASELINE_FLOOR:
        return UNTESTABLE
    if len(d) == 1:
        if spread is None or not np.isfinite(spread):
            return ONE_SEED
        return INCONCLUSIVE if abs(d[0]) <= spread else HOLDS if d[0] > 0 else FAILS
    mean, std = d.mean(), d.std(ddof=1)
    if abs(mean) <= std or not ((d > 0).all() or (d < 0).all()):
        return INCONCLUSIVE
    return HOLDS if mean > 0 else FAILS


def paired_step(new: Sequence[float], old: Sequence[float], new_name: str, old_name: str) -> str:
    """One sentence on `new_name` against `old_name` from their per-seed mIoU (same seeds, same order): the mean
    difference, the spread of the differences and whether the change is a gain beyond that spread."""
    diff = np.asarray(new, dtype=float) - np.asarray(old, dtype=float)
    if len(diff) == 0:
        raise ValueError(f"no paired seeds for {new_name} vs {old_name}")
    mean = diff.mean()
    side = "above" if mean > 0 else "below"
    text = (f"{new_name} is {side} {old_name} by {abs(mean):.2f} mIoU points" if abs(mean) >= 0.005
            else f"{new_name} scores the same as {old_name} to two decimals")
    if len(diff) < 2:
        return text + " (one seed: no spread to judge it by)"
    per_seed = ", ".join(f"{v:+.1f}" for v in diff)
    if abs(mean) < 0.005:
        return f"{text} on average over {len(diff)} seeds (per seed {per_seed}): no effect"
    spread, wins = diff.std(ddof=1), int((diff > 0).sum())
    judged = verdict(diff)
    if judged == INCONCLUSIVE and abs(mean) <= spread:
        why = f"the spread of the per-seed differences ({spread:.2f}) is at least as large as the effect"
    elif judged == INCONCLUSIVE:
        why = f"{new_name} is above in {wins} of {len(diff)} seeds only"
    else:
        why = f"every seed agrees and the effect exceeds the spread of the differences ({spread:.2f})"
    gain = {HOLDS: "a gain", FAILS: "a loss", INCONCLUSIVE: "inconclusive"}[judged]
    return f"{text} on average over {len(diff)} seeds (per seed {per_seed}): {gain}, {why}"
