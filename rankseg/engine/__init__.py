"""The training and evaluation engine: composes data, models and losses; knows nothing of notebooks."""

from rankseg.engine.evaluate import EvalOptions, EvalResult, evaluate
from rankseg.engine.train import TrainResult, fit, train, train_classifier

__all__ = ["EvalOptions", "EvalResult", "TrainResult", "evaluate", "fit", "train", "train_classifier"]
