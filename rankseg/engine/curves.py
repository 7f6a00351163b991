"""curves.csv (and optionally TensorBoard) written while training runs, so that a long run can be read as it goes."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

CURVES_FILE = "curves.csv"
TENSORBOARD_DIR = "tensorboard"


class CurveLog:
    """Keeps `run_dir/curves.csv` equal to the rows logged so far (dicts: iteration and named values).

    A row is appended and flushed when it is logged; the file is rewritten whole when a row brings a new
    column (the first evaluation) and when a run resumes, from the checkpointed rows: rows logged after the
    last checkpoint, and a file truncated by a crash, are replaced by what the checkpoint holds. With
    `tensorboard`, each row is also written as scalars to `run_dir/tensorboard/`.
    """

    def __init__(self, run_dir: Path, rows: list[dict], *, tensorboard: bool = False) -> None:
        self.path = run_dir / CURVES_FILE
        self.columns: list[str] = []
        self.writer = _tensorboard_writer(run_dir / TENSORBOARD_DIR) if tensorboard else None
        self.rewrite(rows)

    def rewrite(self, rows: list[dict]) -> None:
        if not rows:
            self.path.unlink(missing_ok=True)
            self.columns = []
            return
        frame = pd.DataFrame(rows)
        self.columns = list(frame.columns)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".csv.tmp")
        frame.to_csv(tmp, index=False)
        os.replace(tmp, self.path)

    def append(self, row: dict, rows: list[dict]) -> None:
        """Records `row`, the last of `rows` (all rows so far)."""
        if self.writer is not None:
            for name, value in row.items():
                if name != "iteration":
                    self.writer.add_scalar(name, value, row["iteration"])
            self.writer.flush()
        if not self.columns or not row.keys() <= set(self.columns):
            self.rewrite(rows)
            return
        with open(self.path, "a", newline="") as f:
            pd.DataFrame([row], columns=self.columns).to_csv(f, header=False, index=False)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _tensorboard_writer(log_dir: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as exc:
        raise ImportError("train.tensorboard=True needs the tensorboard package (pip install tensorboard); "
                          "curves.csv is written without it") from exc
    return SummaryWriter(log_dir=str(log_dir))


def late_change(curves: pd.DataFrame, iterations: int, *, column: str = "miou", tail: float = 0.2) -> float | None:
    """How much `column` moved over the last `tail` of the steps: its value at the last evaluation minus its value
    at the first evaluation at or after step (1 - tail)·iterations; None with fewer than two evaluations there
    (None rather than NaN, so that records holding it compare equal).
    A run has converged when this is small (the default regime asks for under one mIoU point)."""
    if column not in curves:
        return None
    evals = curves[curves[column].notna() & (curves["iteration"] >= (1 - tail) * iterations)]
    return float(evals[column].iloc[-1] - evals[column].iloc[0]) if len(evals) > 1 else None
