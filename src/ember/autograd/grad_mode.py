"""Grad mode: whether ops record the graph. ``no_grad`` and friends switch it.

The flag is a module global read on every op, so checking it costs one lookup.
Each switch works as a context manager and as a decorator (with or without
parentheses), like PyTorch's.
"""

from __future__ import annotations

import functools

_enabled = True


def is_grad_enabled() -> bool:
    """True when ops record the graph for autograd."""
    return _enabled


def _set_enabled(mode: bool) -> None:
    global _enabled
    _enabled = bool(mode)


def _decorate(func, mode: bool):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        prev = _enabled
        _set_enabled(mode)
        try:
            return func(*args, **kwargs)
        finally:
            _set_enabled(prev)

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
        self._prev = _enabled
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


class inference_mode(_GradModeSwitch):
    """``inference_mode(mode=True)``: like ``no_grad`` (ember has no separate inference tensors)."""

    def __init__(self, mode: bool = True):
        self._mode = not mode


class set_grad_enabled(_GradModeSwitch):
    """Set grad mode to ``mode``: at once when called (like PyTorch), undone on ``with`` exit."""

    def __new__(cls, mode: bool):
        return object.__new__(cls)

    def __init__(self, mode: bool):
        self._prev = _enabled
        self._mode = bool(mode)
        _set_enabled(self._mode)

    def __enter__(self):
        return self

    def __call__(self, func):
        _set_enabled(self._prev)
        return _decorate(func, self._mode)
