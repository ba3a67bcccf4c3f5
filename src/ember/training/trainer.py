"""``Trainer``: the fit loop, with metrics, callbacks, schedulers, L1, gradient clipping and resumable checkpoints.

The loop is the one every PyTorch tutorial writes by hand::

    model.train()
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

plus the bookkeeping around it. Each piece is usable on its own from a plain loop: the streaming
metrics (``ember.training.metrics``), ``History``, the ``ProgressBar`` widget, ``CSVLogger``,
the plots and the report.

Reproducibility: with ``seed`` set, every epoch starts by re-seeding the train loader's generator
and ember's default generator from ``(seed, epoch)``. The data order and dropout masks of epoch
``k`` are then a function of the seed and ``k`` only, so a run resumed from a checkpoint after
epoch ``k`` ends with exactly the weights of an uninterrupted run.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import ember
from ember import _malloc

from .callbacks import Callback, LRSchedulerCallback, ProgressBar
from .distributed import all_reduce_logs, process_rank, sampler_epoch, unwrap
from .history import History
from .metrics import Accuracy, Metric, RunningMean, TopKAccuracy

__all__ = ["Trainer", "epoch_seed"]


def epoch_seed(seed: int, epoch: int, stream: int = 0) -> int:
    """A 63-bit seed derived from ``(seed, epoch, stream)``: independent streams per epoch."""
    state = np.random.SeedSequence([int(seed) % (2**63), int(epoch), int(stream)]).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


class _FunctionMetric(Metric):
    """A function ``fn(y_true, output) -> float`` averaged over samples (weighted by batch size)."""

    def __init__(self, fn: Callable[[Any, Any], Any], name: str | None = None) -> None:
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "metric")
        super().__init__()

    def reset(self) -> None:
        self._mean = RunningMean(self.name)

    def update(self, y_true: Any, output: Any) -> None:
        self._mean.update(self.fn(y_true, output), len(y_true))

    def compute(self) -> float:
        return self._mean.compute()


def _is_classification_loss(loss_fn: Any) -> bool:
    name = getattr(loss_fn, "__name__", None) or type(loss_fn).__name__
    return name in ("CrossEntropyLoss", "NLLLoss", "cross_entropy", "nll_loss")


def _build_metrics(metrics: Any, loss_fn: Any) -> list[Metric]:
    if metrics is None:
        return [Accuracy()] if _is_classification_loss(loss_fn) else []
    if isinstance(metrics, (str, Metric)) or callable(metrics) and not isinstance(metrics, (list, tuple)):
        metrics = [metrics]
    out: list[Metric] = []
    for m in metrics:
        if isinstance(m, Metric):
            out.append(m)
        elif isinstance(m, str):
            key = m.lower()
            if key in ("accuracy", "acc"):
                out.append(Accuracy())
            elif key.startswith("top") and key.removeprefix("top").split("_")[0].isdigit():
                out.append(TopKAccuracy(int(key.removeprefix("top").split("_")[0])))
            else:
                raise ValueError(f"Trainer: unknown metric {m!r}; use 'accuracy', 'top5', a Metric or a function")
        elif callable(m):
            out.append(_FunctionMetric(m))
        else:
            raise TypeError(f"Trainer: a metric must be a name, a Metric or a function, got {type(m).__name__}")
    names = [m.name for m in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"Trainer: metric names must be unique, got {dupes} more than once")
    return out


def _split_batch(batch: Any) -> tuple[tuple[Any, ...], Any]:
    """``(inputs, target)`` from a loader's batch: ``(x, y)``, ``(x1, x2, ..., y)``, or ``x`` alone."""
    if isinstance(batch, (tuple, list)):
        if len(batch) == 1:
            return (batch[0],), None
        return tuple(batch[:-1]), batch[-1]
    return (batch,), None


def _numpy(x: Any) -> np.ndarray:
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def _batch_size(x: Any) -> int:
    shape = getattr(x, "shape", None)
    return int(shape[0]) if shape else len(x)


def _samples_per_epoch(loader: Any) -> int | None:
    """Samples one pass over ``loader`` yields (for the progress bar), or ``None`` if unknown."""
    try:
        bs = loader.batch_size
        n = len(loader.sampler) if bs is not None else len(loader.dataset)
    except (AttributeError, TypeError):
        return None
    if bs and getattr(loader, "drop_last", False):
        n = n // bs * bs
    return n


class Trainer:
    """Train, evaluate and predict with a model, an optimizer and a loss.

    Args:
        model: an ``ember.nn.Module``.
        optimizer: an ``ember.optim`` optimizer over the model's parameters.
        loss_fn: ``loss_fn(output, target) -> scalar tensor``, e.g. ``nn.CrossEntropyLoss()``.
        metrics: names (``'accuracy'``, ``'top5'``), `ember.training.metrics.Metric`
            objects or functions ``fn(y_true, output) -> float``; ``None`` means accuracy for
            ``CrossEntropyLoss``/``NLLLoss`` and nothing otherwise. Logged as ``name`` and ``val_name``.
        callbacks: `ember.training.callbacks.Callback` objects.
        scheduler: a learning-rate scheduler, stepped per batch (``OneCycleLR``, ``CyclicLR``) or per
            epoch (the others; ``ReduceLROnPlateau`` gets ``val_loss``). See ``LRSchedulerCallback``.
        l1: L1 penalty ``l1 * sum|w|`` on the weights (parameters with 2 or more dimensions, not
            biases or norm scales), added to the gradient as ``l1 * sign(w)``; the logged loss
            excludes it.
        grad_clip: clip the total gradient norm to this value before each step (``None``: off).
        progress: show a progress bar (``True``), or not (``False``), or a ``ProgressBar`` callback.
        seed: re-seed the data order and ember's generator from ``(seed, epoch)`` at every epoch
            (exactly resumable runs); ``None`` leaves the generators alone.
        handle_interrupt: during ``fit``, a first Ctrl-C finishes the current batch and stops
            cleanly (``history.interrupted``); a second one raises ``KeyboardInterrupt``.

    Example:
        >>> trainer = Trainer(model, ember.optim.Adam(model.parameters()), nn.CrossEntropyLoss())
        >>> history = trainer.fit(train_loader, val_loader, epochs=10)
        >>> trainer.evaluate(test_loader)
        {'loss': 0.08, 'accuracy': 0.975}
    """

    def __init__(
        self,
        model: Any,
        optimizer: Any,
        loss_fn: Callable[[Any, Any], Any],
        metrics: Any = None,
        callbacks: Iterable[Callback] | None = None,
        scheduler: Any = None,
        l1: float = 0.0,
        grad_clip: float | None = None,
        progress: bool | ProgressBar = True,
        seed: int | None = None,
        handle_interrupt: bool = True,
    ) -> None:
        if l1 < 0:
            raise ValueError(f"Trainer: l1 must be >= 0, got {l1}")
        if grad_clip is not None and not grad_clip > 0:
            raise ValueError(f"Trainer: grad_clip must be > 0 or None, got {grad_clip}")
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.metrics = _build_metrics(metrics, loss_fn)
        self.l1 = float(l1)
        self.grad_clip = grad_clip
        self.seed = seed
        self.handle_interrupt = handle_interrupt

        cbs = list(callbacks or [])
        for c in cbs:
            if not isinstance(c, Callback):
                raise TypeError(f"Trainer: callbacks must be Callback instances, got {type(c).__name__}")
        if scheduler is not None and not any(
            isinstance(c, LRSchedulerCallback) and c.scheduler is scheduler for c in cbs
        ):
            cbs.append(LRSchedulerCallback(scheduler))
        if isinstance(progress, ProgressBar):
            if progress not in cbs:
                cbs.append(progress)
        elif progress and not any(isinstance(c, ProgressBar) for c in cbs):
            cbs.append(ProgressBar())
        self.callbacks: list[Callback] = sorted(cbs, key=lambda c: c.order)
        for c in self.callbacks:
            c.set_trainer(self)
        if scheduler is None:
            scheduler = next((c.scheduler for c in self.callbacks if isinstance(c, LRSchedulerCallback)), None)
        self.scheduler = scheduler

        self.history = History()
        self.stop_training = False
        self.initial_epoch = 0
        self.epoch = 0  # epochs completed
        self.epochs: int | None = None
        self.train_loader: Any = None
        self.samples_per_epoch: int | None = None
        self.steps_per_epoch: int | None = None
        self._stop_now = False

    # ------------------------------------------------------------------ callbacks
    def _call(self, hook: str, *args: Any) -> None:
        for c in self.callbacks:
            getattr(c, hook)(*args)

    def _callback_keys(self) -> list[str]:
        seen: dict[str, int] = {}
        keys = []
        for c in self.callbacks:
            name = type(c).__name__
            seen[name] = seen.get(name, 0) + 1
            keys.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
        return keys

    # ------------------------------------------------------------------ the loop
    def _seed_epoch(self, epoch: int) -> None:
        sampler_epoch(self.train_loader, epoch)
        if self.seed is None:
            return
        gen = getattr(self.train_loader, "generator", None)
        if gen is not None:
            gen.manual_seed(epoch_seed(self.seed, epoch, 0))
        ember.manual_seed(epoch_seed(self.seed, epoch, 1 + process_rank()))  # own dropout masks per process

    def _lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def _forward_loss(self, inputs: tuple[Any, ...], target: Any) -> tuple[Any, Any]:
        output = self.model(*inputs)
        if target is None:
            raise ValueError("Trainer: the loader's batches have no target; expected (inputs, target) pairs")
        return output, self.loss_fn(output, target)

    def _apply_l1(self) -> None:
        with ember.no_grad():
            for group in self.optimizer.param_groups:
                for p in group["params"]:
                    if p.grad is not None and p.ndim >= 2:
                        g = p.grad._data
                        g += (self.l1 * np.sign(p._data)).astype(g.dtype, copy=False)

    def _train_epoch(self, loader: Any, epoch: int) -> dict[str, float]:
        self.model.train()
        running = RunningMean("loss")
        for m in self.metrics:
            m.reset()
        params = [p for g in self.optimizer.param_groups for p in g["params"]]
        for i, batch in enumerate(loader):
            inputs, target = _split_batch(batch)
            self._call("on_batch_begin", i)
            self.history.lr_steps.append(self._lr())
            self.optimizer.zero_grad()
            output, loss = self._forward_loss(inputs, target)
            loss.backward()
            if self.l1:
                self._apply_l1()
            if self.grad_clip is not None:
                ember.nn.utils.clip_grad_norm_(params, self.grad_clip)
            self.optimizer.step()
            value = float(loss.item())
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"the training loss became {value} in epoch {epoch + 1}, batch {i + 1}: training diverged; "
                    f"try a smaller learning rate (now {self._lr():g}) or gradient clipping"
                )
            n = _batch_size(inputs[0])
            running.update(value, n)
            self.history.loss_steps.append(value)
            if self.metrics:
                y, out = _numpy(target), _numpy(output)
                for m in self.metrics:
                    m.update(y, out)
            self._call("on_batch_end", i, {"size": n, "loss": running.compute()})
            if self._stop_now:
                raise KeyboardInterrupt
        if running.count == 0:
            raise ValueError("Trainer.fit: the training loader produced no batches")
        logs = {"loss": running.compute()}
        logs.update({m.name: float(m.compute()) for m in self.metrics})
        return all_reduce_logs(logs, running.count)

    def fit(self, train_loader: Any, val_loader: Any = None, epochs: int = 1, initial_epoch: int | None = None) -> History:
        """Train for ``epochs`` epochs in total (continuing from ``initial_epoch``); returns the `History`.

        After ``load_checkpoint`` the default ``initial_epoch`` is the checkpoint's epoch, so
        ``fit(..., epochs=N)`` trains the remaining epochs up to ``N``.
        """
        if epochs < 0:
            raise ValueError(f"Trainer.fit: epochs must be >= 0, got {epochs}")
        # Training starts here, so this is where the process-wide allocator tuning belongs (never at import).
        _malloc.tune()
        self.initial_epoch = self.epoch if initial_epoch is None else int(initial_epoch)
        self.epoch = self.initial_epoch
        self.epochs = int(epochs)
        self.train_loader = train_loader
        self.samples_per_epoch = _samples_per_epoch(train_loader)
        try:
            self.steps_per_epoch = len(train_loader)
        except TypeError:
            self.steps_per_epoch = None
        self.stop_training = False
        self._stop_now = False
        self.history.interrupted = False

        restore = self._install_sigint()
        epoch = self.initial_epoch
        try:
            self._call("on_train_begin", {})
            for epoch in range(self.initial_epoch, self.epochs):
                self._seed_epoch(epoch)
                self._call("on_epoch_begin", epoch)
                start = time.perf_counter()
                first_step = len(self.history.lr_steps)
                logs = self._train_epoch(train_loader, epoch)
                # the rate this epoch trained with (its mean over the steps, for per-step schedules)
                lr = float(np.mean(self.history.lr_steps[first_step:])) if len(self.history.lr_steps) > first_step else self._lr()
                if val_loader is not None:
                    logs.update({f"val_{k}": v for k, v in self.evaluate(val_loader).items()})
                    if self._stop_now:
                        raise KeyboardInterrupt
                logs["lr"] = lr
                logs["time"] = time.perf_counter() - start
                self.history.append(epoch + 1, logs)
                self.epoch = epoch + 1
                self._call("on_epoch_end", epoch, logs)
                if self.stop_training:
                    self.history.stopped_epoch = epoch + 1
                    break
        except KeyboardInterrupt:
            self.history.interrupted = True
            self._call("on_interrupt", epoch)
        finally:
            restore()
        self._call("on_train_end", {})
        return self.history

    def _install_sigint(self) -> Callable[[], None]:
        if not self.handle_interrupt or threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = signal.getsignal(signal.SIGINT)
        if previous is not signal.default_int_handler:
            return lambda: None  # someone else (a notebook, a test runner) owns Ctrl-C

        def handler(signum: int, frame: Any) -> None:
            if self._stop_now:
                signal.signal(signal.SIGINT, previous)
                raise KeyboardInterrupt
            self._stop_now = True
            print("\nInterrupted: stopping after this batch (Ctrl-C again to abort at once)", file=sys.stderr)

        signal.signal(signal.SIGINT, handler)
        return lambda: signal.signal(signal.SIGINT, previous)

    def request_stop(self) -> None:
        """Stop ``fit`` after the current batch, as a first Ctrl-C does (the epoch is abandoned)."""
        self._stop_now = True

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, loader: Any, return_outputs: bool = False) -> Any:
        """Loss and metrics over ``loader`` in eval mode without gradients: ``{'loss': ..., 'accuracy': ...}``.

        With ``return_outputs=True`` returns ``(logs, outputs, targets)`` as NumPy arrays too.
        """
        was_training = self.model.training
        self.model.eval()
        running = RunningMean("loss")
        for m in self.metrics:
            m.reset()
        outs, ys = [], []
        try:
            with ember.no_grad():
                for batch in loader:
                    inputs, target = _split_batch(batch)
                    output, loss = self._forward_loss(inputs, target)
                    running.update(float(loss.item()), _batch_size(inputs[0]))
                    y, out = _numpy(target), _numpy(output)
                    for m in self.metrics:
                        m.update(y, out)
                    if return_outputs:
                        outs.append(out)
                        ys.append(y)
        finally:
            self.model.train(was_training)
        if running.count == 0:
            raise ValueError("Trainer.evaluate: the loader produced no batches")
        logs = {"loss": running.compute()}
        logs.update({m.name: float(m.compute()) for m in self.metrics})
        if return_outputs:
            return logs, np.concatenate(outs), np.concatenate(ys)
        return logs

    def predict(self, loader: Any) -> Any:
        """The model's outputs over ``loader`` (batches ``x`` or ``(x, y)``), concatenated: an ember tensor."""
        was_training = self.model.training
        self.model.eval()
        outs = []
        try:
            with ember.no_grad():
                for batch in loader:
                    inputs, _ = _split_batch(batch)
                    outs.append(self.model(*inputs))
        finally:
            self.model.train(was_training)
        if not outs:
            raise ValueError("Trainer.predict: the loader produced no batches")
        return ember.cat(outs)

    # ------------------------------------------------------------------ checkpoints
    def checkpoint(self, epoch: int | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """Everything needed to resume, as a dict for ``ember.save``.

        Keys: ``epoch`` (epochs completed), ``model``, ``optimizer``, ``scheduler`` (or ``None``),
        ``rng`` (``ember.get_rng_state()``), ``data_rng`` (the train loader's generator state or
        ``None``), ``seed``, ``history``, ``callbacks`` (each callback's state), plus ``extra``.
        """
        gen = getattr(self.train_loader, "generator", None)
        state = {
            "epoch": self.epoch if epoch is None else int(epoch),
            "model": unwrap(self.model).state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "rng": ember.get_rng_state(),
            "data_rng": gen.get_state() if gen is not None else None,
            "seed": self.seed,
            "history": self.history.to_dict(),
            "callbacks": {k: c.state_dict() for k, c in zip(self._callback_keys(), self.callbacks)},
        }
        state.update(extra or {})
        return state

    def load_checkpoint(self, checkpoint: Any, train_loader: Any = None) -> int:
        """Restore a checkpoint (a dict from `checkpoint` or a path for ``ember.load``); returns its epoch.

        The next ``fit`` continues from that epoch. ``train_loader`` (if given) gets its generator state back.
        """
        state = ember.load(checkpoint) if not isinstance(checkpoint, dict) else checkpoint
        missing = [k for k in ("model", "optimizer", "epoch") if k not in state]
        if missing:
            raise KeyError(f"Trainer.load_checkpoint: not a Trainer checkpoint, missing {missing}")
        unwrap(self.model).load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        if state.get("rng") is not None:
            ember.set_rng_state(state["rng"])
        loader = train_loader if train_loader is not None else self.train_loader
        gen = getattr(loader, "generator", None)
        if gen is not None and state.get("data_rng") is not None:
            gen.set_state(state["data_rng"])
        if state.get("history") is not None:
            self.history = History.from_dict(state["history"])
        saved = state.get("callbacks") or {}
        for key, c in zip(self._callback_keys(), self.callbacks):
            if key in saved and saved[key]:
                c.load_state_dict(saved[key])
        self.epoch = self.initial_epoch = int(state["epoch"])
        return self.epoch

    def __repr__(self) -> str:
        names = ", ".join(type(c).__name__ for c in self.callbacks)
        return f"Trainer(model={type(self.model).__name__}, optimizer={type(self.optimizer).__name__}, callbacks=[{names}])"
