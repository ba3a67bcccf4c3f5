"""Where a tensor's non-zero elements are: ``nonzero`` and ``argwhere``.

Its own module so that ``where(condition)`` (pointwise) and the index family can both use it.
"""

from __future__ import annotations

import numpy as np

from .._backend import array_module
from .._tensor import Tensor
from ._out import write_out

_wrap = Tensor._wrap


def nonzero(input: Tensor, *, as_tuple: bool = False, out=None):
    """Indices of non-zero elements: an (n, ndim) int64 tensor, or one tensor per dim."""
    if out is not None:
        return write_out(out, nonzero(input, as_tuple=as_tuple), "nonzero", exact="nonzero: Expected out tensor to have scalar type Long but got scalar type{got}")
    a = input._data
    xp = array_module(a)
    if a.ndim == 0:  # a 0-d tensor has one element and no dims: (1, 0) or (0, 0) like PyTorch
        n = int(bool(a))
        return (_wrap(xp.zeros(n, np.int64)),) if as_tuple else _wrap(xp.zeros((n, 0), np.int64))
    idx = xp.nonzero(a)
    if as_tuple:
        return tuple(_wrap(i.astype(np.int64)) for i in idx)
    return _wrap(xp.stack(idx, axis=1).astype(np.int64))


def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)


__all__ = ["argwhere", "nonzero"]
