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
from .plots import (
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_first_layer_weights,
    plot_history,
    plot_lr,
    plot_misclassified,
)
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
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_first_layer_weights",
    "plot_history",
    "plot_lr",
    "plot_misclassified",
    "precision_recall_f1",
    "r2_score",
    "top_k_accuracy",
    "write_report",
]
