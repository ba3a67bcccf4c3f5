"""Callbacks: code that runs at fixed points of ``Trainer.fit`` (early stopping, checkpoints, logging).

A callback overrides any of the hooks below; ``epoch`` is 0-based (like Keras), ``logs`` is the dict
of the epoch's values (``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, ``lr``, ``time``).
``self.trainer`` is the `ember.training.Trainer` running it; setting
``self.trainer.stop_training = True`` ends training after the current epoch.

Callbacks run in ascending ``order`` (then in the order given): the learning-rate scheduler first,
then early stopping, user callbacks, the CSV log, checkpoints (which save everybody's state, so
they come last but one) and the progress bar.
"""

from __future__ import annotations

import csv
import io
import math
import os
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any, TextIO

import ember
from ember.serialization._io import atomic_write

from . import csvlog as _csvlog
from . import progress as _progress
from .history import resolve_mode

__all__ = [
    "TensorBoard",
    "CSVLogger",
    "Callback",
    "EarlyStopping",
    "LRSchedulerCallback",
    "ModelCheckpoint",
    "ProgressBar",
]


class Callback:
    """Base class: every hook does nothing. ``state_dict``/``load_state_dict`` make a callback resumable."""

    order: int = 50
    trainer: Any = None

    def set_trainer(self, trainer: Any) -> None:
        self.trainer = trainer

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None: ...

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None: ...

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None: ...

    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...

    def on_interrupt(self, epoch: int) -> None:
        """Ctrl-C stopped training during ``epoch`` (0-based); that epoch is abandoned."""

    def state_dict(self) -> dict[str, Any]:
        """What must survive a resume (saved in checkpoints)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what `state_dict` returned."""


class _Monitor:
    """Reads a monitored value from the logs, falling back from ``val_X`` to ``X`` when there is no validation."""

    def __init__(self, owner: str, monitor: str, mode: str) -> None:
        self.owner = owner
        self.monitor = monitor
        self.mode = resolve_mode(monitor, mode)
        self._warned = False

    def value(self, logs: dict[str, Any] | None) -> float | None:
        logs = logs or {}
        key = self.monitor
        if logs.get(key) is None and key.startswith("val_") and logs.get(key[4:]) is not None:
            if not self._warned:
                warnings.warn(
                    f"{self.owner}: no {key!r} in the logs (no validation data?); monitoring {key[4:]!r} instead",
                    stacklevel=3,
                )
                self._warned = True
            key = key[4:]
        v = logs.get(key)
        if v is None:
            if not self._warned:
                warnings.warn(
                    f"{self.owner}: {self.monitor!r} is not in the logs; available: {', '.join(logs) or 'none'}",
                    stacklevel=3,
                )
                self._warned = True
            return None
        v = float(v)
        return None if math.isnan(v) else v

    def improved(self, value: float, best: float | None, min_delta: float = 0.0) -> bool:
        if best is None:
            return True
        if self.mode == "min":
            return value < best - min_delta
        return value > best + min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    Args:
        monitor: the value to watch (``'val_loss'``, ``'val_accuracy'``, ...). Without validation
            data ``val_X`` falls back to ``X`` (with a warning).
        patience: epochs without improvement before stopping.
        min_delta: smallest change that counts as an improvement.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (min for losses, max otherwise).
        restore_best_weights: at the end of training, load the weights of the best epoch.
    """

    order = 20

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = True,
    ) -> None:
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        if min_delta < 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta}")
        self._monitor = _Monitor("EarlyStopping", monitor, mode)
        self.monitor = monitor
        self.mode = self._monitor.mode
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.restore_best_weights = restore_best_weights
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.wait = 0
        self.stopped_epoch: int | None = None
        self.best_weights: dict[str, Any] | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        value = self._monitor.value(logs)
        if value is None:
            return
        if self._monitor.improved(value, self.best, self.min_delta):
            self.best, self.best_epoch, self.wait = value, epoch + 1, 0
            if self.restore_best_weights:
                self.best_weights = {k: v.detach().clone() for k, v in self.trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch + 1
            self.trainer.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        interrupted = getattr(getattr(self.trainer, "history", None), "interrupted", False)
        if self.restore_best_weights and self.best_weights is not None and not interrupted:
            self.trainer.model.load_state_dict(self.best_weights)

    def state_dict(self) -> dict[str, Any]:
        return {
            "best": self.best,
            "best_epoch": self.best_epoch,
            "wait": self.wait,
            "stopped_epoch": self.stopped_epoch,
            "best_weights": self.best_weights,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = None if state.get("best") is None else float(state["best"])
        self.best_epoch = state.get("best_epoch")
        self.wait = int(state.get("wait", 0))
        self.stopped_epoch = state.get("stopped_epoch")
        self.best_weights = state.get("best_weights")

    def __repr__(self) -> str:
        return f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, mode={self.mode!r})"


def _copy_atomic(src: Path, dst: Path) -> None:
    with open(src, "rb") as f, atomic_write(dst) as out:
        shutil.copyfileobj(f, out, 1 << 20)


class ModelCheckpoint(Callback):
    """Save resumable checkpoints: the latest epoch and the best one by ``monitor``.

    Each checkpoint is a dict written with ``ember.save`` (atomically: a crash mid-save leaves the
    previous file intact) holding ``model`` (state dict), ``optimizer``, ``scheduler``, ``rng``
    (``ember.get_rng_state()``), ``data_rng`` (the train loader's generator state), ``epoch``
    (epochs completed), ``history`` and ``callbacks`` (every callback's state); see
    `Trainer.checkpoint`. ``Trainer.load_checkpoint`` restores all of it.

    ``checkpoint-last.pt`` always holds the state at an epoch boundary: it is written when training
    begins (if absent) and after every epoch, so it is the point to resume from after Ctrl-C.

    Args:
        dir: folder for the files (created).
        monitor: the value deciding which epoch is best (``val_X`` falls back to ``X``).
        save_best: keep ``checkpoint-best.pt``.
        save_last: keep ``checkpoint-last.pt``.
        mode: ``'min'``, ``'max'`` or ``'auto'``.
        extra: more entries stored in every checkpoint (e.g. the run's configuration).
    """

    order = 90
    best_name = "checkpoint-best.pt"
    last_name = "checkpoint-last.pt"

    def __init__(
        self,
        dir: str | os.PathLike,
        monitor: str = "val_loss",
        save_best: bool = True,
        save_last: bool = True,
        mode: str = "auto",
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.dir = Path(dir)
        self.monitor = monitor
        self._monitor = _Monitor("ModelCheckpoint", monitor, mode)
        self.mode = self._monitor.mode
        self.save_best = save_best
        self.save_last = save_last
        self.extra = dict(extra or {})
        self.best: float | None = None
        self.best_epoch: int | None = None

    @property
    def best_path(self) -> Path:
        return self.dir / self.best_name

    @property
    def last_path(self) -> Path:
        return self.dir / self.last_name

    def _save(self, epoch: int) -> Path:
        state = self.trainer.checkpoint(epoch=epoch, extra=self.extra)
        path = self.last_path if self.save_last else self.best_path
        ember.save(state, path)
        return path

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.save_last and not self.last_path.exists():
            self._save(self.trainer.initial_epoch)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        value = self._monitor.value(logs)
        improved = value is not None and self._monitor.improved(value, self.best)
        if improved:
            self.best, self.best_epoch = value, epoch + 1
        if self.save_last or (self.save_best and improved):
            written = self._save(epoch + 1)  # after updating `best`, so the checkpoint records it
            if self.save_best and improved and written != self.best_path:
                _copy_atomic(written, self.best_path)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = None if state.get("best") is None else float(state["best"])
        self.best_epoch = state.get("best_epoch")

    def __repr__(self) -> str:
        return f"ModelCheckpoint({str(self.dir)!r}, monitor={self.monitor!r})"


_PER_STEP_SCHEDULERS = ("OneCycleLR", "CyclicLR")


class LRSchedulerCallback(Callback):
    """Step a learning-rate scheduler: after every batch or after every epoch.

    Args:
        scheduler: an ``ember.optim.lr_scheduler`` scheduler.
        interval: ``'step'`` (after each optimizer step), ``'epoch'``, or ``'auto'``: per step for
            ``OneCycleLR`` and ``CyclicLR``, per epoch otherwise.
        monitor: the value passed to ``ReduceLROnPlateau.step`` (``val_X`` falls back to ``X``).
    """

    order = 10

    def __init__(self, scheduler: Any, interval: str = "auto", monitor: str = "val_loss") -> None:
        if interval not in ("auto", "step", "epoch"):
            raise ValueError(f"LRSchedulerCallback: interval must be 'auto', 'step' or 'epoch', got {interval!r}")
        if interval == "auto":
            interval = "step" if type(scheduler).__name__ in _PER_STEP_SCHEDULERS else "epoch"
        self.scheduler = scheduler
        self.interval = interval
        self.monitor = monitor
        self._plateau = type(scheduler).__name__ == "ReduceLROnPlateau"
        self._monitor = _Monitor("LRSchedulerCallback", monitor, "min")

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.interval == "step":
            self.scheduler.step()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.interval != "epoch":
            return
        if self._plateau:
            value = self._monitor.value(logs)
            if value is not None:
                self.scheduler.step(value)
        else:
            self.scheduler.step()

    def __repr__(self) -> str:
        return f"LRSchedulerCallback({type(self.scheduler).__name__}, interval={self.interval!r})"


class ProgressBar(Callback):
    """One `ember.training.progress.ProgressBar` per epoch: a live tqdm bar on a terminal,
    one line per epoch otherwise (logs, CI), nothing with ``quiet=True``.

    Args:
        stream: where to write (default ``sys.stderr``).
        quiet: print nothing.
        use_tqdm: force (True) or forbid (False) the live bar; ``None`` decides by TTY.
        log_every: seconds between intermediate lines on the plain path (default 5: a long epoch in
            a log or without tqdm still shows that it moves; ``None``: one line per epoch).
    """

    order = 95

    def __init__(
        self,
        stream: TextIO | None = None,
        quiet: bool = False,
        use_tqdm: bool | None = None,
        log_every: float | None = 5.0,
    ) -> None:
        self.stream = stream
        self.quiet = quiet
        self.use_tqdm = use_tqdm
        self.log_every = log_every
        self._bar: _progress.ProgressBar | None = None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        epochs = getattr(self.trainer, "epochs", None)
        self._bar = _progress.ProgressBar(
            total=getattr(self.trainer, "samples_per_epoch", None),
            desc=f"epoch {epoch + 1}/{epochs}" if epochs else f"epoch {epoch + 1}",
            stream=self.stream if self.stream is not None else sys.stderr,
            quiet=self.quiet,
            use_tqdm=self.use_tqdm,
            log_every=self.log_every,
        )

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._bar is not None and logs:
            postfix = {k: v for k, v in logs.items() if k not in ("size", "batch")}
            self._bar.update(int(logs.get("size", 1)), **postfix)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self._bar is None:
            return
        shown = {k: v for k, v in (logs or {}).items() if k not in ("time",) and v is not None}
        self._bar.update(0, **shown)
        self._bar.close()
        self._bar = None

    def on_interrupt(self, epoch: int) -> None:
        if self._bar is not None:
            self._bar.quiet = True  # no summary line for an abandoned epoch (a live bar just closes)
            self._bar.close()
            self._bar = None


class CSVLogger(Callback, _csvlog.CSVLogger):
    """Write one CSV row per epoch (``epoch`` then every logged value): a callback around
    `ember.training.csvlog.CSVLogger`, whose ``log(row)`` it keeps.

    Args:
        path: the CSV file.
        append: continue an existing file (resuming); rows of epochs after the resumed one
            (written before an interruption) are dropped first, so the file matches the run.
    """

    order = 80

    def __init__(self, path: str | os.PathLike, append: bool = False) -> None:
        _csvlog.CSVLogger.__init__(self, path, append=append)
        self.append = append

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not (self.append and self.path.exists()):
            return
        start = int(getattr(self.trainer, "initial_epoch", 0))
        with self.path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        if not rows or "epoch" not in rows[0]:
            return
        col = rows[0].index("epoch")
        kept = [rows[0]] + [r for r in rows[1:] if r and r[col].strip().isdigit() and int(r[col]) <= start]
        if len(kept) == len(rows):
            return
        text = io.StringIO(newline="")
        csv.writer(text).writerows(kept)
        with atomic_write(self.path) as f:
            f.write(text.getvalue().encode("utf-8"))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.log({"epoch": epoch + 1, **(logs or {})})

    def __repr__(self) -> str:
        return f"CSVLogger({str(self.path)!r})"


class TensorBoard(Callback):
    """Log the run for TensorBoard: the training loss of every step, and every epoch's logs
    (``loss``, ``accuracy``, ``val_*``, ``lr``) as scalars, into ``log_dir`` (``ember[tensorboard]``).

    Steps and epochs continue across a resumed run (the trainer's history says where it stands).
    """

    def __init__(self, log_dir: str | os.PathLike) -> None:
        from ember.utils.tensorboard.writer import SummaryWriter, _tb

        _tb()  # the package itself: a missing extra fails here, before training, not when the writer opens

        self.log_dir = os.fspath(log_dir)
        self._writer_cls = SummaryWriter
        self.writer = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.writer = self._writer_cls(self.log_dir)

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        steps = self.trainer.history.loss_steps if self.trainer is not None else []
        if self.writer is not None and steps:
            self.writer.add_scalar("loss/step", steps[-1], len(steps))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.writer is None:
            return
        for key, value in (logs or {}).items():
            if key == "time" or not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            base = key.removeprefix("val_")
            tag = f"{base}/{'validation' if key.startswith('val_') else 'train'}" if base != "lr" else "lr"
            self.writer.add_scalar(tag, value, epoch + 1)
        self.writer.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    on_interrupt = on_train_end
