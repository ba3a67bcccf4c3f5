"""What a finished run leaves besides its checkpoints: ``summary.json``'s content, the PNGs and ``report.html``."""

from __future__ import annotations

import importlib.util
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

import ember
from ember import nn

from . import plots
from .config import ConfigError, parse_toml
from .errors import Log, UsageError, stderr_log
from .metrics import confusion_matrix
from .report import write_report
from .rundir import CONFIG_FILE, MODEL_SUMMARY_FILE, PLOTS, read_summary

__all__ = ["make_plots", "run_summary", "write_run_report"]


def _has_matplotlib() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def _first_layer_weight(model: Any) -> Any:
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            return m.weight
    return None


def make_plots(
    run_dir: Path,
    history: Any,
    meta: Mapping[str, Any],
    model: Any = None,
    test: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    log: Log = stderr_log,
) -> list[Path]:
    """Draw the run's PNGs; without matplotlib print one warning line and draw nothing."""
    if not _has_matplotlib():
        log("warning: matplotlib is not installed, so no plots were drawn (pip install 'ember[plot]')")
        return []
    log(f"writing plots and report.html to {run_dir} ...")
    written: list[Path] = []

    def attempt(fn: Callable[..., Path], *args: Any, **kwargs: Any) -> None:
        try:
            written.append(fn(*args, **kwargs))
        except (ValueError, TypeError) as e:  # a plot that does not apply to this run
            log(f"warning: {fn.__name__} skipped: {e}")

    hist = {k: v for k, v in history.history.items() if k not in ("lr", "time")}
    if hist and len(history):
        attempt(plots.plot_history, hist, run_dir / "curves.png", step_loss=history.loss_steps)
    lrs = history.lr_steps or [v for v in history.history.get("lr", []) if v is not None]
    if lrs:
        attempt(plots.plot_lr, lrs, run_dir / "lr.png")
    classes = list(meta.get("classes", [])) or None
    if test is not None:
        x, y, out = test
        n = int(meta["num_classes"])
        attempt(plots.plot_confusion_matrix, confusion_matrix(y, out, num_classes=n), run_dir / "confusion_matrix.png",
                class_names=classes)
        if x.ndim == 4 or (x.ndim == 2 and math.isqrt(x.shape[1]) ** 2 == x.shape[1]):
            attempt(plots.plot_misclassified, x, y, out, run_dir / "misclassified.png", class_names=classes)
    if model is not None and test is not None and tuple(meta["input_shape"]) == (2,):
        def predict(points: np.ndarray) -> np.ndarray:
            model.eval()
            with ember.no_grad():
                return model(ember.from_numpy(points.astype(np.float32))).numpy()

        attempt(plots.plot_decision_boundary, predict, test[0], test[1], run_dir / "decision_boundary.png")
    if model is not None:
        w = _first_layer_weight(model)
        shape = tuple(meta["input_shape"])
        if w is not None and w.ndim == 4:
            attempt(plots.plot_first_layer_weights, w, run_dir / "first_layer_weights.png")
        elif w is not None and len(shape) == 3 and w.shape[1] == int(np.prod(shape)):
            attempt(plots.plot_first_layer_weights, w, run_dir / "first_layer_weights.png", image_shape=shape,
                    max_units=64)
    return written


def write_run_report(run_dir: str | os.PathLike) -> Path:
    """(Re-)write ``report.html`` from the run's config, summary and PNGs."""
    run_dir = Path(run_dir)
    if not (run_dir / CONFIG_FILE).is_file():
        raise UsageError(f"{str(run_dir)!r} is not a run directory: it has no {CONFIG_FILE}")
    try:
        config = parse_toml((run_dir / CONFIG_FILE).read_text(encoding="utf-8"), str(run_dir / CONFIG_FILE))
    except ConfigError as e:
        raise UsageError(str(e)) from None
    summary = read_summary(run_dir)
    shown = {k: v for k, v in summary.items() if k not in ("classes", "history")}
    images = [run_dir / p for p in PLOTS if (run_dir / p).is_file()]
    title = f"ember run {run_dir.name}"
    model_text = (run_dir / MODEL_SUMMARY_FILE).read_text(encoding="utf-8") if (run_dir / MODEL_SUMMARY_FILE).is_file() else None
    return write_report(run_dir, _applicable(config), shown, images, title=title, headline=_headline(summary),
                        model_summary=model_text)


def _applicable(config: Mapping[str, Any]) -> dict[str, Any]:
    """The settings that mean something for this run: an MLP's shape only for the mlp, momentum only
    for the optimizers that have one, the data folder only when one was given."""
    shown = dict(config)
    if config.get("model") != "mlp":
        for key in ("hidden", "activation", "dropout"):
            shown.pop(key, None)
    if config.get("optimizer") not in ("sgd", "rmsprop"):
        shown.pop("momentum", None)
    for key, off in (("data_dir", ""), ("l1", 0.0), ("grad_clip", 0.0), ("early_stopping", 0), ("download", False),
                     ("tensorboard", False)):
        if shown.get(key) == off:
            shown.pop(key, None)
    return shown


def _headline(summary: Mapping[str, Any]) -> dict[str, str]:
    """The numbers a reader looks for first."""
    head: dict[str, str] = {}
    if isinstance(summary.get("test_accuracy"), (int, float)):
        head["test accuracy"] = f"{100 * summary['test_accuracy']:.2f}%"
    if isinstance(summary.get("test_loss"), (int, float)):
        head["test loss"] = f"{summary['test_loss']:.4f}"
    if isinstance(summary.get("train_time_s"), (int, float)):
        head["training time"] = f"{summary['train_time_s']:.1f} s"
    if "epochs_completed" in summary:
        head["epochs"] = f"{summary['epochs_completed']} of {summary.get('epochs', summary['epochs_completed'])}"
    if isinstance(summary.get("parameters"), int):
        head["parameters"] = f"{summary['parameters']:,}"
    return head


def run_summary(
    config: Mapping[str, Any], meta: Mapping[str, Any], history: Any, status: str, train_time: float,
    test: Mapping[str, float] | None, n_params: int,
) -> dict[str, Any]:
    s: dict[str, Any] = {"status": status, "dataset": config["dataset"], "model": config["model"]}
    s["epochs_completed"] = len(history.epoch) and history.epoch[-1]
    s["epochs"] = config["epochs"]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        if key in history and history.last(key) is not None:
            s[f"final_{key}"] = history.last(key)
    monitor = "val_loss" if "val_loss" in history else "loss"
    best = history.best(monitor)
    if best is not None:
        s["best_epoch"], s[f"best_{monitor}"] = best
        acc_key = "val_accuracy" if monitor == "val_loss" else "accuracy"
        if acc_key in history:
            s[f"best_epoch_{acc_key}"] = history[acc_key][history.epoch.index(best[0])]
    if test:
        s.update({f"test_{k}": v for k, v in test.items()})
    if history.stopped_epoch is not None:
        s["stopped_early_at_epoch"] = history.stopped_epoch
    s["train_time_s"] = round(train_time, 3)
    s["parameters"] = n_params
    s["checkpoint_for_test"] = "best" if config["early_stopping"] else "last"
    s.update({k: meta[k] for k in ("input_shape", "num_classes", "n_train", "n_val", "n_test", "scale")})
    s["classes"] = list(meta["classes"])
    s["ember_version"] = ember.__version__
    return s
