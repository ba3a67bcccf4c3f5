"""Grad mode: whether ops record the graph. ``no_grad`` and friends switch it.

Grad mode and inference mode are per-thread, as in PyTorch: ``no_grad`` in one thread
leaves every other thread recording, and a new thread starts with grad mode on. The flags
live on one ``threading.local`` object read on every op (one C-level attribute lookup).
Anomaly mode is per-process, as PyTorch's is.
Each switch works as a context manager and as a decorator (with or without
parentheses), like PyTorch's.
"""

from __future__ import annotations

import functools
import threading


class _ThreadState(threading.local):
    """This thread's autograd modes; the class attributes are what a new thread starts with."""

    enabled = True  # grad mode: ops record the graph
    inference = False  # inside inference_mode()
    tracer = None  # called as tracer(op, args, result) by every op's door (see autograd/tracing.py)
    saved_hooks = ()  # stack of (pack_hook, unpack_hook) pairs; the last applies (see autograd/graph.py)
    saved_hooks_disabled = None  # the error message while disable_saved_tensors_hooks is active


_state = _ThreadState()


def is_grad_enabled() -> bool:
    """True when ops record the graph for autograd (in this thread)."""
    return _state.enabled


def _set_enabled(mode: bool) -> None:
    _state.enabled = bool(mode)


def _decorate(func, mode: bool):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        prev = _state.enabled
        _set_enabled(mode)
        try:
            return func(*args, **kwargs)
        finally:
            _set_enabled(prev)

    return wrapper


def _inside(func, make_context):
    """``func`` run inside a new ``make_context()`` at every call (one context object cannot be re-entered)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with make_context():
            return func(*args, **kwargs)

    return wrapper


class _GradModeSwitch:
    """Sets grad mode to ``self._mode`` inside ``with`` or a decorated function."""

    _mode = True

    def __new__(cls, *args, **kwargs):
        # ``@no_grad`` without parentheses hands us the function itself.
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return _decorate(args[0], cls._mode)
        return super().__new__(cls)

    def __enter__(self):
        self._prev = _state.enabled
        _set_enabled(self._mode)
        return self

    def __exit__(self, *exc):
        _set_enabled(self._prev)
        return False

    def __call__(self, func):
        return _decorate(func, self._mode)

    def clone(self):
        return self


class no_grad(_GradModeSwitch):
    """Disable graph recording: ``with ember.no_grad(): ...`` or ``@ember.no_grad()``."""

    _mode = False


class enable_grad(_GradModeSwitch):
    """Enable graph recording, e.g. inside a ``no_grad`` block."""

    _mode = True


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (in this thread)."""
    return _state.inference


class inference_mode(_GradModeSwitch):
    """``inference_mode(mode=True)``: like ``no_grad`` (ember has no separate inference tensors)."""

    _mode = False

    def __new__(cls, mode=True):
        if callable(mode):  # ``@inference_mode`` without parentheses
            return cls()(mode)
        return object.__new__(cls)

    def __init__(self, mode: bool = True):
        if callable(mode):
            return
        self._mode = not mode
        self._inference = bool(mode)

    def __enter__(self):
        self._prev_inference = _state.inference
        _state.inference = self._inference
        return super().__enter__()

    def __exit__(self, *exc):
        _state.inference = self._prev_inference
        return super().__exit__(*exc)

    def __call__(self, func):
        return _inside(func, lambda: inference_mode(self._inference))


class set_grad_enabled(_GradModeSwitch):
    """Set grad mode to ``mode``: at once when called (like PyTorch), undone on ``with`` exit."""

    def __new__(cls, mode: bool):
        return object.__new__(cls)

    def __init__(self, mode: bool):
        self._prev = _state.enabled
        self._mode = bool(mode)
        _set_enabled(self._mode)

    def __enter__(self):
        return self

    def __call__(self, func):
        _set_enabled(self._prev)
        return _decorate(func, self._mode)


# -- anomaly detection ----------------------------------------------------------------------------

_anomaly = False  # read by the engine after every node's backward


def is_anomaly_enabled() -> bool:
    """True when backward checks every computed gradient for NaN."""
    return _anomaly


def is_anomaly_check_nan_enabled() -> bool:
    return _anomaly


class set_detect_anomaly:
    """``set_detect_anomaly(mode)``: make backward raise at the first node that returns NaN
    (naming it), at once when called and until the ``with`` block it opens ends."""

    def __init__(self, mode: bool, check_nan: bool = True):
        global _anomaly
        self._prev = _anomaly
        _anomaly = bool(mode) and bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _anomaly
        _anomaly = self._prev
        return False


class detect_anomaly:
    """``with detect_anomaly(): ...`` (or as a decorator): NaN checks in backward, see ``set_detect_anomaly``."""

    def __init__(self, check_nan: bool = True):
        self._check_nan = check_nan

    def __enter__(self):
        global _anomaly
        self._prev = _anomaly
        _anomaly = self._check_nan
        return self

    def __exit__(self, *exc):
        global _anomaly
        _anomaly = self._prev
        return False

    def __call__(self, func):
        return _inside(func, lambda: detect_anomaly(self._check_nan))
