"""Where results and figures go, and how they are written: CSV tables with their provenance, PNG+PDF
figures without volatile metadata, one seaborn style."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from rankseg.paths import FIGURES, RESULTS, ROOT


# Notebook parameters `results_root` / `figures_root` redirect the outputs (set by notebook.setup).
RESULTS_OVERRIDE: Path | None = None
FIGURES_OVERRIDE: Path | None = None

# Trailing columns that say where a table was made rather than what it holds: a table whose other columns
# are unchanged is left as it is, so re-running a notebook on another machine or revision does not churn git.
PROVENANCE_COLUMNS = ("device", "git_revision")


def results_dir(profile: str) -> Path:
    return (RESULTS_OVERRIDE or RESULTS) / profile


def figure_dir(profile: str) -> Path:
    return (FIGURES_OVERRIDE or FIGURES) / profile


def git_revision() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def save_table(df: pd.DataFrame, name: str, *, profile: str, dataset: str, seeds: str, device: str) -> Path:
    """Writes results/<profile>/<name>.csv with the settings that produced it as trailing columns.

    An existing file whose content (every column but the provenance ones) is unchanged is left untouched."""
    out = df.copy()
    out["profile"], out["dataset"], out["seeds"], out["device"] = profile, dataset, seeds, device
    out["git_revision"] = git_revision()
    text = out.to_csv(index=False, float_format="%.4g")
    path = results_dir(profile) / f"{name}.csv"
    if path.is_file() and _same_content(pd.read_csv(path), pd.read_csv(io.StringIO(text))):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _same_content(old: pd.DataFrame, new: pd.DataFrame) -> bool:
    """Equal columns (in the same order) and equal values as written, provenance columns aside."""
    drop = list(PROVENANCE_COLUMNS)
    return old.drop(columns=drop, errors="ignore").equals(new.drop(columns=drop, errors="ignore"))


def set_style() -> None:
    """The one plotting style of the package (paper-like: white grid, colour-blind palette)."""
    sns.set_theme(context="paper", style="whitegrid", palette="colorblind", font_scale=1.1)
    plt.rcParams.update({"figure.dpi": 110, "savefig.bbox": "tight", "axes.titleweight": "bold"})


def save_figure(fig: plt.Figure, name: str, *, profile: str) -> Path:
    """Saves figures/<profile>/<name>.png (150 dpi) and .pdf without timestamps, so re-runs do not churn git."""
    folder = figure_dir(profile)
    folder.mkdir(parents=True, exist_ok=True)
    fig.savefig(folder / f"{name}.png", dpi=150, metadata={"Software": None})
    fig.savefig(folder / f"{name}.pdf", metadata={"CreationDate": None, "ModDate": None, "Producer": None,
                                                 "Creator": None})
    return folder / f"{name}.png"
