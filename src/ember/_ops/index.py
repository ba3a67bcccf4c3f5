"""Indexing: ``t[...]`` get and set, gather/scatter, selection, sorting.

Gradients of reads scatter back with ``np.add.at`` so repeated indices accumulate.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Op
from ._common import c_type_name, cast_operand
from .inplace import mark_view

_wrap = Tensor._wrap
_BASIC = (int, np.integer, slice, type(None), type(Ellipsis))


def _convert_key(key):
    """Tensors in an index become arrays; lists of ints become integer arrays."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if isinstance(k, Tensor):
            a = k._data
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if a.dtype == np.uint8:
                a = a.astype(bool)
            out.append(a)
        elif isinstance(k, (list,)):
            a = np.asarray(k)
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(a)
        elif isinstance(k, bool):
            out.append(np.asarray(k))
        else:
            out.append(k)
    return tuple(out)


def _is_basic(key) -> bool:
    return all(isinstance(k, _BASIC) and not isinstance(k, bool) for k in key)


def _check_bounds(shape, key):
    """PyTorch's messages for integer indices out of range, masks of the wrong shape and too
    many indices. ``dim`` walks the tensor's dims: None adds none, a mask consumes its ndim,
    the ellipsis whatever the other entries leave over."""
    nd = len(shape)
    consumed = 0
    for k in key:
        if k is not None and k is not Ellipsis:
            consumed += k.ndim if isinstance(k, np.ndarray) and k.dtype == np.bool_ else 1
    if consumed > nd:
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    dim = 0
    for k in key:
        if k is None:
            continue
        if k is Ellipsis:
            dim += nd - consumed
            continue
        if isinstance(k, (int, np.integer)):
            n = shape[dim]
            if not -n <= k < n:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {n}")
        elif isinstance(k, np.ndarray) and k.dtype != bool and k.size:
            if dim < len(shape):
                n = shape[dim]
                if k.max() >= n or k.min() < -n:
                    bad = k.max() if k.max() >= n else k.min()
                    raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
        if isinstance(k, np.ndarray) and k.dtype == bool:
            for j, n in enumerate(k.shape):
                if dim + j < len(shape) and n != shape[dim + j]:
                    raise IndexError(
                        f"The shape of the mask {list(k.shape)} at index {j} does not match the shape of the "
                        f"indexed tensor {list(shape)} at index {dim + j}"
                    )
            dim += k.ndim
        else:
            dim += 1


class GetItem(Op):
    """y = x[key];  dx = dy scattered into zeros at key (accumulating repeated indices)."""

    _node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, key, basic):
        ctx.meta = (x.shape, x.dtype, key, basic)
        return _index(x, key, basic)

    @staticmethod
    def infer(x, key, basic):
        y = x[key]  # NumPy's own indexing is the fast path; a scalar result becomes a 0-d view
        return y if type(y) is np.ndarray else _index(x, key, basic)

    @staticmethod
    def backward(ctx, g):
        shape, dtype, key, basic = ctx.meta
        if isinstance(g, Tensor):
            return index_put_values(_wrap(np.zeros(shape, dtype)), key, g, accumulate=not basic), None, None
        out = np.zeros(shape, dtype=dtype)
        if basic:
            out[key] = g
        else:
            np.add.at(out, key, g)
        return out, None, None


def _index(a: np.ndarray, key: tuple, basic: bool) -> np.ndarray:
    """``a[key]`` as an array. NumPy returns a scalar copy when basic integers select one
    element; ``a[key + (...,)]`` is the same element as a 0-d view, as PyTorch's ``x[0]`` is."""
    y = a[key]
    if type(y) is np.ndarray:
        return y
    if basic and not any(k is Ellipsis for k in key):
        return a[key + (Ellipsis,)]
    return np.asarray(y)


def getitem(x: Tensor, key) -> Tensor:
    key = _convert_key(key)
    basic = _is_basic(key)
    _check_bounds(x._data.shape, key)
    out = GetItem.apply(x, key, basic)
    if basic:
        out._version = x._version
        if out.grad_fn is not None:
            mark_view(out, x, lambda t: getitem(t, key))
    return out


class IndexPut(Op):
    """y = x with y[key] = v (or += v when accumulating);  dx = dy zeroed at key (kept if accumulating), dv = dy[key]."""

    @staticmethod
    def forward(ctx, x, key, v, accumulate):
        ctx.meta = (key, accumulate, np.shape(v))
        y = x.copy()
        if accumulate:
            np.add.at(y, key, v)
        else:
            y[key] = v
        return y

    @staticmethod
    def backward(ctx, g):
        key, accumulate, vshape = ctx.meta
        gx = gv = None
        if ctx.needs_input_grad[0]:
            if accumulate:
                gx = g
            elif isinstance(g, Tensor):
                gx = index_put_values(g, key, _wrap(np.zeros((), g._data.dtype)))
            else:
                gx = g.copy()
                gx[key] = 0
        if ctx.needs_input_grad[2]:
            gv = getitem(g, key) if isinstance(g, Tensor) else g[key]
            if not isinstance(gv, Tensor):
                gv = np.asarray(gv)
        return gx, None, gv, None


def index_put_values(x: Tensor, key, values, accumulate: bool = False) -> Tensor:
    """Out-of-place ``x[key] = values`` (or ``+=``), differentiable in x and values."""
    if not isinstance(key, tuple):
        key = (key,)
    key = _convert_key(key)
    v = values if isinstance(values, Tensor) else _wrap(np.asarray(values, dtype=x._data.dtype))
    if v._data.dtype != x._data.dtype:
        v = cast_operand(v, x.dtype)
    return IndexPut.apply(x, key, v, accumulate)


def index_put(input: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    return index_put_values(input, tuple(indices), values, accumulate)


def setitem(x: Tensor, key, value) -> None:
    """``x[key] = value`` in place; differentiable when x or value is in a graph."""
    from .inplace import write_inplace

    key = _convert_key(key)
    _check_bounds(x._data.shape, key)
    if isinstance(value, np.ndarray):
        value = _wrap(value)
    if isinstance(value, Tensor):
        if value._data.dtype != x._data.dtype:
            value = cast_operand(value, x.dtype)
        try:
            np.broadcast_shapes(np.shape(x._data[key]), value._data.shape)
        except ValueError:
            raise RuntimeError(
                f"shape mismatch: value tensor of shape {list(value._data.shape)} cannot be broadcast to indexing result of shape {list(np.shape(x._data[key]))}"
            ) from None
    elif isinstance(value, (list, tuple)):
        value = _wrap(np.asarray(value, dtype=x._data.dtype))
    raw = value._data if isinstance(value, Tensor) else value
    write_inplace(x, lambda t: index_put_values(t, key, value), direct=lambda a: a.__setitem__(key, raw), others=(value,))


# -- gather / scatter -----------------------------------------------------------------------------


def _grid(index: np.ndarray, dim: int):
    """Index arrays addressing x[i0, ..., index[i], ...] for every position i of ``index``."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


def _check_gather_shapes(name, x_shape, dim, index, src_shape=None):
    if index.ndim != len(x_shape) and not (index.ndim <= 1 and len(x_shape) <= 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {'input' if name == 'gather' else 'self'} tensor")
    for d, n in enumerate(index.shape):
        if d != dim and d < len(x_shape) and n > x_shape[d]:
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {list(index.shape)} to be no larger than self {list(x_shape)} apart from dimension {dim}"
            )
    if index.size and (index.max() >= x_shape[dim] or index.min() < -x_shape[dim]):
        bad = index.max() if index.max() >= x_shape[dim] else index.min()
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {x_shape[dim]}")


def _index_array(index, name: str = "gather") -> np.ndarray:
    a = index._data if isinstance(index, Tensor) else np.asarray(index)
    if a.dtype.kind not in "iu":
        what = "int32 or int64" if name == "index_select" else "int32/int64"
        raise RuntimeError(f"{name}(): Expected dtype {what} for index")
    return a


def gather(input: Tensor, dim: int, index, *, sparse_grad: bool = False) -> Tensor:
    """out[i][j] = input[index[i][j]][j] (for dim 0), elementwise along ``dim``."""
    idx = _index_array(index)
    d = _wrap_dim(dim, input._data.ndim)
    _check_gather_shapes("gather", input._data.shape, d, idx)
    return GetItem.apply(input, _grid(idx, d), False)


def take_along_dim(input: Tensor, indices, dim=None) -> Tensor:
    from .shape import flatten

    idx = _index_array(indices)
    if dim is None:
        return GetItem.apply(flatten(input), (idx.reshape(-1),), False)
    d = _wrap_dim(dim, input._data.ndim)
    shape = list(np.broadcast_shapes(tuple(1 if i == d else s for i, s in enumerate(input._data.shape)), tuple(1 if i == d else s for i, s in enumerate(idx.shape))))
    idx_shape = shape.copy()
    idx_shape[d] = idx.shape[d]
    idx = np.broadcast_to(idx, idx_shape)
    in_shape = shape.copy()
    in_shape[d] = input._data.shape[d]
    from .shape import expand

    x = expand(input, tuple(in_shape)) if tuple(in_shape) != input._data.shape else input
    return GetItem.apply(x, _grid(idx, d), False)


def take(input: Tensor, index) -> Tensor:
    from .shape import flatten

    idx = _index_array(index, "take")
    n = input._data.size
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = idx.max() if idx.max() >= n else idx.min()
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return GetItem.apply(flatten(input), (idx,), False)


def scatter(input: Tensor, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
    """Out of place: a copy of input with ``src`` (or ``value``) written at ``index`` along ``dim``."""
    if src is None and value is None:
        raise TypeError("scatter() needs src or value")
    if src is not None and not isinstance(src, Tensor):
        value, src = src, None
    idx = _index_array(index)
    d = _wrap_dim(dim, input._data.ndim)
    _check_gather_shapes("scatter", input._data.shape, d, idx)
    grid = _grid(idx, d)
    if src is not None:
        vals = GetItem.apply(src, tuple(slice(0, n) for n in idx.shape), True) if src._data.shape != idx.shape else src
    else:
        vals = _wrap(np.full(idx.shape, value, dtype=input._data.dtype))
    if reduce is None:
        return index_put_values(input, grid, vals)
    if reduce == "add":
        return index_put_values(input, grid, vals, accumulate=True)
    if reduce == "multiply":
        out = input._data.copy()
        np.multiply.at(out, grid, vals._data)
        return _wrap(out)
    raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")


def scatter_add(input: Tensor, dim: int, index, src: Tensor) -> Tensor:
    """Out of place: a copy of input with ``src`` added at ``index`` along ``dim`` (repeats accumulate)."""
    idx = _index_array(index)
    d = _wrap_dim(dim, input._data.ndim)
    _check_gather_shapes("scatter_add", input._data.shape, d, idx)
    vals = GetItem.apply(src, tuple(slice(0, n) for n in idx.shape), True) if src._data.shape != idx.shape else src
    return index_put_values(input, _grid(idx, d), vals, accumulate=True)


def scatter_reduce(input: Tensor, dim: int, index, src: Tensor, reduce: str, *, include_self: bool = True) -> Tensor:
    idx = _index_array(index)
    d = _wrap_dim(dim, input._data.ndim)
    grid = _grid(idx, d)
    s = src._data[tuple(slice(0, n) for n in idx.shape)]
    if reduce == "sum":
        return scatter_add(input, dim, index, src)
    out = input._data.copy()
    ufunc = {"prod": np.multiply, "amax": np.maximum, "amin": np.minimum}.get(reduce)
    if reduce == "mean":
        total = out.copy() if include_self else np.zeros_like(out)
        count = np.ones_like(out) if include_self else np.zeros_like(out)
        np.add.at(total, grid, s)
        np.add.at(count, grid, 1)
        return _wrap(np.where(count > 0, total / np.maximum(count, 1), out).astype(out.dtype))
    if ufunc is None:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if not include_self:
        touched = np.zeros(out.shape, bool)
        touched[grid] = True
        init = {"prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
        out[touched] = init
    ufunc.at(out, grid, s)
    return _wrap(out)


def index_select(input: Tensor, dim: int, index) -> Tensor:
    """The slices of input at ``index`` (1-D) along ``dim``."""
    idx = _index_array(index, "index_select")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = _wrap_dim(dim, input._data.ndim)
    if idx.size and (idx.max() >= input._data.shape[d] or idx.min() < 0):
        bad = idx.max() if idx.max() >= input._data.shape[d] else idx.min()
        raise IndexError(f"index out of range in self (index {bad}, dimension {d} of size {input._data.shape[d]})")
    key = (slice(None),) * d + (idx.reshape(-1),)
    return GetItem.apply(input, key, False) if input._requires_grad else _wrap(np.take(input._data, idx.reshape(-1), axis=d))


def index_add(input: Tensor, dim: int, index, source: Tensor, *, alpha=1) -> Tensor:
    from .pointwise import mul

    idx = _index_array(index, "index_add")
    d = _wrap_dim(dim, input._data.ndim)
    shape, sshape = input._data.shape, source._data.shape
    if idx.ndim > 1:
        raise IndexError("index_add_(): Index is supposed to be a vector")
    if len(sshape) != len(shape) or any(a != b for k, (a, b) in enumerate(zip(shape, sshape)) if k != d):
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified dimension. "
            f"Got self.shape = {list(shape)} source.shape = {list(sshape)}"
        )
    if idx.size != (sshape[d] if sshape else 1):
        raise RuntimeError(
            f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): ({sshape[d]}), for dim: {d}"
        )
    if idx.size and (idx.max() >= shape[d] or idx.min() < 0):
        bad = idx.max() if idx.max() >= shape[d] else idx.min()
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {shape[d]}")
    key = (slice(None),) * d + (idx,)
    src = mul(source, alpha) if alpha != 1 else source
    return index_put_values(input, key, src, accumulate=True)


def index_fill(input: Tensor, dim: int, index, value) -> Tensor:
    idx = _index_array(index)
    d = _wrap_dim(dim, input._data.ndim)
    key = (slice(None),) * d + (idx,)
    v = value if isinstance(value, Tensor) else _wrap(np.asarray(value, dtype=input._data.dtype))
    return index_put_values(input, key, v)


def index_copy(input: Tensor, dim: int, index, source: Tensor) -> Tensor:
    idx = _index_array(index)
    d = _wrap_dim(dim, input._data.ndim)
    return index_put_values(input, (slice(None),) * d + (idx,), source)


def _mask_array(mask) -> np.ndarray:
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        if m.dtype == np.uint8:
            return m.astype(bool)
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {c_type_name(D.from_numpy_dtype(m.dtype))}")
    return m


def masked_fill(input: Tensor, mask, value) -> Tensor:
    """input with ``value`` where ``mask`` is True (mask broadcasts to input)."""
    from .pointwise import Where

    m = _mask_array(mask)
    try:
        out_shape = np.broadcast_shapes(input._data.shape, m.shape)
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({input._data.shape[-1] if input._data.ndim else 1}) must match the size of tensor b ({m.shape[-1] if m.ndim else 1}) at non-singleton dimension {max(input._data.ndim, m.ndim) - 1}"
        ) from None
    if out_shape != input._data.shape:
        raise RuntimeError(f"masked_fill: mask of shape {list(m.shape)} can't be broadcast to input of shape {list(input._data.shape)}")
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with {value._data.ndim} dimension(s).")
        v = cast_operand(value, input.dtype)
    else:
        v = input.dtype.np.type(value)
    return Where.apply(m, v, input)


def masked_select(input: Tensor, mask) -> Tensor:
    """The elements where ``mask`` is True, as a 1-D tensor."""
    from .shape import expand

    m = _mask_array(mask)
    shape = np.broadcast_shapes(input._data.shape, m.shape)
    x = expand(input, shape) if shape != input._data.shape else input
    return GetItem.apply(x, (np.broadcast_to(m, shape),), False)


def masked_scatter(input: Tensor, mask, source: Tensor) -> Tensor:
    m = np.broadcast_to(_mask_array(mask), input._data.shape)
    n = int(m.sum())
    from .shape import flatten

    vals = GetItem.apply(flatten(source), (slice(0, n),), True)
    return index_put_values(input, (m,), vals)


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of non-zero elements: an (n, ndim) int64 tensor, or one tensor per dim."""
    a = input._data
    if a.ndim == 0:  # a 0-d tensor has one element and no dims: (1, 0) or (0, 0) like PyTorch
        n = int(bool(a))
        return (_wrap(np.zeros(n, np.int64)),) if as_tuple else _wrap(np.zeros((n, 0), np.int64))
    idx = np.nonzero(a)
    if as_tuple:
        return tuple(_wrap(i.astype(np.int64)) for i in idx)
    return _wrap(np.stack(idx, axis=1).astype(np.int64))


def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)


sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """Sorted values along ``dim`` and the indices that sort it."""
    if input._data.ndim == 0:
        return sort_result(input, _wrap(np.array(0)))
    d = _wrap_dim(dim, input._data.ndim)
    idx = _argsort(input._data, d, descending)
    return sort_result(gather(input, d, _wrap(idx)), _wrap(idx))


def _argsort(a, axis, descending):
    """Stable order along ``axis``; NaN counts as the largest value, as in PyTorch.

    Descending: a stable ascending sort of the reversed axis, reversed back and mapped to the
    original positions. Ties keep their original order, NaN comes first, and no key is
    negated (which would overflow unsigned and extreme integers).
    """
    if a.ndim == 0:
        return np.zeros((), np.int64)
    if descending:
        n = a.shape[axis]
        rev = np.flip(np.argsort(np.flip(a, axis), axis=axis, kind="stable"), axis)
        return (n - 1 - rev).astype(np.int64)
    return np.argsort(a, axis=axis, kind="stable").astype(np.int64)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    d = _wrap_dim(dim, input._data.ndim)
    return _wrap(_argsort(input._data, d, descending))


def msort(input: Tensor) -> Tensor:
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The k largest (or smallest) elements along ``dim``, with their indices."""
    if input._data.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    d = _wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    idx = _argsort(input._data, d, largest)
    idx = np.take(idx, np.arange(k), axis=d)
    return topk_result(gather(input, d, _wrap(idx)), _wrap(idx))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    if input._data.dtype.kind == "b":
        raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
    d = _wrap_dim(dim, input._data.ndim)
    idx = np.take(_argsort(input._data, d, False), [k - 1], axis=d)
    vals = gather(input, d, _wrap(idx))
    if not keepdim:
        from .shape import squeeze

        vals, idx = squeeze(vals, d), np.squeeze(idx, d)
    return namedtuple("kthvalue", ["values", "indices"])(vals, _wrap(idx))


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim=None):  # noqa: A002
    """The distinct elements (sorted), optionally with inverse indices and counts."""
    a = input._data
    if dim is None:
        values, inverse, counts = np.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        inverse = inverse.reshape(a.shape)
    else:
        values, inverse, counts = np.unique(a, return_inverse=True, return_counts=True, axis=_wrap_dim(dim, a.ndim))
    out = [_wrap(values)]
    if return_inverse:
        out.append(_wrap(inverse.astype(np.int64)))
    if return_counts:
        out.append(_wrap(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim=None):
    a = input._data.reshape(-1)
    if a.size == 0:
        keep = np.zeros(0, bool)
    else:
        keep = np.concatenate([[True], a[1:] != a[:-1]])
    values = a[keep]
    out = [_wrap(values)]
    if return_inverse:
        out.append(_wrap((np.cumsum(keep) - 1).reshape(input._data.shape).astype(np.int64)))
    if return_counts:
        starts = np.nonzero(keep)[0]
        out.append(_wrap(np.diff(np.append(starts, a.size)).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(input: Tensor, weights=None, minlength: int = 0) -> Tensor:
    w = weights._data if isinstance(weights, Tensor) else weights
    return _wrap(np.bincount(input._data, w, minlength))


def searchsorted(sorted_sequence: Tensor, input, *, right: bool = False, side=None) -> Tensor:
    side = side or ("right" if right else "left")
    v = input._data if isinstance(input, Tensor) else np.asarray(input)
    return _wrap(np.searchsorted(sorted_sequence._data, v, side=side).astype(np.int64))


def bucketize(input: Tensor, boundaries: Tensor, *, right: bool = False) -> Tensor:
    return _wrap(np.searchsorted(boundaries._data, input._data, side="left" if not right else "right").astype(np.int64))


_INTERNAL = {'setitem', 'index_put_values', 'getitem'}  # array-level helpers other op modules use; not PyTorch names
__all__ = [
    _n for _n, _v in list(globals().items())
    if not _n.startswith("_") and _n not in _INTERNAL and callable(_v) and not isinstance(_v, type)
    and getattr(_v, "__module__", None) == __name__
]
