"""Helpers shared by the op families: operand conversion and type promotion."""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim

_wrap = Tensor._wrap
_SCALARS = (int, float, bool, np.number, np.bool_)


def as_tensor_operand(x):
    """Tensors pass through; NumPy arrays are wrapped; Python scalars stay scalars."""
    if isinstance(x, Tensor) or isinstance(x, _SCALARS):
        return x
    if isinstance(x, np.ndarray):
        return _wrap(x)
    raise TypeError(f"unsupported operand type: expected a Tensor or a number, got {type(x).__name__}")


def binary_operands(a, b, *, float_result: bool = False):
    """Convert two operands to arrays/scalars of PyTorch's result dtype.

    Returns ``(a, b, np_dtype)``; tensor operands are passed as Tensors (the caller
    applies the Op, which unwraps them), cast only where the dtype changes.
    """
    a = as_tensor_operand(a)
    b = as_tensor_operand(b)
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        da, db = a._data.dtype, b._data.dtype
        if da == db and (not float_result or da.kind == "f"):
            return a, b, da
    res = D.result_type(a, b)
    if float_result and res.category != 2:
        res = D.get_default_dtype()
    return cast_operand(a, res), cast_operand(b, res), res.np


def cast_operand(x, res: D.dtype):
    """``x`` in dtype ``res``: a differentiable cast for tensors, a NumPy scalar for numbers."""
    if isinstance(x, Tensor):
        if x._data.dtype != res.np:
            from .pointwise import to_dtype

            return to_dtype(x, res)
        return x
    return res.np.type(x)


def normalize_dims(dim, ndim: int):
    """``dim`` (None, an int or a sequence) as a sorted tuple of non-negative axes, or None."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        axes = tuple(sorted(_wrap_dim(int(d), ndim) for d in dim))
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"dim {axes[0]} appears multiple times in the list of dims")
        return axes
    return (_wrap_dim(int(dim), ndim),)


def dim_arg(dim, axis):
    """PyTorch accepts ``axis=`` wherever it accepts ``dim=``."""
    return axis if dim is None else dim
