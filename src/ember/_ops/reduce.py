"""Reductions over dims (``dim`` an int or tuple, ``keepdim``) and cumulative ops."""

from __future__ import annotations

import builtins as _builtins
import math
from collections import namedtuple

import numpy as np

from .._backend import array_module, errstate, is_array
from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from .._tensor import data_of as _d
from ..autograd.function import Op
from ._common import dim_arg, normalize_dims, type_name
from ._out import supports_out, write_out, write_out_tuple
from .pointwise import Sqrt, _float_input, abs as _abs, div, isnan, maximum as _m, minimum as _minimum, pow as _pow, to_dtype, where
from .index import gather, _scalar_pick, scatter_add
from .shape import flatten, squeeze

_wrap = Tensor._wrap

values_indices = namedtuple("values_indices", ["values", "indices"])


def _axes(dim, x: Tensor):
    if isinstance(dim, float) or (isinstance(dim, (tuple, list)) and _builtins.any(isinstance(d, float) for d in dim)):
        raise TypeError("argument 'dim' must be tuple of ints, but found element of type float")
    return normalize_dims(dim, x._data.ndim)


def _expand_back(g, in_shape, axes, keepdim):
    """Put the reduced dims back (as size 1) so the gradient broadcasts over them."""
    if axes is None:
        return g.reshape((1,) * len(in_shape)) if len(in_shape) else g
    if not keepdim:
        shape = list(in_shape)
        for a in axes:
            shape[a] = 1
        return g.reshape(tuple(shape))
    return g


def _sum_dtype(x, dtype):
    if dtype is not None:
        return D.as_dtype(dtype).np
    return np.int64 if x.dtype.kind in "biu" else x.dtype


class Sum(Op):
    """y = sum of x over axes;  dx = dy broadcast back over the summed axes."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, np_dtype):
        xp = array_module(x)
        ctx.meta = (x.shape, axes, keepdim)
        return xp.asarray(x.sum(axis=axes, keepdims=keepdim, dtype=np_dtype))

    @staticmethod
    def infer(x, axes, keepdim, np_dtype):
        # Nothing recorded: NumPy's reduction alone (the method call and asarray cost more than the sum of a small tensor).
        xp = array_module(x)
        return xp.asarray(xp.add.reduce(x, axis=axes, keepdims=keepdim, dtype=np_dtype))

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        shape, axes, keepdim = ctx.meta
        return xp.broadcast_to(_expand_back(g, shape, axes, keepdim), shape), None, None, None


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, axis=None, out=None) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (all elements when None)."""
    if out is not None:
        return write_out(out, sum(input, dim, keepdim, axis=axis, dtype=out.dtype), "sum")
    data = input._data
    if type(dim) is int and dtype is None and axis is None and data.dtype.kind == "f" and data.ndim:
        # One float dim: skip the general argument parsing, which costs more than a small sum.
        return Sum.apply(input, (_wrap_dim(dim, data.ndim),), keepdim, None)
    axes = _axes(dim_arg(dim, axis), input)
    return Sum.apply(input, axes, keepdim, _sum_dtype(input._data, dtype))


class Mean(Op):
    """y = mean of x over axes;  dx = dy / n broadcast back."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        xp = array_module(x)
        ctx.meta = (x.shape, axes, keepdim)
        n = x.size if axes is None else math.prod([x.shape[a] for a in axes])
        ctx.n = n
        with errstate(xp, invalid="ignore", divide="ignore"):
            return xp.asarray(x.mean(axis=axes, keepdims=keepdim) if n else xp.full(_reduced_shape(x.shape, axes, keepdim), np.nan, x.dtype), dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        shape, axes, keepdim = ctx.meta
        return xp.broadcast_to(_expand_back(g, shape, axes, keepdim) / _builtins.max(ctx.n, 1), shape), None, None


def _reduced_shape(shape, axes, keepdim):
    if axes is None:
        return (1,) * len(shape) if keepdim else ()
    return tuple(1 if i in axes else s for i, s in enumerate(shape)) if keepdim else tuple(s for i, s in enumerate(shape) if i not in axes)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, axis=None, out=None) -> Tensor:
    """Mean over ``dim`` (floating tensors only, like PyTorch)."""
    if out is not None:
        return write_out(out, mean(input, dim, keepdim, dtype=dtype, axis=axis), "mean")
    if dtype is not None:
        input = to_dtype(input, D.as_dtype(dtype))
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {type_name(input.dtype)}"
        )
    return Mean.apply(input, _axes(dim_arg(dim, axis), input), keepdim)


@supports_out("nanmean")
def nanmean(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got {type_name(input.dtype)}")
    mask = isnan(input)
    zeroed = where(mask, 0.0, input)
    count = sum(_wrap(~mask._data), dim, keepdim)

    return div(sum(zeroed, dim, keepdim), count)


def nansum(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return sum(where(isnan(input), 0.0, input), dim, keepdim)


class Prod(Op):
    """y = product of x over axes;  dx = y / x (computed without dividing, so zeros are exact)."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        xp = array_module(x)
        ctx.meta = (x.shape, axes, keepdim)
        ctx.save_for_backward(x)
        return xp.asarray(x.prod(axis=axes, keepdims=keepdim))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        shape, axes, keepdim = ctx.meta
        return _expand_back(g, shape, axes, keepdim) * _product_of_others(x, axes), None, None


def _product_of_others(x, axes):
    """For every element, the product of the other elements in its reduction group:
    an exclusive cumprod from the left times one from the right (exact with zeros, no division).
    NumPy calls only, plus ``_cumprod`` which stays in the graph for Tensors (create_graph)."""
    xp = array_module(x)
    xd = _d(x)
    if xd.size == 0 or xd.ndim == 0 or axes == ():
        return xp.ones(xd.shape, dtype=xd.dtype)
    ax = axes if axes is not None else tuple(range(xd.ndim))
    moved = xp.moveaxis(x, ax, tuple(range(-len(ax), 0)))
    flat = moved.reshape(tuple(moved.shape[: moved.ndim - len(ax)]) + (-1,))
    ones = xp.ones(tuple(flat.shape[:-1]) + (1,), dtype=xd.dtype)
    left = _cumprod(xp.concatenate([ones, flat[..., :-1]], -1), -1)
    right = xp.flip(_cumprod(xp.concatenate([ones, xp.flip(flat, -1)[..., :-1]], -1), -1), -1)
    others = (left * right).reshape(tuple(moved.shape))
    return xp.moveaxis(others, tuple(range(-len(ax), 0)), ax)


def _cumprod(a, axis):
    xp = array_module(a)
    return cumprod(a, axis) if isinstance(a, Tensor) else xp.cumprod(a, axis=axis)


def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """Product over ``dim`` (one dim, or all)."""
    _int_dim(dim, "prod")
    xp = array_module(input._data)
    if out is not None:
        return write_out(out, prod(input, dim, keepdim, dtype=out.dtype), "prod")
    if dtype is not None:
        input = to_dtype(input, D.as_dtype(dtype))
    if input._data.dtype.kind in "bui":  # integers (and bools) multiply in int64 unless a dtype says otherwise
        acc = np.int64 if dtype is None else input._data.dtype
        return _wrap(xp.asarray(input._data.prod(axis=_axes(dim, input), keepdims=keepdim, dtype=acc)))
    return Prod.apply(input, _axes(dim, input), keepdim)


def _int_dim(dim, name):
    """prod, argmax, median... reduce over one dim: PyTorch's parser refuses a tuple or list."""
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")


def _correction(unbiased, correction):
    if correction is not None:
        return float(correction)
    if unbiased is None:
        return 1.0
    return 1.0 if unbiased else 0.0


class Var(Op):
    """v = sum (x - mean)^2 / (n - correction);  dv/dx = 2 (x - mean) / (n - correction).

    The mean's own dependence on x drops out because sum(x - mean) = 0. Backward recomputes
    the mean with ``.sum`` so that it runs on Tensors too: var differentiates to any order.
    """

    _node_name = "VarBackward0"

    @staticmethod
    def forward(ctx, x, axes, keepdim, correction):
        xp = array_module(x)
        n = x.size if axes is None else math.prod([x.shape[a] for a in axes])
        dof = _builtins.max(n - correction, 0)  # PyTorch clamps the degrees of freedom at 0
        ctx.meta = (x.shape, axes, keepdim, n, dof)
        ctx.save_for_backward(x)
        with errstate(xp, divide="ignore", invalid="ignore"):
            xa = x.astype(_acc(x.dtype), copy=False)
            centered = xa - xa.sum(axis=axes, keepdims=True) / n
            return _nd((xp.sum(centered * centered, axis=axes, keepdims=keepdim) / xa.dtype.type(dof)).astype(x.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        (x,) = ctx.saved_tensors
        shape, axes, keepdim, n, dof = ctx.meta
        with errstate(xp, divide="ignore", invalid="ignore"):
            scale = 2.0 / dof if dof else np.inf  # 0 dof: inf * 0 = nan, like PyTorch
            return _expand_back(g, shape, axes, keepdim) * (x - x.sum(axis=axes, keepdims=True) / n) * scale, None, None, None


def _nd(y):
    return y if is_array(y) else array_module(y).asarray(y)


def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None, out=None) -> Tensor:
    """Variance over ``dim`` with Bessel's ``correction`` (default 1; ``unbiased=False`` means 0)."""
    if out is not None:
        return write_out(out, var(input, dim, unbiased, keepdim, correction=correction), "var")
    return _var(input, dim, unbiased, keepdim, correction, "var")


def _var(input: Tensor, dim, unbiased, keepdim, correction, name) -> Tensor:
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got both unbiased and correction; pass one")
    if input._data.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    axes = _axes(dim, input)
    corr = _correction(unbiased, correction)
    shape = input._data.shape
    n = input._data.size if axes is None else math.prod([shape[a] for a in axes])
    if n - corr <= 0:
        import warnings

        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction factor "
            "(input numel divided by output numel).",
            UserWarning,
            stacklevel=3,
        )
    return Var.apply(input, axes, keepdim, corr)


def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None, out=None) -> Tensor:
    """Standard deviation: sqrt(var)."""
    if out is not None:
        return write_out(out, std(input, dim, unbiased, keepdim, correction=correction), "std")

    return _StdSqrt.apply(_var(input, dim, unbiased, keepdim, correction, "std"))


class _StdSqrt(Sqrt):
    """s = sqrt(var);  ds/dvar = 1 / (2 s), and 0 where s = 0 (a constant slice), as PyTorch's std
    (plain sqrt would give inf * 0 = nan there)."""

    _node_name = "StdBackward0"

    @staticmethod
    def df(xp, g, y):
        return xp.where(_d(y) == 0, 0.0, g / (2 * y))


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


class Amax(Op):
    """y = max over axes;  the gradient is shared evenly among the maximal elements.

    A NaN result matches no element, so amax's gradient is NaN there (as PyTorch's); ``nan_hits``
    (max()/min() of the whole tensor) shares it among the NaN elements instead, as PyTorch's max() does.
    """

    @staticmethod
    def forward(ctx, x, axes, keepdim, is_max, nan_hits=False):
        xp = array_module(x)
        ctx.meta = (x.shape, axes, keepdim, nan_hits)
        y = x.max(axis=axes, keepdims=True) if is_max else x.min(axis=axes, keepdims=True)
        ctx.save_for_backward(x, y)
        return xp.asarray(y if keepdim else (y.reshape(_reduced_shape(x.shape, axes, False))))

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        x, y = ctx.saved_tensors
        shape, axes, keepdim, nan_hits = ctx.meta
        x, y = xp.asarray(x), xp.asarray(y)
        hit = (x == y) | (xp.isnan(x) & xp.isnan(y)) if nan_hits and x.dtype.kind == "f" else x == y
        count = hit.sum(axis=axes, keepdims=True)
        with errstate(xp, invalid="ignore", divide="ignore"):
            return _expand_back(g, shape, axes, keepdim) * (hit / count), None, None, None, None


def _check_nonempty(input: Tensor, axes, name):
    """Extrema of nothing are undefined: PyTorch's errors (a RuntimeError without dim, except
    for argmax/argmin, an IndexError naming the empty dim otherwise)."""
    shape = input._data.shape
    if input._data.size == 0 and (axes is None or _builtins.any(shape[a] == 0 for a in axes)):
        if axes is None:
            if name.startswith("arg"):
                raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument."
            )
        bad = next(a for a in axes if shape[a] == 0)
        raise IndexError(f"{name}(): Expected reduction dim {bad} to have non-zero size.")


def amax(input: Tensor, dim=(), keepdim: bool = False, *, out=None) -> Tensor:
    return _amax_or_amin(input, dim, keepdim, out, True)


def amin(input: Tensor, dim=(), keepdim: bool = False, *, out=None) -> Tensor:
    return _amax_or_amin(input, dim, keepdim, out, False)


def _amax_or_amin(input: Tensor, dim, keepdim, out, is_max) -> Tensor:
    name = "amax" if is_max else "amin"
    if out is not None:
        return write_out(out, _amax_or_amin(input, dim, keepdim, None, is_max), name, exact="Expected the dtype for input and out to match, but got {want} for input's dtype and {got} for out's dtype.")
    axes = _axes(dim if dim != () else None, input)
    _check_nonempty(input, axes, name)
    return Amax.apply(input, axes, keepdim, is_max)


class _SelectAlong(Op):
    """y = x at given indices along one axis (the arg-extremum);  dx = dy scattered to those indices."""

    _node_name = "MaxBackward0"

    @staticmethod
    def forward(ctx, x, idx, axis, keepdim):
        xp = array_module(x)
        ctx.meta = (x.shape, x.dtype, axis, keepdim)
        ctx.save_for_backward(idx)
        vals = xp.take_along_axis(x, idx, axis)
        return vals if keepdim else xp.squeeze(vals, axis)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        (idx,) = ctx.saved_tensors
        shape, dtype, axis, keepdim = ctx.meta
        idx = xp.asarray(idx._data if isinstance(idx, Tensor) else idx)
        if not keepdim:
            g = xp.expand_dims(g, axis)
        out = xp.zeros(shape, dtype=dtype)
        if isinstance(g, Tensor):
            return scatter_add(_wrap(out), axis, _wrap(idx), g), None, None, None
        xp.put_along_axis(out, idx, g, axis)
        return out, None, None, None


def _extremum(input: Tensor, dim, keepdim, is_max, name):
    xp = array_module(input._data)
    if dim is None:
        _check_nonempty(input, None, name)
        return Amax.apply(input, None, False, is_max, True)
    if isinstance(dim, Tensor):
        return (maximum if is_max else minimum)(input, dim)
    axis = _wrap_dim(dim, input._data.ndim)
    if input._data.ndim == 0:  # a new tensor, not the input (an in-place write must not reach it)
        return values_indices(*_scalar_pick(input))
    if input._data.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    idx = _arg_extremum(input._data, axis, is_max)
    values = _SelectAlong.apply(input, idx, axis, keepdim)
    return values_indices(values, _wrap(idx if keepdim else xp.squeeze(idx, axis)))


def _arg_extremum(a, axis: int, is_max: bool):
    """Index of the first extremum, NaN counting as the extremum (PyTorch propagates NaN)."""
    xp = array_module(a)
    idx = xp.argmax(a, axis=axis) if is_max else xp.argmin(a, axis=axis)
    if a.dtype.kind == "f":
        nan = xp.isnan(a)
        if nan.any():  # only the slices that hold a NaN take its index
            idx = xp.where(nan.any(axis=axis), xp.argmax(nan, axis=axis), idx)
    return xp.expand_dims(idx, axis)


def max(input: Tensor, dim=None, keepdim: bool = False, *, out=None):  # noqa: A001
    """The largest element; with ``dim``, (values, indices) along it; with a tensor, elementwise."""
    return _max_or_min(input, dim, keepdim, out, True)


def min(input: Tensor, dim=None, keepdim: bool = False, *, out=None):  # noqa: A001
    """The smallest element; with ``dim``, (values, indices) along it; with a tensor, elementwise."""
    return _max_or_min(input, dim, keepdim, out, False)


def _max_or_min(input: Tensor, dim, keepdim, out, is_max):
    if isinstance(dim, Tensor):
        return (maximum if is_max else minimum)(input, dim, out=out)
    name = "max" if is_max else "min"
    if out is not None:
        return _extremum_out(out, _max_or_min(input, dim, keepdim, None, is_max), name, dim)
    return _extremum(input, dim, keepdim, is_max, name)


_CANCAST = ("Expected canCast( typeMetaToScalarType(self.dtype()), typeMetaToScalarType(out.dtype())) to be true, but "
            "got false.  (Could this error message be improved?  If so, please report an enhancement request to PyTorch.)")


def _extremum_out(out, result, name, dim):
    if dim is None:
        return write_out(out, result, name, cast_error=(RuntimeError, _CANCAST))
    return write_out_tuple(out, result, name, exact="Expected out tensor to have dtype {want_c}, but got {got_c} instead")


def maximum(input, other, *, out=None):
    return _m(input, other, out=out)


def minimum(input, other, *, out=None):
    return _minimum(input, other, out=out)


def aminmax(input: Tensor, *, dim=None, keepdim: bool = False):
    _int_dim(dim, "aminmax")
    return namedtuple("aminmax", ["min", "max"])(amin(input, dim if dim is not None else (), keepdim), amax(input, dim if dim is not None else (), keepdim))


def argmax(input: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
    """Index of the (first) largest element, over the flattened tensor when ``dim`` is None."""
    return _arg_reduce(input, dim, keepdim, out, True)


def argmin(input: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
    """Index of the (first) smallest element."""
    return _arg_reduce(input, dim, keepdim, out, False)


def _arg_reduce(input: Tensor, dim, keepdim, out, is_max) -> Tensor:
    xp = array_module(input._data)
    name = "argmax" if is_max else "argmin"
    if out is not None:
        return write_out(out, _arg_reduce(input, dim, keepdim, None, is_max), name, exact="Expected out tensor to have dtype {want_c}, but got {got_c} instead")
    _int_dim(dim, name)
    if input._data.dtype.kind == "b":
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        _check_nonempty(input, None, name)
        out = _arg_extremum(input._data.reshape(-1), 0, is_max)[0]
        return _wrap(xp.asarray(out).reshape((1,) * input._data.ndim if keepdim else ()))
    axis = _wrap_dim(dim, input._data.ndim)
    if input._data.ndim and input._data.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    idx = _arg_extremum(input._data, axis, is_max) if input._data.ndim else xp.array(0)
    return _wrap(idx if keepdim or not input._data.ndim else xp.squeeze(idx, axis))

def _save_reduced(ctx, x, y):
    """The output of a reduction computed with keepdims=True, shaped as ``ctx.meta`` asks and saved
    with x: the output itself is saved, so that create_graph sees its graph."""
    _, axes, keepdim = ctx.meta
    out = _nd(y if keepdim else y.reshape(_reduced_shape(x.shape, axes, False)))
    ctx.save_for_backward(x, out)
    return out


class LogSumExp(Op):
    """y = log sum exp(x) (shifted by the max for stability);  dx = softmax(x) dy."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        xp = array_module(x)
        ctx.meta = (x.shape, axes, keepdim)
        m = x.max(axis=axes, keepdims=True) if x.size else xp.zeros((1,) * x.ndim, x.dtype)
        m = xp.where(xp.isfinite(m), m, 0)
        with errstate(xp, divide="ignore"):
            y = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        return _save_reduced(ctx, x, y)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        x, out = ctx.saved_tensors
        shape, axes, keepdim = ctx.meta
        softmax = xp.exp(x - _expand_back(out, shape, axes, keepdim))
        return _expand_back(g, shape, axes, keepdim) * softmax, None, None


def logsumexp(input: Tensor, dim, keepdim: bool = False, *, out=None) -> Tensor:
    """log(sum(exp(x))) over ``dim``, stable for large x."""
    if out is not None:
        return write_out(out, logsumexp(input, dim, keepdim), "logsumexp", exact="logsumexp(): Expected floating point type for result tensor, but got: {got}" if out._data.dtype.kind != "f" else None)
    if input._data.dtype.kind != "f":
        input = _float_input(input)
    return LogSumExp.apply(input, _axes(dim, input), keepdim)


@supports_out("norm")
def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Vector p-norm over ``dim`` (all elements when None); 'fro' is the 2-norm. Floating input only,
    as PyTorch (linalg.vector_norm underneath); ``dtype`` converts the input first."""
    if input._data.dtype.kind != "f":
        kind = "matrix_norm" if p == "nuc" else "vector_norm"
        raise RuntimeError(f"linalg.{kind}: Expected a floating point or complex tensor as input. Got {type_name(input.dtype)}")
    if dtype is not None:
        input = to_dtype(input, D.as_dtype(dtype))
    if isinstance(p, str) and p not in ("fro", "nuc", "inf", "-inf"):
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    if not isinstance(p, str) and (p < 0 or p == math.inf):
        _check_norm_identity(input, p, dim)
    if p in ("fro", 2, 2.0):
        if dim is None and input._requires_grad:
            return _Norm2.apply(input, None, keepdim)
        return _Norm2.apply(input, _axes(dim, input), keepdim)
    if p in (float("inf"), "inf"):
        return amax(_abs(input), dim if dim is not None else (), keepdim)
    if p in (float("-inf"), "-inf"):
        return amin(_abs(input), dim if dim is not None else (), keepdim)
    if p == 0:
        return sum(to_dtype(input != 0, input.dtype), dim, keepdim)
    if p == 1:
        return sum(_abs(input), dim, keepdim)
    if p == "nuc":
        raise NotImplementedError("nuclear norm is not supported by ember")

    return _pow(sum(_pow(_abs(input), p), dim, keepdim), 1.0 / p)


def _check_norm_identity(input: Tensor, p, dim):
    """The inf and negative norms of nothing are undefined (min/max have no identity): PyTorch's words."""
    shape = input._data.shape
    if dim is None and input._data.size == 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on an empty tensor because the operation does not have an identity")
    for a in () if dim is None else _axes(dim, input):
        if shape[a] == 0:
            # (sic: PyTorch's message has no space before "because")
            raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on the dimension {a}because this dimension is empty and the operation does not have an identity")


class _Norm2(Op):
    """y = sqrt(sum x^2);  dx = x / y dy (0 where y = 0)."""

    _node_name = "NormBackward1"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        xp = array_module(x)
        ctx.meta = (x.shape, axes, keepdim)
        return _save_reduced(ctx, x, xp.sqrt((x * x).sum(axis=axes, keepdims=True)))

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        x, out = ctx.saved_tensors
        shape, axes, keepdim = ctx.meta
        y = _expand_back(out, shape, axes, keepdim)
        safe = xp.where(_d(y) == 0, 1, y)
        return _expand_back(g, shape, axes, keepdim) * x / safe, None, None


class Cumsum(Op):
    """y_i = sum_{j<=i} x_j;  dx_i = sum_{j>=i} dy_j (a reversed cumsum)."""

    @staticmethod
    def forward(ctx, x, axis, dtype=None):
        xp = array_module(x)
        ctx.axis = axis
        dtype = _scan_dtype(x, dtype)
        if x.ndim == 0:
            return xp.array(x, dtype=dtype)
        return xp.cumsum(x, axis=axis, dtype=_acc(dtype)).astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        if g.ndim == 0:
            return g, None, None
        return xp.flip(xp.cumsum(xp.flip(g, ctx.axis), axis=ctx.axis), ctx.axis), None, None


def _acc(dtype):
    """The accumulator dtype: half precision runs in float32 (as PyTorch's CPU kernels), rounding once per output."""
    return np.float32 if dtype == np.float16 else dtype


def _scan_dtype(x, dtype):
    """A requested dtype is the result's; without one integers and bools accumulate in int64."""
    return dtype if dtype is not None else (x.dtype if x.dtype.kind == "f" else np.int64)


def cumsum(input: Tensor, dim: int, *, dtype=None, out=None) -> Tensor:
    return _scan(Cumsum, "cumsum", input, dim, dtype, out)


def _scan(op, name, input: Tensor, dim, dtype, out) -> Tensor:
    """cumsum/cumprod: ``dtype`` converts the input first and is the result's dtype; ``out``
    computes in out's dtype (a bool out refused, as PyTorch does)."""
    if out is not None:
        if out._data.dtype.kind == "b":
            raise NotImplementedError(f"\"{name}_out_cpu\" not implemented for 'Bool'")
        return write_out(out, _scan(op, name, input, dim, out.dtype, None), name)
    axis = _wrap_dim(dim, input._data.ndim)
    if dtype is None:
        return op.apply(input, axis)
    input = to_dtype(input, D.as_dtype(dtype))
    return op.apply(input, axis, input._data.dtype)


class Cumprod(Op):
    """y_i = prod_{j<=i} x_j;  dx_i = sum_{j>=i} dy_j y_j / x_i.

    Without zeros that is a reversed cumsum divided by x (NumPy calls, so it also runs on
    Tensors under create_graph); with zeros an exact O(n^2) product of the other factors.
    """

    @staticmethod
    def forward(ctx, x, axis, dtype=None):
        xp = array_module(x)
        ctx.axis = axis
        dtype = _scan_dtype(x, dtype)
        y = xp.array(x, dtype=dtype) if x.ndim == 0 else xp.cumprod(x, axis=axis, dtype=_acc(dtype)).astype(dtype, copy=False)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        x, y = ctx.saved_tensors
        axis = ctx.axis
        if g.ndim == 0:
            return g, None, None
        if not xp.any(_d(x) == 0):
            return xp.flip(xp.cumsum(xp.flip(g * y, axis), axis=axis), axis) / x, None, None
        x = xp.asarray(_d(x))
        g = xp.asarray(_d(g))
        xm = xp.moveaxis(x, axis, -1)
        gm = xp.moveaxis(g, axis, -1)
        n = xm.shape[-1]
        out = xp.zeros_like(xm)
        # O(n^2) along the axis but exact with zeros: d y_j / d x_i = prod_{k<=j, k!=i} x_k.
        for i in range(n):
            rest = xm.copy()
            rest[..., i] = 1
            partial = xp.cumprod(rest, axis=-1)
            out[..., i] = (gm[..., i:] * partial[..., i:]).sum(-1)
        return xp.moveaxis(out, -1, axis), None, None


def cumprod(input: Tensor, dim: int, *, dtype=None, out=None) -> Tensor:
    return _scan(Cumprod, "cumprod", input, dim, dtype, out)


def cummax(input: Tensor, dim: int):
    return _cum_extremum(input, dim, True)


def cummin(input: Tensor, dim: int):
    return _cum_extremum(input, dim, False)


def _cum_extremum(input: Tensor, dim: int, is_max: bool):
    """The running extremum along ``dim`` and where it was last reached, as (values, indices)."""
    a = input._data
    xp = array_module(a)
    axis = _wrap_dim(dim, a.ndim)
    running = (xp.maximum if is_max else xp.minimum).accumulate(a, axis=axis)
    idx = _running_index(a, running, axis)
    return values_indices(gather(input, axis, _wrap(idx)), _wrap(idx))


def _running_index(a, running, axis):
    xp = array_module(a)
    hit = a == running
    if a.dtype.kind == "f":
        hit |= xp.isnan(a) & xp.isnan(running)  # a NaN stays the running extremum, as in PyTorch
    pos = xp.arange(a.shape[axis]).reshape([-1 if i == axis else 1 for i in range(a.ndim)])
    return xp.maximum.accumulate(xp.where(hit, pos, 0), axis=axis).astype(np.int64)


def all(input: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:  # noqa: A001
    if out is not None:
        return write_out(out, all(input, dim, keepdim), "all", exact="all only supports bool tensor for result, got: {got}")
    return _all_or_any(input, dim, keepdim, "all")


def any(input: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:  # noqa: A001
    if out is not None:
        return write_out(out, any(input, dim, keepdim), "any", exact="any only supports bool tensor for result, got: {got}")
    return _all_or_any(input, dim, keepdim, "any")


def _all_or_any(input: Tensor, dim, keepdim, name) -> Tensor:
    """PyTorch's all/any: an empty dim list reduces nothing (each element tested alone, unlike sum's
    dim=()), and a uint8 input answers in uint8."""
    a = input._data
    xp = array_module(a)
    axes = () if isinstance(dim, (tuple, list)) and not dim else _axes(dim, input)
    y = xp.asarray(getattr(xp, name)(a, axis=axes, keepdims=keepdim))
    return _wrap(y.astype(np.uint8) if a.dtype == np.uint8 else y)


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    xp = array_module(input._data)
    return _wrap(xp.asarray(xp.count_nonzero(input._data, axis=_axes(dim, input)), dtype=np.int64))


@supports_out("median")
def median(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median (PyTorch's convention); with ``dim``, (values, indices). NaN propagates."""
    return _median(input, dim, keepdim, "median", False)


@supports_out("nanmedian")
def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median of the non-NaN values (NaN only where a slice is all NaN)."""
    return _median(input, dim, keepdim, "nanmedian", True)


def _median(input: Tensor, dim, keepdim, name, ignore_nan):
    xp = array_module(input._data)
    a = input._data
    _int_dim(dim, name)
    if a.dtype.kind == "b":
        raise NotImplementedError(f'"{"median_cpu" if dim is None else "median_out"}" not implemented for \'Bool\'')
    if dim is None:
        if a.size == 0:
            return _wrap(xp.array(np.nan, dtype=a.dtype))
        idx = _median_index(a.reshape(-1), 0, ignore_nan)
        return gather(flatten(input), 0, _wrap(idx)).reshape(())
    axis = _wrap_dim(dim, a.ndim)
    if a.ndim == 0:  # a scalar is its own median, at index 0
        return values_indices(*_scalar_pick(input))
    if a.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    idx = _median_index(a, axis, ignore_nan)
    values = gather(input, axis, _wrap(idx))
    if not keepdim:
        values, idx = squeeze(values, axis), xp.squeeze(idx, axis)
    return values_indices(values, _wrap(idx))


def _median_index(a, axis: int, ignore_nan: bool):
    """Index (kept dim) of the lower median along ``axis``. A stable sort puts NaNs last: median takes
    a slice's first NaN (PyTorch propagates it), nanmedian the lower median of the values before them."""
    xp = array_module(a)
    order = xp.argsort(a, axis=axis, kind="stable")
    if ignore_nan and a.dtype.kind == "f":
        k = xp.maximum((~xp.isnan(a)).sum(axis=axis, keepdims=True) - 1, 0) // 2
        return xp.take_along_axis(order, k, axis)
    return _nan_first(a, xp.take(order, [(a.shape[axis] - 1) // 2], axis=axis), axis)


def _nan_first(a, idx, axis: int):
    """Where a slice holds a NaN, its median is NaN (PyTorch propagates it): take the first NaN."""
    xp = array_module(a)
    if a.dtype.kind == "f" and a.ndim:
        nan = xp.isnan(a)
        if nan.any():
            has = nan.any(axis=axis, keepdims=True)
            return xp.where(has, xp.argmax(nan, axis=axis, keepdims=True), idx)
    return idx


@supports_out("mode")
def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """The most frequent value along ``dim`` (smallest on ties), with an index where it occurs."""
    xp = array_module(input._data)

    a = input._data
    axis = _wrap_dim(dim, a.ndim)
    if a.ndim == 0:
        return values_indices(*_scalar_pick(input))
    if a.shape[axis] == 0:
        raise IndexError(f"mode(): Expected reduction dim {axis} to have non-zero size.")
    moved = xp.moveaxis(a, axis, -1)
    flat = moved.reshape(math.prod(moved.shape[:-1]), moved.shape[-1])
    vals_idx = xp.empty(flat.shape[0], dtype=np.int64)
    for r, row in enumerate(flat):
        uniq, counts = xp.unique(row, return_counts=True)
        best = uniq[xp.argmax(counts)]
        # unique counts the NaNs together; a NaN never equals itself, so find it by isnan
        vals_idx[r] = xp.nonzero(xp.isnan(row) if best != best else row == best)[0][-1]
    idx = xp.moveaxis(vals_idx.reshape(moved.shape[:-1] + (1,)), -1, axis)
    values = gather(input, axis, _wrap(idx))
    if not keepdim:
        values, idx = squeeze(values, axis), xp.squeeze(idx, axis)
    return values_indices(values, _wrap(idx))


__all__ = [
    _n for _n, _v in list(globals().items())
    if not _n.startswith("_") and callable(_v) and not isinstance(_v, type) and getattr(_v, "__module__", None) == __name__
]
