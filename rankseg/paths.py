"""Absolute project paths, derived from the package so that notebooks never depend on the cwd."""

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
RESULTS = ROOT / "results"
FIGURES = ROOT / "figures"
NOTEBOOKS = ROOT / "notebooks"
RUNS = ROOT / "runs"  # checkpoints and training curves (git-ignored)
