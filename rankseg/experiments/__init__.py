"""What the notebooks call: cached runs, result tables with their provenance, figures, paper values."""

from rankseg.experiments.output import figure_dir, results_dir, save_figure, save_table, set_style
from rankseg.experiments.runner import RunRecord, load_model, run

__all__ = ["RunRecord", "figure_dir", "load_model", "results_dir", "run", "save_figure", "save_table", "set_style"]
