"""Training: the ``Trainer`` fit loop, callbacks, ``History``, metrics, plots, reports and run directories.

The pieces work on their own in a hand-written loop too::

    from ember.training import Accuracy, RunningMean, CSVLogger, plot_history

``ProgressBar`` and ``CSVLogger`` here are the callbacks; the plain progress widget is
``ember.training.progress.ProgressBar`` (the ``CSVLogger`` callback keeps ``log(row)``).
"""

from .callbacks import CSVLogger, Callback, EarlyStopping, LRSchedulerCallback, ModelCheckpoint, ProgressBar
from .config import ConfigError, default_config, dump_config, load_config
from .history import History
from .metrics import (
    Accuracy,
    ConfusionMatrix,
    MeanAbsoluteError,
    MeanSquaredError,
    Metric,
    R2Score,
    RunningMean,
    TopKAccuracy,
    accuracy,
    confusion_matrix,
    mae,
    mse,
    precision_recall_f1,
    r2_score,
    top_k_accuracy,
)
from . import plots
from .plots import *  # noqa: F403 - the plotting helpers, named once in plots.__all__
from .report import write_report
from .trainer import Trainer, epoch_seed

__all__ = [
    "Accuracy",
    "CSVLogger",
    "Callback",
    "ConfigError",
    "ConfusionMatrix",
    "EarlyStopping",
    "History",
    "LRSchedulerCallback",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "Metric",
    "ModelCheckpoint",
    "ProgressBar",
    "R2Score",
    "RunningMean",
    "TopKAccuracy",
    "Trainer",
    "accuracy",
    "confusion_matrix",
    "default_config",
    "dump_config",
    "epoch_seed",
    "load_config",
    "mae",
    "mse",
    "precision_recall_f1",
    "r2_score",
    "top_k_accuracy",
    "write_report",
]
__all__ += plots.__all__  # the plotting helpers, listed once in plots.py
