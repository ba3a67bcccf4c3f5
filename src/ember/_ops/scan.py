"""Reductions and scans beyond the basics of ``reduce.py``: cummax/cummin (0-d included),
std_mean/var_mean with ``axis``, quantile/nanquantile, histc, bincount, diff, trace.

The differentiable ones are compositions of ember ops (sort, gather, narrow, sub, diagonal,
sum), so their gradients and second derivatives come from those ops' own rules.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .._backend import array_module
from .._tensor import Tensor, _wrap_dim
from . import index as I
from . import pointwise as P
from . import reduce as R
from . import shape as S
from ._out import supports_out
from ._common import dim_arg, type_name

_wrap = Tensor._wrap

cummax_result = namedtuple("cummax", ["values", "indices"])
cummin_result = namedtuple("cummin", ["values", "indices"])
aminmax_result = namedtuple("aminmax", ["min", "max"])


def _cum_extremum(input: Tensor, dim: int, fn, result, name):
    xp = array_module(input._data)
    if input._data.ndim == 0:
        if dim not in (0, -1):
            raise IndexError(f"{name}(): Expected reduction dim -1 or 0 for scalar but got {dim}")
        return result(S.clone(input), _wrap(xp.zeros((), np.int64)))
    values, indices = fn(input, dim)
    return result(values, indices)


@supports_out("cummax")
def cummax(input: Tensor, dim: int, *, out=None):
    """Running maximum along ``dim`` and the index where it was reached (``(values, indices)``)."""
    return _cum_extremum(input, dim, R.cummax, cummax_result, "cummax")


@supports_out("cummin")
def cummin(input: Tensor, dim: int, *, out=None):
    """Running minimum along ``dim`` and the index where it was reached (``(values, indices)``)."""
    return _cum_extremum(input, dim, R.cummin, cummin_result, "cummin")


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None, axis=None):
    """(var, mean) over ``dim`` in one call; ``correction`` (or the older ``unbiased``) as in var."""
    dim, unbiased = _bool_dim(dim_arg(dim, axis), unbiased)
    return R.var(input, dim, unbiased, keepdim, correction=correction), R.mean(input, dim, keepdim)


def _bool_dim(dim, unbiased):
    """var_mean(x, False) is PyTorch's (input, unbiased) overload: all dims, not dim 0."""
    return (None, dim) if isinstance(dim, bool) else (dim, unbiased)


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None, axis=None):
    """(std, mean) over ``dim`` in one call."""
    dim, unbiased = _bool_dim(dim_arg(dim, axis), unbiased)
    return R.std(input, dim, unbiased, keepdim, correction=correction), R.mean(input, dim, keepdim)


# -- quantiles -------------------------------------------------------------------------------------------

_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input: Tensor, q, dim, keepdim, interpolation, ignore_nan):
    xp = array_module(input._data)
    name = "quantile"  # PyTorch words nanquantile's errors the same way
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if input._data.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if interpolation not in _MODES:
        raise RuntimeError(
            f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, but got {interpolation}"
        )
    if isinstance(q, Tensor):
        if q._data.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q._data.dtype != input._data.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        qs, q_dim = q._data.astype(np.float64).reshape(-1), q._data.ndim == 1
    else:
        qs, q_dim = xp.array([float(q)]), False
    for v in qs:
        if not 0 <= v <= 1:
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]" if isinstance(q, Tensor) else
                               f"{name}() q must be in the range [0, 1] but got {v}")
    nd = input._data.ndim
    if dim is None:
        x = S.reshape(input, (-1,))
        axis = 0
    else:
        axis = _wrap_dim(dim, max(nd, 1))
        x = input if nd else S.reshape(input, (1,))
        x = S.movedim(x, axis, -1)
    srt = I.sort(x, -1).values  # NaNs sort last
    a = srt._data
    n = a.shape[-1]
    nan = xp.isnan(a)
    if ignore_nan:
        count = (~nan).sum(-1, keepdims=True)
        ranks = qs * xp.maximum(count - 1, 0)  # (..., Q)
        all_nan = count == 0
    else:
        ranks = xp.broadcast_to(qs * (n - 1), a.shape[:-1] + (len(qs),)).copy()
        all_nan = nan.any(-1, keepdims=True)
    ranks = xp.where(all_nan, n - 1, ranks)  # a NaN result: point at the last (NaN) element
    if interpolation == "lower":
        ranks = xp.floor(ranks)
    elif interpolation == "higher":
        ranks = xp.ceil(ranks)
    elif interpolation == "nearest":
        ranks = xp.round(ranks)  # half to even, as PyTorch
    lo = xp.floor(ranks).astype(np.int64)
    hi = xp.minimum(xp.ceil(ranks).astype(np.int64), n - 1)
    v_lo = I.gather(srt, -1, _wrap(lo))
    if interpolation in ("lower", "higher", "nearest"):
        out = v_lo
    else:
        v_hi = I.gather(srt, -1, _wrap(hi))
        w = xp.full(ranks.shape, 0.5) if interpolation == "midpoint" else ranks - lo
        out = v_lo + (v_hi - v_lo) * _wrap(w.astype(a.dtype))
    out = S.movedim(out, -1, 0)  # (Q, ...)
    if keepdim:
        if dim is None:
            out = S.reshape(out, (len(qs),) + (1,) * nd)
        elif nd:
            out = S.unsqueeze(out, axis + 1)
    return out if q_dim else S.squeeze(out, 0)


@supports_out("quantile")
def quantile(input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear", out=None) -> Tensor:
    """The q-th quantiles of ``input`` along ``dim`` (all elements when None); NaN if a slice has a NaN.

    ``q`` a float or a 1-D tensor (then the result has a leading dim of len(q)); ``interpolation``
    between the two nearest ranks: linear, lower, higher, midpoint or nearest.
    """
    return _quantile(input, q, dim, keepdim, interpolation, False)


@supports_out("nanquantile")
def nanquantile(input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear", out=None) -> Tensor:
    """quantile ignoring NaNs (NaN only where a slice is all NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, True)


# -- counting ----------------------------------------------------------------------------------------------


@supports_out("histc")
def histc(input: Tensor, bins: int = 100, min=0, max=0, *, out=None) -> Tensor:  # noqa: A002
    """Histogram of ``bins`` equal bins over [min, max] (the data's range when min == max);
    elements outside are ignored. Not differentiable."""
    xp = array_module(input._data)
    a = input._data
    if a.dtype.kind != "f":
        raise NotImplementedError(f'"histogram_cpu" not implemented for \'{type_name(input.dtype)}\'')
    if bins <= 0:
        raise RuntimeError("torch.histc: bins must be > 0")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if lo == hi and a.size:
        lo, hi = float(xp.min(a)), float(xp.max(a))
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    flat = a.reshape(-1)
    keep = (flat >= lo) & (flat <= hi)
    # the bin is computed in the input's dtype, as PyTorch does: float64 arithmetic moves
    # float32 values that sit on a bin edge to the next bin
    lo, hi = a.dtype.type(lo), a.dtype.type(hi)
    idx = xp.floor((flat[keep] - lo) * a.dtype.type(bins) / (hi - lo)).astype(np.int64)
    idx = xp.minimum(idx, bins - 1)  # the right edge belongs to the last bin
    return _wrap(xp.bincount(idx, minlength=bins).astype(a.dtype))


def bincount(input: Tensor, weights=None, minlength: int = 0) -> Tensor:
    """Count of each non-negative integer in a 1-d tensor (weighted sums with ``weights``)."""
    xp = array_module(input._data)
    a = input._data
    if a.dtype.kind not in "iu":
        raise NotImplementedError(f'"bincount_cpu" not implemented for \'{type_name(input.dtype)}\'')
    if a.ndim != 1 or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return _wrap(xp.bincount(a, minlength=minlength).astype(np.int64))
    w = weights._data if isinstance(weights, Tensor) else xp.asarray(weights)
    if w.shape != a.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    res = w.dtype if w.dtype.kind == "f" else np.float64  # float32 weights keep float32, like PyTorch
    return _wrap(xp.bincount(a, w.astype(np.float64), minlength).astype(res))


# -- differences and trace ---------------------------------------------------------------------------------


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference along ``dim`` (``prepend``/``append`` joined first); bools use xor."""
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    axis = _wrap_dim(dim, nd)
    parts = []
    for extra in (prepend, append):
        if extra is not None and extra._data.ndim != nd:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    if prepend is not None:
        parts.append(prepend)
    parts.append(input)
    if append is not None:
        parts.append(append)
    x = S.cat(parts, axis) if len(parts) > 1 else input
    for _ in range(n):
        length = x._data.shape[axis]
        if length == 0:
            break
        hi, lo = S.narrow(x, axis, 1, length - 1), S.narrow(x, axis, 0, length - 1)
        x = P.logical_xor(hi, lo) if x._data.dtype == np.bool_ else P.sub(hi, lo)
    return x


def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a matrix (integers sum to int64, like sum)."""
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    if input._data.dtype == np.bool_:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return R.sum(S.diagonal(input))


@supports_out("nansum")
def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum treating NaN as 0; integer and bool inputs sum to int64 like ``sum``."""
    if input._data.dtype.kind != "f":
        return R.sum(input, dim, keepdim, dtype=dtype)
    return R.sum(P.where(P.isnan(input), 0.0, input), dim, keepdim, dtype=dtype)


@supports_out("aminmax")
def aminmax(input: Tensor, *, dim=None, keepdim: bool = False):
    """(min, max) in one call, as the named tuple ``(min, max)``."""
    mn, mx = R.aminmax(input, dim=dim, keepdim=keepdim)
    return aminmax_result(mn, mx)


__all__ = [
    "cummax", "cummin", "var_mean", "std_mean", "quantile", "nanquantile", "histc", "bincount", "diff", "trace", "aminmax", "nansum",
]
