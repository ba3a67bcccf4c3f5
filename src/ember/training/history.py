"""``History``: what ``Trainer.fit`` returns, the per-epoch record of a run."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["History", "resolve_mode"]

# Columns in the order they are shown (CSV, plots); anything else follows in first-seen order.
_ORDER = ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "time")


def resolve_mode(monitor: str, mode: str = "auto") -> str:
    """``'min'`` or ``'max'``: ``'auto'`` minimises losses and errors and maximises everything else."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    name = monitor.removeprefix("val_")
    minimised = ("loss", "error", "mse", "mae", "perplexity")
    return "min" if any(k in name for k in minimised) else "max"


def _number(value: Any) -> float | None:
    if value is None:
        return None
    item = getattr(value, "item", None)
    if callable(item):
        value = item()
    return float(value)


class History:
    """Per-epoch lists of every logged value, Keras-style.

    ``history.history`` is a dict such as ``{'loss': [...], 'accuracy': [...], 'val_loss': [...],
    'val_accuracy': [...], 'lr': [...], 'time': [...]}``; entry ``i`` belongs to ``history.epoch[i]``
    (1-based). A value missing in some epoch is ``None``, so every list has one entry per epoch.
    ``history['loss']`` is a shortcut for ``history.history['loss']``.

    Attributes:
        history: the per-epoch lists.
        epoch: the 1-based epoch numbers recorded.
        lr_steps: the learning rate of the first parameter group at every optimizer step.
        loss_steps: the training loss of every optimizer step (a one-epoch run's learning curve).
        interrupted: True if ``fit`` was stopped by Ctrl-C (the unfinished epoch is not recorded).
        stopped_epoch: the epoch after which a callback (e.g. early stopping) ended training.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float | None]] = {}
        self.epoch: list[int] = []
        self.lr_steps: list[float] = []
        self.loss_steps: list[float] = []
        self.interrupted = False
        self.stopped_epoch: int | None = None

    def append(self, epoch: int, logs: Mapping[str, Any]) -> None:
        """Record the values of one finished epoch (``epoch`` is 1-based)."""
        n = len(self.epoch)
        for key in sorted(logs, key=lambda k: _ORDER.index(k) if k in _ORDER else len(_ORDER)):
            if key not in self.history:
                self.history[key] = [None] * n
        for key, values in self.history.items():
            values.append(_number(logs.get(key)))
        self.epoch.append(int(epoch))

    def __getitem__(self, key: str) -> list[float | None]:
        try:
            return self.history[key]
        except KeyError:
            raise KeyError(f"History has no {key!r}; recorded: {', '.join(self.history) or 'nothing yet'}") from None

    def __contains__(self, key: object) -> bool:
        return key in self.history

    def __iter__(self) -> Iterator[str]:
        return iter(self.history)

    def __len__(self) -> int:
        return len(self.epoch)

    def keys(self):
        return self.history.keys()

    def last(self, key: str) -> float | None:
        """The value of ``key`` in the latest epoch (``None`` if absent)."""
        values = self.history.get(key)
        return values[-1] if values else None

    def best(self, monitor: str = "val_loss", mode: str = "auto") -> tuple[int, float] | None:
        """``(epoch, value)`` of the best recorded ``monitor`` value, or ``None`` if there is none."""
        mode = resolve_mode(monitor, mode)
        pairs = [
            (e, v) for e, v in zip(self.epoch, self.history.get(monitor, [])) if v is not None and not math.isnan(v)
        ]
        if not pairs:
            return None
        pick = min if mode == "min" else max
        return pick(pairs, key=lambda p: p[1])

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (for checkpoints and JSON)."""
        return {
            "history": {k: list(v) for k, v in self.history.items()},
            "epoch": list(self.epoch),
            "lr_steps": list(self.lr_steps),
            "loss_steps": list(self.loss_steps),
            "interrupted": self.interrupted,
            "stopped_epoch": self.stopped_epoch,
        }

    @classmethod
    def from_dict(cls, state: Mapping[str, Any]) -> History:
        """The inverse of `to_dict`."""
        h = cls()
        h.history = {str(k): [_number(x) for x in v] for k, v in dict(state.get("history", {})).items()}
        h.epoch = [int(e) for e in state.get("epoch", [])]
        lr_steps = state.get("lr_steps", [])
        tolist = getattr(lr_steps, "tolist", None)
        h.lr_steps = [float(x) for x in (tolist() if callable(tolist) else lr_steps)]
        loss_steps = state.get("loss_steps", [])
        tolist = getattr(loss_steps, "tolist", None)
        h.loss_steps = [float(x) for x in (tolist() if callable(tolist) else loss_steps)]
        h.interrupted = bool(state.get("interrupted", False))
        stopped = state.get("stopped_epoch")
        h.stopped_epoch = None if stopped is None else int(stopped)
        return h

    def __repr__(self) -> str:
        return f"History(epochs={len(self)}, keys={list(self.history)})"
