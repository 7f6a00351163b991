"""The training and evaluation engine: composes data, models and losses; knows nothing of notebooks."""

from rankseg.engine.evaluate import EvalOptions, EvalResult, evaluate
from rankseg.engine.fit import TrainResult, fit
from rankseg.engine.train import train, train_classifier

__all__ = ["EvalOptions", "EvalResult", "TrainResult", "evaluate", "fit", "train", "train_classifier"]
