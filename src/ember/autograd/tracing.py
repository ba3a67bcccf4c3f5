"""Watching every op call: the hook that ONNX export (and any other tracer) builds on.

Every op result passes through one door (``Op.apply`` for primitives, ``Function.apply``
for user Functions, ``emit`` for results that are never differentiable). While a tracer is
installed in this thread, the door calls ``tracer(op, args, result)`` after each call:
``op`` is the Op or Function class (or, for ``emit``, the op's name), ``args`` the call's
arguments as given (Tensors and plain values), ``result`` the Tensor or tuple it returned.
A user Function's forward is itself made of ops, which the tracer sees first; the Function's
own call follows.

Tracers are per-thread, like grad mode: tracing one model does not see ops that other
threads run meanwhile.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from .grad_mode import _state


def current_tracer():
    """The tracer installed in this thread, or None."""
    return _state.tracer


@contextmanager
def trace(tracer: Callable) -> Iterator[Callable]:
    """Install ``tracer`` for this thread inside the ``with`` block (nesting restores the outer one)."""
    if not callable(tracer):
        raise TypeError(f"trace(): expected a callable tracer(op, args, result), got {type(tracer).__name__}")
    prev = _state.tracer
    _state.tracer = tracer
    try:
        yield tracer
    finally:
        _state.tracer = prev
