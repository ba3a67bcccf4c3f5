"""Run directories: train a configured model end to end, resume it, evaluate it, predict with it, report it.

This is what ``ember train | evaluate | predict | report`` call; it is usable from Python too::

    from ember.training.run import train_run
    result = train_run({"dataset": "digits", "epochs": 5}, run_dir="runs/try")

A run directory holds:

==========================  ===========================================================
``config.toml``             every setting, enough to reproduce the run (``--config`` reads it)
``metrics.csv``             one row per epoch: loss, accuracy, val_loss, val_accuracy, lr, time
``summary.json``            final and best metrics, test results, timings, input shape, classes
``checkpoint-last.pt``      model, optimizer, scheduler and RNG state, epoch: what ``--resume`` reads
``checkpoint-best.pt``      the same at the epoch with the lowest validation loss
``*.png``                   learning curves, learning rate, confusion matrix, mistakes, first-layer weights
``report.html``             all of the above on one self-contained page
==========================  ===========================================================
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import importlib.util
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import ember

from .callbacks import CSVLogger, EarlyStopping, LRSchedulerCallback, ModelCheckpoint, ProgressBar, TensorBoard
from .config import ConfigError, dump_config, load_config, parse_toml, resolve_defaults, validate_config
from .metrics import confusion_matrix
from .distributed import unwrap
from .trainer import Trainer

__all__ = [
    "RunError",
    "RunResult",
    "UsageError",
    "default_run_dir",
    "evaluate_run",
    "load_run",
    "predict_files",
    "train_run",
    "write_run_report",
]

CONFIG_FILE = "config.toml"
SUMMARY_FILE = "summary.json"
METRICS_FILE = "metrics.csv"
MODEL_SUMMARY_FILE = "model_summary.txt"
LAST = ModelCheckpoint.last_name
BEST = ModelCheckpoint.best_name
PLOTS = (
    "curves.png", "lr.png", "confusion_matrix.png", "misclassified.png", "first_layer_weights.png",
    "decision_boundary.png",
)


class UsageError(Exception):
    """The request cannot work as given (unknown name, bad option, wrong shapes): exit code 2."""


class RunError(Exception):
    """Something failed while running (missing data, divergence, unreadable files): exit code 1."""


Log = Callable[[str], None]


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------- data
@dataclass
class Data:
    """A dataset as float32 arrays: inputs ``(N, C, H, W)`` for images or ``(N, D)`` for features."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)


def _as_inputs(data: np.ndarray, where: str) -> tuple[np.ndarray, float]:
    """Model inputs (float32) and the scale they were divided by (255 for uint8 images, else 1)."""
    a = np.asarray(data)
    if a.dtype == np.uint8:
        scale = 255.0
        x = a.astype(np.float32) / np.float32(scale)
        if x.ndim == 3:  # (N, H, W) greyscale
            x = x[:, None]
        elif x.ndim == 4 and x.shape[-1] in (1, 3, 4):  # (N, H, W, C)
            x = np.ascontiguousarray(np.moveaxis(x, -1, 1))
        return x, scale
    if a.dtype.kind in "fiu" and a.ndim >= 2:
        return a.astype(np.float32), 1.0
    raise RunError(f"{where}: cannot use data of dtype {a.dtype} and shape {a.shape} as model inputs")


def _dataset_arrays(name: str, config: Mapping[str, Any], train: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from ember.vision.datasets import get_dataset

    root = config.get("data_dir") or None
    try:
        ds = get_dataset(name, root=root, train=train, download=bool(config.get("download", False)))
    except ValueError as e:
        if "unknown dataset" in str(e):
            raise UsageError(str(e)) from None
        raise RunError(f"dataset {name!r}: {e}") from None
    except FileNotFoundError as e:
        msg = str(e).replace("pass download=True", "pass --download (needs network access)")
        if "--download" not in msg:
            msg += "\nPoint --data-dir at the folder holding the files, or pass --download to fetch them."
        raise RunError(msg) from None
    except OSError as e:  # network errors from download=True
        raise RunError(f"dataset {name!r} could not be loaded: {e}") from None
    data, targets = getattr(ds, "data", None), getattr(ds, "targets", None)
    if data is None or targets is None:
        raise UsageError(f"dataset {name!r} does not expose .data and .targets arrays, which ember train needs")
    targets = np.asarray(targets).astype(np.int64)
    classes = [str(c) for c in getattr(ds, "classes", [])] or [str(i) for i in range(int(targets.max()) + 1)]
    return np.asarray(data), targets, classes


def load_data(config: Mapping[str, Any]) -> Data:
    """Train/validation/test arrays of the configured dataset; the validation split depends only on ``seed``."""
    name = config["dataset"]
    raw_train, y_train, classes = _dataset_arrays(name, config, train=True)
    raw_test, y_test, _ = _dataset_arrays(name, config, train=False)
    x_train, scale = _as_inputs(raw_train, name)
    x_test, _ = _as_inputs(raw_test, name)
    num_classes = max(len(classes), int(max(y_train.max(), y_test.max())) + 1)
    x_val = y_val = None
    n_val = int(round(config["val_split"] * len(x_train)))
    if n_val > 0:
        if n_val >= len(x_train):
            raise UsageError(f"--val-split {config['val_split']} leaves no training data ({len(x_train)} samples)")
        perm = np.random.default_rng(config["seed"]).permutation(len(x_train))
        val_idx, train_idx = np.sort(perm[:n_val]), np.sort(perm[n_val:])
        x_val, y_val = x_train[val_idx], y_train[val_idx]
        x_train, y_train = x_train[train_idx], y_train[train_idx]
    meta = {
        "dataset": name,
        "input_shape": list(x_train.shape[1:]),
        "num_classes": num_classes,
        "classes": classes[:num_classes] + [str(i) for i in range(len(classes), num_classes)],
        "scale": scale,
        "n_train": len(x_train),
        "n_val": 0 if x_val is None else len(x_val),
        "n_test": len(x_test),
    }
    if x_train.ndim == 4 and len(x_train):
        meta["background"] = _background(x_train[: min(len(x_train), 500)])
    return Data(x_train, y_train, x_val, y_val, x_test, y_test, meta)


def _background(images: np.ndarray) -> str:
    """'dark' or 'light': the typical border pixel of (N, C, H, W) images, against their value range."""
    border = np.concatenate([images[..., 0, :].ravel(), images[..., -1, :].ravel(),
                             images[..., :, 0].ravel(), images[..., :, -1].ravel()])
    lo, hi = float(images.min()), float(images.max())
    return "light" if hi > lo and np.median(border) > (lo + hi) / 2 else "dark"


def _loader(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = False, seed: int | None = None):
    from ember.utils.data import DataLoader, TensorDataset

    ds = TensorDataset(ember.from_numpy(x), ember.from_numpy(y))
    gen = ember.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(ds, batch_size=batch_size, shuffle=shuffle, generator=gen)


# ---------------------------------------------------------------------------------------- model, optimizer
def build_model(config: Mapping[str, Any], meta: Mapping[str, Any], explicit: Sequence[str] = (), log: Log = _stderr):
    """The configured model for inputs of ``meta['input_shape']`` and ``meta['num_classes']`` outputs."""
    from ember.vision import models

    name = config["model"]
    shape = tuple(meta["input_shape"])
    offered = {
        "in_features": int(np.prod(shape)),
        "num_classes": int(meta["num_classes"]),
        "in_channels": int(shape[0]) if len(shape) == 3 else 1,
        "hidden": tuple(config["hidden"]),
        "activation": config["activation"],
        "dropout": config["dropout"],
    }
    try:
        accepted = models.accepted_kwargs(name)
        if accepted is not None:
            ignored = [k for k in ("hidden", "activation", "dropout") if k in explicit and k not in accepted]
            if ignored:
                log(f"warning: model {name!r} does not take {', '.join(ignored)}; ignored")
            offered = {k: v for k, v in offered.items() if k in accepted}
        if models.is_user_model(name):
            return models.load_user_model(name, **offered)
        return models.get_model(name, **offered)
    except (ValueError, FileNotFoundError) as e:
        raise UsageError(str(e)) from None


def _check_forward(model: Any, x: np.ndarray, num_classes: int, name: str, dataset: str) -> None:
    """One forward pass on two samples, so a model/data mismatch is reported before training."""
    was = model.training
    model.eval()
    try:
        with ember.no_grad():
            out = model(ember.from_numpy(x[:2]))
    except Exception as e:  # noqa: BLE001 - any failure here means "this model does not fit this data"
        raise UsageError(
            f"model {name!r} cannot take inputs of shape {tuple(x.shape[1:])} from dataset {dataset!r}: {e}\n"
            "Choose a model for this input size (mlp, logistic and course_cnn take any size)."
        ) from None
    finally:
        model.train(was)
    if tuple(out.shape) != (min(2, len(x)), num_classes):
        raise UsageError(
            f"model {name!r} returned shape {tuple(out.shape)} for 2 samples; expected (2, {num_classes}) "
            f"logits for the {num_classes} classes of {dataset!r}"
        )


def build_optimizer(config: Mapping[str, Any], params: Any):
    """The configured optimizer (``lr`` and ``momentum`` already resolved)."""
    from ember import optim

    name, lr, wd, mom = config["optimizer"], config["lr"], config["weight_decay"], config["momentum"]
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=mom, weight_decay=wd)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=wd)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=wd)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, momentum=mom, weight_decay=wd)
    if name == "adagrad":
        return optim.Adagrad(params, lr=lr, weight_decay=wd)
    raise UsageError(f"unknown optimizer {name!r}")


def build_scheduler(config: Mapping[str, Any], optimizer: Any, steps_per_epoch: int):
    """The configured learning-rate schedule (``None`` for ``'none'``)."""
    from ember.optim import lr_scheduler as S

    name, epochs = config["scheduler"], config["epochs"]
    if name == "none":
        return None
    if name == "step":
        return S.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1)
    if name == "cosine":
        return S.CosineAnnealingLR(optimizer, T_max=epochs)
    if name == "onecycle":
        cycle = config["optimizer"] in ("adam", "adamw") or (
            config["optimizer"] in ("sgd", "rmsprop") and config["momentum"] > 0
        )
        return S.OneCycleLR(
            optimizer, max_lr=config["lr"], total_steps=epochs * steps_per_epoch, cycle_momentum=cycle
        )
    if name == "plateau":
        patience = max(1, config["early_stopping"] // 2) if config["early_stopping"] else 3
        return S.ReduceLROnPlateau(optimizer, mode="min", factor=0.1, patience=patience)
    raise UsageError(f"unknown scheduler {name!r}")


_SMALL_MODEL = 1_000_000


@contextlib.contextmanager
def _blas_threads(threads: int | str | None, n_params: int) -> Iterator[None]:
    """Limit the BLAS thread pool for the duration of the block (needs threadpoolctl; else a no-op)."""
    if threads == "auto":
        threads = 1 if n_params < _SMALL_MODEL else None
    if threads is None:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=int(threads), user_api="blas"):
        yield


# ---------------------------------------------------------------------------------------- files
def default_run_dir(config: Mapping[str, Any], root: str | os.PathLike = "runs") -> Path:
    """``runs/<dataset>-<model>-<YYYYmmdd-HHMMSS>`` (with a suffix if that exists already)."""
    model = config["model"]
    if ":" in model:
        model = model.rpartition(":")[2]
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    dataset = Path(config["dataset"]).name if os.path.isdir(config["dataset"]) else config["dataset"]
    base = Path(root) / f"{dataset}-{model}-{stamp}".replace(os.sep, "_")
    path, i = base, 1
    while path.exists():
        i += 1
        path = base.with_name(f"{base.name}-{i}")
    return path


def _write_text(path: Path, text: str) -> None:
    from ember.serialization._io import atomic_write

    with atomic_write(path) as f:
        f.write(text.encode("utf-8"))


def _json_default(o: Any) -> Any:
    item = getattr(o, "item", None)
    if callable(item):
        return item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _clean(v: Any) -> Any:
    """NaN/inf as None, so summary.json is strict JSON."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_clean(x) for x in v]
    return v


def _write_json(path: Path, obj: Mapping[str, Any]) -> None:
    _write_text(path, json.dumps(_clean(json.loads(json.dumps(obj, default=_json_default))), indent=2) + "\n")


def read_config(run_dir: str | os.PathLike) -> dict[str, Any]:
    """The validated configuration of a run directory."""
    path = Path(run_dir) / CONFIG_FILE
    if not Path(run_dir).is_dir():
        raise UsageError(f"run directory {str(run_dir)!r} does not exist")
    if not path.is_file():
        raise UsageError(f"{str(run_dir)!r} is not a run directory: it has no {CONFIG_FILE}")
    try:
        return load_config(path)
    except ConfigError as e:
        raise UsageError(str(e)) from None


def _read_summary(run_dir: Path) -> dict[str, Any]:
    path = run_dir / SUMMARY_FILE
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as f:
        return json.load(f)


# ---------------------------------------------------------------------------------------- train
@dataclass
class RunResult:
    """What ``train_run`` did: ``status`` is ``'finished'``, ``'stopped_early'`` or ``'interrupted'``."""

    run_dir: Path
    status: str
    summary: dict[str, Any]
    history: Any = None
    model: Any = None


def _has_matplotlib() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def _first_layer_weight(model: Any) -> Any:
    from ember import nn

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
    log: Log = _stderr,
) -> list[Path]:
    """Draw the run's PNGs; without matplotlib print one warning line and draw nothing."""
    if not _has_matplotlib():
        log("warning: matplotlib is not installed, so no plots were drawn (pip install 'ember[plot]')")
        return []
    log(f"writing plots and report.html to {run_dir} ...")
    from . import plots

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
    from .report import write_report

    run_dir = Path(run_dir)
    if not (run_dir / CONFIG_FILE).is_file():
        raise UsageError(f"{str(run_dir)!r} is not a run directory: it has no {CONFIG_FILE}")
    try:
        config = parse_toml((run_dir / CONFIG_FILE).read_text(encoding="utf-8"), str(run_dir / CONFIG_FILE))
    except ConfigError as e:
        raise UsageError(str(e)) from None
    summary = _read_summary(run_dir)
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


def _summary(
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


def _observers(cfg: Mapping[str, Any], run_dir: Path, model: Any, meta: Mapping[str, Any], log: Log | None,
               writer: bool = True) -> list:
    """What watches a run besides its checkpoints: the model summary (printed and kept for the
    report in ``model_summary.txt``) and, with ``tensorboard = true``, a TensorBoard log. Only the
    process that writes the run directory (rank 0 of a data-parallel run) keeps them."""
    from ember.utils import summary

    if not writer:
        return []
    # the plain module: a DistributedDataParallel wrapper's forward would start collectives on this rank alone
    stats = summary(unwrap(model), input_size=(1, *meta["input_shape"]),
                    col_names=("output_size", "num_params", "mult_adds"), depth=2, verbose=0)
    _write_text(run_dir / MODEL_SUMMARY_FILE, str(stats) + "\n")
    if log is not None:
        log(str(stats))
    if not cfg.get("tensorboard"):
        return []
    try:
        return [TensorBoard(run_dir / "tensorboard")]
    except ImportError as e:
        raise UsageError(str(e)) from None


def train_run(
    config: Mapping[str, Any] | None = None,
    run_dir: str | os.PathLike | None = None,
    *,
    resume: bool = False,
    quiet: bool = False,
    explicit: Sequence[str] = (),
    log: Log = _stderr,
    progress_stream: Any = None,
    threads: int | str | None = "auto",
    nproc: int | None = None,
) -> RunResult:
    """Train as configured and write the run directory; with ``resume=True`` continue ``run_dir``.

    Args:
        config: keys of `ember.training.config.FIELDS` (missing ones take defaults). When
            resuming, the run's ``config.toml`` is read and ``config`` may only change ``epochs``
            and ``data_dir``.
        run_dir: where to write (default `default_run_dir`); the run to continue when resuming.
        resume: continue from ``run_dir/checkpoint-last.pt``.
        quiet: no progress output.
        explicit: the keys the user set explicitly (for warnings about options a model ignores).
        log: where messages go (default: stderr).
        progress_stream: where the progress bar writes (default: stderr).
        threads: BLAS threads while training: a number, ``None`` to leave the setting alone, or
            ``'auto'``: one thread for models under a million parameters, whose small matrix
            products only lose time to thread hand-offs (and a lot of it on a busy machine).
        nproc: train data-parallel in this many MPI processes (this is one of them; see
            `ember.training.distributed`); ``None`` trains in this process alone.
    """
    ddp = None
    if nproc is not None:
        from .distributed import DataParallelRun

        ddp = DataParallelRun(nproc)
        threads = ddp.threads(threads)
        if not ddp.writer:
            quiet, log = True, (lambda _m: None)
    writer = ddp is None or ddp.writer
    if resume:
        if run_dir is None:
            raise UsageError("resume needs the run directory")
        run_dir = Path(run_dir)
        cfg = read_config(run_dir)
        overrides = dict(config or {})
        bad = sorted(set(overrides) - {"epochs", "data_dir", "download"})
        if bad:
            raise UsageError(
                f"cannot change {', '.join(bad)} when resuming (the run continues with its own config.toml); "
                "only --epochs and --data-dir may be given"
            )
        if "epochs" in overrides and overrides["epochs"] != cfg["epochs"] and cfg["scheduler"] in ("onecycle", "cosine"):
            raise UsageError(
                f"cannot change epochs from {cfg['epochs']} when resuming a run with scheduler {cfg['scheduler']!r}: "
                "its schedule is laid out over the original number of epochs. To train for "
                f"{overrides['epochs']} epochs, start a new run with the same settings: "
                f"`ember train --config {run_dir / CONFIG_FILE} --epochs {overrides['epochs']} --run-dir NEW_DIR` "
                "(runs with --scheduler step, plateau or none can be extended with --resume --epochs)"
            )
        try:
            cfg = validate_config(overrides, cfg)
        except ConfigError as e:
            raise UsageError(str(e)) from None
    else:
        try:
            cfg = validate_config(config or {})
        except ConfigError as e:
            raise UsageError(str(e)) from None
        cfg = resolve_defaults(cfg)
        run_dir = Path(run_dir) if run_dir is not None else default_run_dir(cfg)
        if ddp is not None:  # rank 0's choice (a default name holds a timestamp)
            run_dir = Path(ddp.broadcast(str(run_dir)))
        if (run_dir / CONFIG_FILE).exists():
            raise UsageError(
                f"{str(run_dir)!r} already holds a run; continue it with `ember train --resume {run_dir}` "
                "or choose another --run-dir"
            )
    cfg = resolve_defaults(cfg)

    data = load_data(cfg)
    meta = data.meta
    ember.manual_seed(cfg["seed"])
    model = build_model(cfg, meta, explicit=explicit, log=log)
    _check_forward(model, data.x_train, meta["num_classes"], cfg["model"], cfg["dataset"])
    from ember import nn

    if ddp is not None:  # also a barrier: every rank has checked the run directory before rank 0 writes it
        model = ddp.wrap(model)
        train_loader = ddp.loader(data.x_train, data.y_train, cfg["batch_size"], cfg["seed"])
    else:
        train_loader = _loader(data.x_train, data.y_train, cfg["batch_size"], shuffle=True, seed=cfg["seed"])
    eval_bs = max(256, cfg["batch_size"])
    val_loader = _loader(data.x_val, data.y_val, eval_bs) if data.x_val is not None else None
    test_loader = _loader(data.x_test, data.y_test, eval_bs)
    try:
        optimizer = build_optimizer(cfg, model.parameters())
        scheduler = build_scheduler(cfg, optimizer, len(train_loader))
    except ValueError as e:
        raise UsageError(f"optimizer/scheduler settings: {e}") from None

    monitor = "val_loss" if val_loader is not None else "loss"
    callbacks: list[Any] = []
    if writer:
        run_dir.mkdir(parents=True, exist_ok=True)
        checkpoint = ModelCheckpoint(run_dir, monitor=monitor, extra={"config": dict(cfg), "meta": dict(meta)})
        callbacks = [checkpoint, CSVLogger(run_dir / METRICS_FILE, append=resume)]
    if scheduler is not None:
        callbacks.append(LRSchedulerCallback(scheduler, monitor=monitor))
    if cfg["early_stopping"]:
        callbacks.append(EarlyStopping(monitor=monitor, patience=cfg["early_stopping"]))
    callbacks.append(ProgressBar(stream=progress_stream, quiet=quiet))
    callbacks += _observers(cfg, run_dir, model, meta, log=None if quiet or resume else log, writer=bool(writer))
    trainer = Trainer(
        model,
        optimizer,
        nn.CrossEntropyLoss(),
        callbacks=callbacks,
        scheduler=scheduler,
        l1=cfg["l1"],
        grad_clip=cfg["grad_clip"] or None,
        seed=cfg["seed"],
    )
    trainer.train_loader = train_loader
    finishing, stopped = False, None
    if resume and not (run_dir / LAST).is_file():
        # Killed after config.toml and before the first checkpoint: nothing was trained, start over.
        if not quiet:
            log(f"{run_dir} has no checkpoint yet; starting its training from the beginning")
    elif resume:
        try:
            epoch = trainer.load_checkpoint(run_dir / LAST, train_loader)
        except Exception as e:  # noqa: BLE001 - a checkpoint that does not fit is the user's to fix
            raise RunError(f"cannot resume from {run_dir / LAST}: {e}") from None
        if writer:  # only the process that writes the run directory repairs it
            _repair_best(run_dir, checkpoint, epoch, log)
        stopped = next((c.stopped_epoch for c in callbacks if isinstance(c, EarlyStopping)), None)
        finishing = epoch >= cfg["epochs"] or stopped is not None
        if finishing and _is_complete(run_dir, epoch):
            raise UsageError(
                f"{str(run_dir)!r} already completed {epoch} of {cfg['epochs']} epochs; "
                + ("it stopped early, so training longer would not change it" if stopped is not None else
                   "pass --epochs with a larger number to train longer")
            )
        if stopped is not None:
            trainer.history.stopped_epoch = stopped
        if not finishing:
            (run_dir / "report.html").unlink(missing_ok=True)  # derived from a summary this run will replace
        if not quiet:
            log(f"finishing {run_dir}: writing its summary, plots and report" if finishing
                else f"resuming {run_dir} after epoch {epoch} of {cfg['epochs']}")
    else:
        comments = (
            f"ember {ember.__version__} training run, created {_dt.datetime.now().isoformat(timespec='seconds')}",
            f"reproduce with: ember train --config {run_dir / CONFIG_FILE}",
        )
        if writer:
            _write_text(run_dir / CONFIG_FILE, dump_config(cfg, comments))

    n_params = sum(p.numel() for p in model.parameters())
    if not quiet and not resume:
        shape = "x".join(map(str, meta["input_shape"]))
        log(
            f"training {cfg['model']} ({n_params:,} parameters) on {cfg['dataset']}: {meta['n_train']} train / "
            f"{meta['n_val']} validation / {meta['n_test']} test samples of {shape}, {meta['num_classes']} classes; "
            f"run directory {run_dir}"
        )
    start = time.perf_counter()
    with _blas_threads(threads, n_params):
        try:
            # Finishing a run whose epochs are all done: fit trains nothing, but its end (restoring the
            # early-stopping best weights) is what the summary's test metrics are computed after.
            history = trainer.fit(train_loader, val_loader, epochs=trainer.epoch if finishing else cfg["epochs"])
        except FloatingPointError as e:
            raise RunError(str(e)) from None
    train_time = time.perf_counter() - start
    prev = _read_summary(run_dir) if resume else {}
    train_time += float(prev.get("train_time_s", 0.0) or 0.0)

    if history.interrupted:
        status = "interrupted"
        summary = _summary(cfg, meta, history, status, train_time, None, n_params)
        summary["resume_with"] = f"ember train --resume {run_dir}"
        if writer:
            _write_json(run_dir / SUMMARY_FILE, summary)
        return RunResult(run_dir, status, summary, history, unwrap(model))

    status = "stopped_early" if history.stopped_epoch is not None and history.stopped_epoch < cfg["epochs"] else "finished"
    with _blas_threads(threads, n_params):
        test_logs, out, y = trainer.evaluate(test_loader, return_outputs=True)
    summary = _summary(cfg, meta, history, status, train_time, test_logs, n_params)
    if ddp is not None:
        summary["processes"] = ddp.world
    if writer:
        _write_json(run_dir / SUMMARY_FILE, summary)
        make_plots(run_dir, history, meta, unwrap(model), (data.x_test, y, out), log=log)
        write_run_report(run_dir)
    return RunResult(run_dir, status, summary, history, unwrap(model))


def _checkpoint_epoch(path: Path) -> int | None:
    try:
        return int(ember.load(path)["epoch"])
    except Exception:  # noqa: BLE001 - missing, torn by a foreign writer, or not ours: it gets rewritten
        return None


def _repair_best(run_dir: Path, checkpoint: ModelCheckpoint, epoch: int, log: Log) -> None:
    """Make ``checkpoint-best.pt`` the epoch ``checkpoint-last.pt`` records as best.

    The last checkpoint is written first and records which epoch was best; a kill before the best
    file was updated leaves it an epoch behind, which is repaired from the last checkpoint.
    """
    best = checkpoint.best_epoch
    if not checkpoint.save_best or best is None or _checkpoint_epoch(run_dir / BEST) == best:
        return
    if best != epoch:
        log(f"warning: {run_dir / BEST} does not hold epoch {best}, the best one, and it cannot be rebuilt")
        return
    from .callbacks import _copy_atomic

    _copy_atomic(run_dir / LAST, run_dir / BEST)


def _is_complete(run_dir: Path, epoch: int) -> bool:
    """True if the derived files of a run whose training is done were all written (report.html comes last)."""
    try:
        summary = _read_summary(run_dir)
    except (OSError, ValueError):
        return False
    return (
        summary.get("status") in ("finished", "stopped_early")
        and summary.get("epochs_completed") == epoch
        and (run_dir / "report.html").is_file()
    )


# ---------------------------------------------------------------------------------------- use a run
def load_run(run_dir: str | os.PathLike, checkpoint: str = "auto") -> tuple[dict[str, Any], dict[str, Any], Any]:
    """``(config, meta, model)`` of a run, the model in eval mode with the chosen checkpoint's weights.

    ``checkpoint``: ``'best'``, ``'last'``, or ``'auto'`` (best if the run used early stopping, else
    last: the weights the run's own test metrics were computed with), or a file path.
    """
    run_dir = Path(run_dir)
    cfg = read_config(run_dir)
    if checkpoint == "auto":
        checkpoint = "best" if cfg["early_stopping"] else "last"
    path = {"best": run_dir / BEST, "last": run_dir / LAST}.get(checkpoint, Path(checkpoint))
    if not path.is_file():
        raise UsageError(f"no checkpoint {str(path)!r}; the run may not have completed an epoch")
    try:
        state = ember.load(path)
    except Exception as e:  # noqa: BLE001
        raise RunError(f"cannot read {path}: {e}") from None
    meta = state.get("meta") or _read_summary(run_dir)
    if not meta or "input_shape" not in meta:
        raise RunError(f"{path} has no record of the model's input shape and classes")
    meta = dict(meta)
    model = build_model(cfg, meta, log=lambda _m: None)
    try:
        model.load_state_dict(state["model"])
    except Exception as e:  # noqa: BLE001
        raise RunError(f"{path} does not fit the model {cfg['model']!r}: {e}") from None
    model.eval()
    return cfg, meta, model


def export_run(run_dir: str | os.PathLike, output: str | os.PathLike, checkpoint: str = "auto",
               opset_version: int | None = None) -> tuple[str, tuple]:
    """Export a run's model to ONNX at ``output`` with a dynamic batch; returns (path, input shape)."""
    try:
        import ember.onnx as eonnx

        eonnx._export._require_onnx()
    except ImportError as e:
        raise UsageError(str(e)) from None
    _cfg, meta, model = load_run(run_dir, checkpoint)
    shape = tuple(int(s) for s in meta["input_shape"])
    example = ember.zeros((2,) + shape)
    try:
        eonnx.export(model, (example,), os.fspath(output), input_names=["input"], output_names=["logits"],
                     opset_version=opset_version, dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    except (eonnx.OnnxExporterError, ValueError) as e:
        raise RunError(str(e)) from None
    except OSError as e:
        raise UsageError(f"cannot write {os.fspath(output)!r}: {e.strerror or e}") from None
    return os.fspath(output), shape


def evaluate_run(
    run_dir: str | os.PathLike,
    dataset: str | None = None,
    data_dir: str | None = None,
    checkpoint: str = "auto",
    split: str = "test",
) -> dict[str, Any]:
    """Loss and accuracy of a trained run on a dataset's test (or train) split."""
    from ember import nn

    cfg, meta, model = load_run(run_dir, checkpoint)
    name = dataset or cfg["dataset"]
    source = dict(cfg, data_dir=data_dir if data_dir is not None else cfg["data_dir"])
    raw, y, _ = _dataset_arrays(name, source, train=(split == "train"))
    x, _ = _as_inputs(raw, name)
    if list(x.shape[1:]) != list(meta["input_shape"]):
        raise UsageError(
            f"dataset {name!r} has inputs of shape {tuple(x.shape[1:])}, but the model of this run takes "
            f"{tuple(meta['input_shape'])} (trained on {meta.get('dataset', cfg['dataset'])!r})"
        )
    if len(y) and int(y.max()) >= int(meta["num_classes"]):
        raise UsageError(f"dataset {name!r} has label {int(y.max())}, but the model has {meta['num_classes']} classes")
    trainer = Trainer(model, _NoOptimizer(), nn.CrossEntropyLoss(), progress=False, handle_interrupt=False)
    logs = trainer.evaluate(_loader(x, y, 512))
    return {"dataset": name, "split": split, "samples": len(y), **logs}


class _NoOptimizer:
    """Stands in for an optimizer where a Trainer only evaluates."""

    param_groups = [{"lr": 0.0, "params": []}]

    def state_dict(self) -> dict[str, Any]:
        return {}


def _read_input(path: Path, shape: tuple[int, ...], scale: float) -> np.ndarray:
    """One or more samples ``(n, *shape)`` from an image or a ``.npy`` file."""
    if path.suffix.lower() == ".npy":
        try:
            a = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise RunError(f"{path}: cannot read: {e}") from None
        if a.dtype.kind in "iu" and scale != 1.0:
            a = a.astype(np.float32) / np.float32(scale)
        a = a.astype(np.float32)
        if a.shape == shape:
            return a[None]
        if a.ndim >= 1 and a.shape[1:] == shape:
            return a
        if len(shape) == 3 and shape[0] == 1 and a.shape[-2:] == shape[1:] and a.ndim in (2, 3):
            return a.reshape(-1, *shape)
        if a.size % int(np.prod(shape)) == 0 and a.shape[-1] == int(np.prod(shape)):
            return a.reshape(-1, *shape)
        raise UsageError(f"{path}: array of shape {a.shape} does not fit the model's input shape {shape}")
    if len(shape) != 3:
        raise UsageError(f"{path}: this model takes feature vectors of shape {shape}; give a .npy file")
    try:
        from PIL import Image
    except ImportError:
        raise RunError("reading images needs Pillow: pip install 'ember[image]' (or give .npy files)") from None
    try:
        with Image.open(path) as img:
            img = img.convert("L" if shape[0] == 1 else "RGB").resize((shape[2], shape[1]), Image.BILINEAR)
            a = np.asarray(img, dtype=np.float32) / np.float32(255.0)
    except OSError as e:
        raise RunError(f"{path}: cannot read the image: {e}") from None
    a = a[None] if a.ndim == 2 else np.moveaxis(a, -1, 0)
    return a[None]


def _input_warnings(path: Path, x: np.ndarray, meta: Mapping[str, Any], invert: bool, run_dir) -> list[str]:
    """Why the model may not recognise this input: a big downscale, or the opposite polarity."""
    shape = tuple(int(s) for s in meta["input_shape"])
    if len(shape) != 3 or path.suffix.lower() == ".npy":
        return []
    dataset = meta.get("dataset", "its training data")
    warnings = []
    try:
        from PIL import Image

        with Image.open(path) as img:
            w, h = img.size
    except (ImportError, OSError):
        w, h = shape[2], shape[1]
    factor = (w * h) / float(shape[1] * shape[2])
    if factor >= 4:
        warnings.append(
            f"{path} is {w}x{h} pixels; the model of {run_dir} takes {shape[2]}x{shape[1]} images (trained on "
            f"{dataset}), so it was shrunk {factor:.0f}x in area and fine detail is lost: predictions may be wrong")
    expected = meta.get("background")
    if expected in ("dark", "light") and x.ndim == 4:
        got = _background(x)
        if got != expected:
            hint = "" if invert else " (pass --invert for dark drawings on light paper)"
            warnings.append(
                f"{path} has a {got} background but {dataset} images have a {expected} one{hint}: "
                "predictions may be wrong")
    return warnings


def predict_files(
    run_dir: str | os.PathLike,
    files: Sequence[str | os.PathLike],
    top_k: int = 3,
    checkpoint: str = "auto",
    invert: bool = False,
    log: Log = _stderr,
) -> list[dict[str, Any]]:
    """Top-``k`` classes with probabilities for every sample in ``files`` (images or ``.npy`` arrays).

    Images are converted to the model's channels and resized to its input size; ``invert`` flips
    dark-on-light drawings to the light-on-dark of MNIST and digits. An image that unlike the
    training data (shrunk a lot, or with the opposite background) gets a warning through ``log``:
    the answer for it is unlikely to mean much.
    """
    if top_k < 1:
        raise UsageError(f"--top-k must be >= 1, got {top_k}")
    _, meta, model = load_run(run_dir, checkpoint)
    shape = tuple(int(s) for s in meta["input_shape"])
    classes = list(meta["classes"])
    results = []
    for f in files:
        path = Path(f)
        if not path.is_file():
            raise UsageError(f"no such file: {str(path)!r}")
        x = _read_input(path, shape, float(meta.get("scale", 255.0)))
        if invert:
            x = 1.0 - x
        for warning in _input_warnings(path, x, meta, invert, run_dir):
            log(f"warning: {warning}")
        with ember.no_grad():
            probs = ember.nn.functional.softmax(model(ember.from_numpy(np.ascontiguousarray(x))), dim=1).numpy()
        k = min(top_k, probs.shape[1])
        for i, p in enumerate(probs):
            order = np.argsort(-p, kind="stable")[:k]
            results.append({
                "file": str(path),
                "index": i if len(probs) > 1 else None,
                "top": [(classes[j] if j < len(classes) else str(j), float(p[j])) for j in order],
            })
    return results
