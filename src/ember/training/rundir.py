"""A run directory's files: their names, writing them atomically, reading them back, loading its model.

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

import datetime as _dt
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ember
from ember.serialization._io import atomic_write

from .callbacks import ModelCheckpoint, _copy_atomic
from .config import ConfigError, load_config
from .errors import Log, RunError, UsageError
from .factories import build_model

__all__ = ["default_run_dir", "load_run", "read_config"]

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


def write_text(path: Path, text: str) -> None:
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


def write_json(path: Path, obj: Mapping[str, Any]) -> None:
    write_text(path, json.dumps(_clean(json.loads(json.dumps(obj, default=_json_default))), indent=2) + "\n")


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


def read_summary(run_dir: Path) -> dict[str, Any]:
    path = run_dir / SUMMARY_FILE
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def checkpoint_epoch(path: Path) -> int | None:
    try:
        return int(ember.load(path)["epoch"])
    except Exception:  # noqa: BLE001 - missing, torn by a foreign writer, or not ours: it gets rewritten
        return None


def repair_best(run_dir: Path, checkpoint: ModelCheckpoint, epoch: int, log: Log) -> None:
    """Make ``checkpoint-best.pt`` the epoch ``checkpoint-last.pt`` records as best.

    The last checkpoint is written first and records which epoch was best; a kill before the best
    file was updated leaves it an epoch behind, which is repaired from the last checkpoint.
    """
    best = checkpoint.best_epoch
    if not checkpoint.save_best or best is None or checkpoint_epoch(run_dir / BEST) == best:
        return
    if best != epoch:
        log(f"warning: {run_dir / BEST} does not hold epoch {best}, the best one, and it cannot be rebuilt")
        return
    _copy_atomic(run_dir / LAST, run_dir / BEST)


def is_complete(run_dir: Path, epoch: int) -> bool:
    """True if the derived files of a run whose training is done were all written (report.html comes last)."""
    try:
        summary = read_summary(run_dir)
    except (OSError, ValueError):
        return False
    return (
        summary.get("status") in ("finished", "stopped_early")
        and summary.get("epochs_completed") == epoch
        and (run_dir / "report.html").is_file()
    )


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
    meta = state.get("meta") or read_summary(run_dir)
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
