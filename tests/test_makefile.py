"""Every Makefile target at least starts: the real command runs on a tiny setting, or (for targets that
install or that run this very suite) make's dry run resolves it."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from rankseg.paths import ROOT

VENV = Path(sys.prefix)  # the environment running these tests, so no target reinstalls anything


def phony_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return {t for line in re.findall(r"^\.PHONY:(.*)$", text, re.M) for t in line.split()}


# target -> (make arguments, text the output must contain); -n: make's dry run (-B: as if out of date)
TARGETS = {
    "env": (["-n", "-B"], "pip install -q -e"),
    "test": (["-n"], "pytest"),
    "lint": ([], "All checks passed"),
    "all": (["PROFILE=ci", "NOTEBOOK_ARGS=--dry-run"], "would run 12_mask2former.ipynb"),
    "notebooks": (["PROFILE=ci", "NOTEBOOK_ARGS=--dry-run --only 01"], "would run 01_quickstart.ipynb"),
    "lab": (["-n", "PROFILE=ci"], "rankseg.lab --profile ci"),
    "test-lab": (["-n"], "scripts/test_lab.py"),
    "gpu-check": (["-n"], "scripts/gpu_check.sh"),
    "bench": (["BENCH_ARGS=--settings test --vocab 8 --heads segmenter rankseg --e2e-sizes --repeats 1 "
               "--results {tmp} --figures {tmp}"], "rankseg"),
}


def test_every_target_is_covered():
    assert phony_targets() == set(TARGETS)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_target_starts(target, tmp_path):
    args, expected = TARGETS[target]
    cmd = ["make", "-C", str(ROOT), target, f"VENV={VENV}", *(a.format(tmp=tmp_path) for a in args)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert expected in out.stdout, out.stdout[-2000:]
    if target == "bench":
        assert (tmp_path / "head_scaling.csv").is_file()
