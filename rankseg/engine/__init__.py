"""The training and evaluation engine: composes data, models and losses; knows nothing of notebooks."""

from rankseg.engine.evaluate import EvalOptions, EvalResult, evaluate
from rankseg.engine.fit import TrainResult, fit
from rankseg.engine.train import evaluate_run, train, train_classifier, validation_set

__all__ = ["EvalOptions", "EvalResult", "TrainResult", "evaluate", "evaluate_run", "fit", "train", "train_classifier",
           "validation_set"]
