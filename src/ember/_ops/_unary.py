"""Elementwise y = f(x): the plumbing every unary op shares, so that an op is its forward and its derivative.

`UnaryOp` saves what the derivative reads (x or y), quiets the IEEE warnings PyTorch never raises
(it returns inf and NaN silently) and computes with the array module of its input. `unary_function`
is the lowercase wrapper: integer and bool inputs promoted to the default float dtype, and ``out=``.
"""

from __future__ import annotations

import sys

import numpy as np

from .. import _dtype as D
from .._backend import array_module, errstate, is_array
from .._tensor import Tensor
from ..autograd.function import Op
from ._bufpool import pool, scratch
from ._out import write_out

_wrap = Tensor._wrap

# errstate settings: which warnings a function raises where PyTorch quietly gives inf or NaN
OVER = {"over": "ignore"}
INVALID = {"invalid": "ignore"}
POLES = {"divide": "ignore", "invalid": "ignore"}
ALL = {"divide": "ignore", "invalid": "ignore", "over": "ignore"}


def as_array(xp, y):
    """A ufunc on a 0-d array returns a scalar; an output saved for backward must be the very array
    the output tensor wraps (that is how it is version-checked and, under create_graph, replaced by
    the tensor), so scalars become 0-d arrays first."""
    return y if is_array(y) else xp.asarray(y)


def scratch_like(xp, role: str, x):
    """An uninitialised temporary shaped like ``x`` that must not outlive the caller. NumPy's comes
    from this thread's pool (a fresh multi-MiB array costs a page fault per 4 KiB on first touch,
    more than the arithmetic that fills it); another library's is allocated by that library."""
    return scratch(role, x.shape, x.dtype) if xp is np else xp.empty(x.shape, x.dtype)


def kept_like(xp, role: str, x):
    """An uninitialised array shaped like ``x`` that the caller may keep (save for backward): with
    NumPy, the one this thread last handed out for ``role`` if nothing holds it any more, so a
    training loop fills the same memory each step instead of faulting in a fresh array."""
    if xp is not np:
        return xp.empty(x.shape, x.dtype)
    kept = pool("kept")
    key = (role, x.shape, x.dtype.str)
    buf = kept.get(key)
    if buf is None or sys.getrefcount(buf) > _UNHELD:
        buf = xp.empty(x.shape, x.dtype)
        kept.put(key, buf)
    return buf


def _unheld_refcount() -> int:
    """The reference count ``kept_like`` sees for a pooled buffer that only the pool holds,
    measured through the same code path (it depends on the interpreter)."""
    kept = pool("kept-baseline")
    kept.put(0, array_module().empty(1))
    buf = kept.get(0)
    count = sys.getrefcount(buf)
    kept.clear()
    return count


_UNHELD = _unheld_refcount()


def float_input(x: Tensor) -> Tensor:
    """Integer and bool tensors are promoted to the default float dtype by transcendental ops."""
    if x._data.dtype.kind != "f":
        return _wrap(x._data.astype(D.get_default_dtype().np))
    return x


class UnaryOp(Op):
    """y = f(x) elementwise, with dy/dx read from the saved x or y.

    A subclass states ``y = f(x);  dy/dx = ...`` in its docstring and gives the forward either as
    ``ufunc`` (the name of the array module's function) or as ``f(xp, x)``, and ``df(xp, g, v)``,
    the gradient g dy/dx, where v is y when ``saves_y`` else x. ``df`` uses operators and ufuncs
    only, so under create_graph it runs on Tensors (``xp`` is then NumPy, which hands the call to
    ``Tensor.__array_ufunc__``) and one derivative serves every order. ``quiet`` and
    ``quiet_grad`` name the floating-point warnings to silence in forward and in backward.
    """

    ufunc: str = ""
    saves_y = False
    quiet: dict | None = None
    quiet_grad: dict | None = None

    @classmethod
    def f(cls, xp, x):
        return getattr(xp, cls.ufunc)(x)

    @classmethod
    def forward(cls, ctx, x):
        xp = array_module(x)
        if cls.quiet is None:
            y = cls.f(xp, x)
        else:
            with errstate(xp, **cls.quiet):
                y = cls.f(xp, x)
        if cls.saves_y:
            y = as_array(xp, y)
            ctx.save_for_backward(y)
        else:
            ctx.save_for_backward(x)
        return y

    @classmethod
    def backward(cls, ctx, g):
        (v,) = ctx.saved_tensors
        xp = array_module(g, v)
        if cls.quiet_grad is None:
            return cls.df(xp, g, v)
        with errstate(xp, **cls.quiet_grad):
            return cls.df(xp, g, v)


class BinaryOp(Op):
    """y = ufunc(a, b) elementwise with both operands saved: a subclass names ``ufunc`` (and ``quiet``,
    the warnings to silence) and writes the backward; its docstring states both derivatives."""

    ufunc: str = ""
    quiet: dict | None = None

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a, b)
        xp = array_module(a, b)
        if cls.quiet is None:
            return getattr(xp, cls.ufunc)(a, b)
        with errstate(xp, **cls.quiet):
            return getattr(xp, cls.ufunc)(a, b)


def unary_function(op, name: str | None = None):
    """``name(input, *, out=None)``: ``op`` on ``input`` promoted to a float dtype."""
    name = name or op.__name__.lower()

    def fn(input: Tensor, *, out=None) -> Tensor:
        if out is not None:
            return write_out(out, op.apply(float_input(input)), name, input)
        return op.apply(float_input(input))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = op.__doc__
    fn.__module__ = op.__module__  # the op's module exports it (its ``__all__`` keeps its own functions)
    return fn
