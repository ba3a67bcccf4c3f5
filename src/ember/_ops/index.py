"""Indexing: ``t[...]`` get and set, gather/scatter, selection, sorting.

Gradients of reads scatter back with ``np.add.at`` so repeated indices accumulate.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from .._backend import array_module, errstate, is_array
from ..autograd.function import Op
from ._common import broadcast_error, c_type_name, cast_operand, type_name
from ._out import supports_out, write_out
from .inplace import mark_view, write_inplace
from .nonzero import argwhere, nonzero  # noqa: F401  (Tensor.nonzero & co. are declared with the index family)
from .pointwise import Where, mul
from .shape import expand, flatten, movedim, reshape, squeeze

_wrap = Tensor._wrap
_BASIC = (int, np.integer, slice, type(None), type(Ellipsis))


def _sequence_as_tuple(key: list) -> bool:
    """PyTorch still reads a short list holding a sequence, tensor, slice, None or ``...`` as a tuple
    of indices (``x[[0, [1, 2]]]`` is ``x[0, [1, 2]]``), NumPy's old rule."""
    return len(key) < 32 and any(isinstance(k, (list, tuple, Tensor, slice)) or k is None or k is Ellipsis for k in key)


def _convert_key(key, like):
    """Tensors in an index become arrays; lists of ints become integer arrays (of ``like``'s library)."""
    if isinstance(key, list) and _sequence_as_tuple(key):
        key = tuple(key)
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
            elif a.ndim == 0 and a.dtype != np.bool_:
                a = int(a)  # PyTorch selects with a 0-d integer tensor, as with an int
            out.append(a)
        elif isinstance(k, (list,)):
            a = array_module(like).asarray(k)
            if a.size == 0:
                a = a.astype(np.int64)  # PyTorch reads [] as an empty long index
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(a)
        elif isinstance(k, bool):
            out.append(array_module(like).asarray(k))
        elif isinstance(k, np.bool_):
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                             "indices (got numpy.bool)")
        elif isinstance(k, float):
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                             "indices (got float)")
        elif isinstance(k, str):
            raise TypeError("new(): invalid data type 'str'")
        elif k is Ellipsis and any(o is Ellipsis for o in out):
            continue  # PyTorch lets the first ellipsis take the spare dims and later ones none
        else:
            out.append(k)
    return tuple(out)


def _is_basic(key) -> bool:
    return all(isinstance(k, _BASIC) and not isinstance(k, bool) for k in key)


def _selects_nothing(key) -> bool:
    """The index tensors broadcast to an empty shape (e.g. beside an all-False mask): PyTorch reads
    no index then, so none is out of range."""
    shapes = [(int(k.sum()),) if k.dtype == np.bool_ else k.shape for k in key if is_array(k)]
    try:
        return 0 in np.broadcast_shapes(*shapes)
    except ValueError:
        return False


def _check_bounds(shape, key):
    """PyTorch's messages for integer indices out of range, masks of the wrong shape and too
    many indices. ``dim`` walks the tensor's dims: None adds none, a mask consumes its ndim,
    the ellipsis whatever the other entries leave over."""
    nd = len(shape)
    consumed = 0
    for k in key:
        if k is not None and k is not Ellipsis:
            consumed += k.ndim if is_array(k) and k.dtype == np.bool_ else 1
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
        elif is_array(k) and k.dtype != bool and k.size:
            if dim < len(shape):
                n = shape[dim]
                if (k.max() >= n or k.min() < -n) and not _selects_nothing(key):
                    bad = k.max() if k.max() >= n else k.min()
                    raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
        if is_array(k) and k.dtype == bool:
            for j, n in enumerate(k.shape):
                if dim + j < len(shape) and n != shape[dim + j]:
                    raise IndexError(
                        f"The shape of the mask {list(k.shape)} at index {j} does not match the shape of the "
                        f"indexed tensor {list(shape)} at index {dim + j}"
                    )
            dim += k.ndim
        else:
            dim += 1


def _torch_placement(key: tuple, ndim: int):
    """Where PyTorch and NumPy disagree on the position of the advanced-index dims: ``(p, n)``
    meaning NumPy put the ``n`` broadcast index dims first while PyTorch puts them at dim ``p``;
    None when both agree.

    PyTorch applies integers as selections before advanced indexing; NumPy counts them as
    advanced indices. So in ``x[1, :, idx]`` NumPy sees two advanced indices split by a slice
    and moves the index dims to the front, while PyTorch sees one index tensor and keeps its
    dims in place. The results differ only by that move (ints add no dims either way), so one
    ``moveaxis`` reconciles them.
    """
    if len(key) < 3:  # two entries can't have a gap between advanced ones: the common x[idx] exits here
        return None
    arrays = [i for i, k in enumerate(key) if is_array(k)]
    if not arrays:
        return None
    advanced = [i for i, k in enumerate(key) if (is_array(k) or isinstance(k, (int, np.integer))) and not isinstance(k, bool)]
    if advanced[-1] - advanced[0] + 1 == len(advanced):
        return None  # NumPy keeps them in place too
    consumed = sum(k.ndim if is_array(k) and k.dtype == np.bool_ else 1
                   for k in key if k is not None and k is not Ellipsis)
    between = key[arrays[0]:arrays[-1] + 1]
    empty_ellipsis = consumed == ndim  # PyTorch counts dims, so an Ellipsis standing for none splits nothing
    if any(not (is_array(k) or isinstance(k, (int, np.integer))) and not (k is Ellipsis and empty_ellipsis) for k in between):
        return None  # split by a slice, None or Ellipsis: both libraries move the index dims first
    n = len(np.broadcast_shapes(*_index_shapes(key)))
    p = 0
    for k in key[:arrays[0]]:
        if k is Ellipsis:
            p += ndim - consumed
        elif k is None or isinstance(k, slice):
            p += 1
    return (p, n) if p else None


def _index_shapes(key: tuple) -> list:
    """The shapes of the index tensors PyTorch broadcasts: a mask stands for its nonzero() indices."""
    shapes = []
    for k in key:
        if is_array(k):
            shapes.append((int(k.sum()),) if k.dtype == np.bool_ else k.shape)
    return shapes


def _broadcast_error(key: tuple) -> IndexError:
    listed = ", ".join(str(list(sh)) for sh in _index_shapes(key))
    return IndexError(f"shape mismatch: indexing tensors could not be broadcast together with shapes {listed}")


def _check_index_broadcast(key: tuple) -> None:
    shapes = _index_shapes(key)
    if len(shapes) > 1:
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            raise _broadcast_error(key) from None


def _to_torch_order(a, placement):
    p, n = placement
    return array_module(a).moveaxis(a, tuple(range(n)), tuple(range(p, p + n)))


def _to_numpy_order(a, placement):
    p, n = placement
    return array_module(a).moveaxis(a, tuple(range(p, p + n)), tuple(range(n)))


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
        return y if is_array(y) else _index(x, key, basic)

    @staticmethod
    def backward(ctx, g):
        shape, dtype, key, basic = ctx.meta
        if isinstance(g, Tensor):
            return index_put_values(_wrap(array_module(g._data).zeros(shape, dtype)), key, g, accumulate=not basic), None, None
        xp = array_module(g)
        out = xp.zeros(shape, dtype=dtype)
        if basic:
            out[key] = g
        else:
            xp.add.at(out, key, g)
        return out, None, None


def _index(a, key: tuple, basic: bool):
    """``a[key]`` as an array. NumPy returns a scalar copy when basic integers select one
    element; ``a[key + (...,)]`` is the same element as a 0-d view, as PyTorch's ``x[0]`` is."""
    y = a[key]
    if is_array(y):
        return y
    if basic and not any(k is Ellipsis for k in key):
        return a[key + (Ellipsis,)]
    return array_module(a).asarray(y)


def _getitem_in_torch_order(x: Tensor, key: tuple):
    """``x[key]`` for a key whose index dims NumPy would place differently from PyTorch (see
    ``_torch_placement``): NumPy's result with those dims moved, differentiably. None otherwise."""
    _check_index_broadcast(key)
    placement = _torch_placement(key, x._data.ndim)
    if placement is None:
        return None
    _check_bounds(x._data.shape, key)
    p, n = placement
    return movedim(GetItem.apply(x, key, False), tuple(range(n)), tuple(range(p, p + n)))


def getitem(x: Tensor, key) -> Tensor:
    key = _convert_key(key, x._data)
    basic = _is_basic(key)
    if not basic and len(key) > 1:
        moved = _getitem_in_torch_order(x, key)
        if moved is not None:
            return moved

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
        ctx.meta = (key, accumulate, v.shape)
        y = x.copy()
        if accumulate:
            array_module(x, v).add.at(y, key, v)
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
                gx = index_put_values(g, key, _wrap(array_module(g._data).zeros((), g._data.dtype)))
            else:
                gx = g.copy()
                gx[key] = 0
        if ctx.needs_input_grad[2]:
            gv = getitem(g, key) if isinstance(g, Tensor) else g[key]
            if not isinstance(gv, Tensor):
                gv = array_module(g).asarray(gv)
        return gx, None, gv, None


def index_put_values(x: Tensor, key, values, accumulate: bool = False) -> Tensor:
    """Out-of-place ``x[key] = values`` (or ``+=``), differentiable in x and values."""
    if not isinstance(key, tuple):
        key = (key,)
    key = _convert_key(key, x._data)
    v = values if isinstance(values, Tensor) else _wrap(array_module(x._data).asarray(values, dtype=x._data.dtype))
    if v._data.dtype != x._data.dtype:
        v = cast_operand(v, x.dtype)
    return IndexPut.apply(x, key, v, accumulate)


def index_put(input: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    key = _convert_key(tuple(indices), input._data)
    _check_bounds(input._data.shape, key)
    if isinstance(values, Tensor) and values._data.dtype != input._data.dtype:  # t[i] = v casts; index_put refuses
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {type_name(input.dtype)} "
                           f"for the destination and {type_name(values.dtype)} for the source.")
    return index_put_values(input, key, values, accumulate)


def _check_value_shape(value: Tensor, target: tuple, basic: bool) -> tuple:
    """The value must expand to the indexed shape (one way: a (5,) value does not fill a (4, 1) slot),
    after dropping leading size-1 dims as PyTorch does. Basic keys fail with expand's words, index
    tensors with the shape-mismatch message. Returns the value's shape without those dims."""
    shape = value._data.shape
    while len(shape) > len(target) and shape[0] == 1:
        shape = shape[1:]
    lead = len(target) - len(shape)
    if lead >= 0 and all(s in (1, t) for s, t in zip(shape, target[lead:])):
        return shape
    if basic:
        expand(_wrap(value._data.reshape(shape)), target)  # raises PyTorch's expand error
    raise RuntimeError(f"shape mismatch: value tensor of shape {list(value._data.shape)} cannot be broadcast to "
                       f"indexing result of shape {list(target)}")


def setitem(x: Tensor, key, value) -> None:
    """``x[key] = value`` in place; differentiable when x or value is in a graph."""
    key = _convert_key(key, x._data)
    _check_bounds(x._data.shape, key)
    placement = None
    if not _is_basic(key):
        _check_index_broadcast(key)
        placement = _torch_placement(key, x._data.ndim)
    if is_array(value):
        value = _wrap(value)
    elif isinstance(value, (list, tuple)):
        value = _wrap(array_module(x._data).asarray(value, dtype=x._data.dtype))
    if isinstance(value, Tensor):
        if value._data.dtype != x._data.dtype:
            value = cast_operand(value, x.dtype)
        xp = array_module(x._data)
        target = xp.shape(x._data[key])
        if placement is not None:
            target = _to_torch_order(xp.empty(target, dtype=np.bool_), placement).shape
        shape = _check_value_shape(value, tuple(target), basic=placement is None and _is_basic(key))
        if shape != value._data.shape:  # NumPy won't put a (1, 1) array into one element
            value = reshape(value, shape)
        if placement is not None:  # the values in NumPy's order of the indexed dims
            p, n = placement
            value = movedim(expand(value, target), tuple(range(p, p + n)), tuple(range(n)))
    raw = value._data if isinstance(value, Tensor) else value
    write_inplace(x, lambda t: index_put_values(t, key, value), direct=lambda a: a.__setitem__(key, raw), others=(value,))


# -- gather / scatter -----------------------------------------------------------------------------


def _grid(index, dim: int):
    """Index arrays addressing x[i0, ..., index[i], ...] for every position i of ``index``."""
    grids = list(array_module(index).indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


def _first_out_of_range(idx, n: int, allow_negative: bool = False):
    """The first index (in PyTorch's iteration order) outside [0, n) (or [-n, n)), or None."""
    if not idx.size:
        return None
    bad = (idx >= n) | (idx < (-n if allow_negative else 0))
    return idx[bad].flat[0] if bad.any() else None


def _check_gather_shapes(name, x_shape, dim, index, src=None):
    """PyTorch's checks for gather/scatter*: index rank, index size against self (and src),
    src dtype, then index values in [0, size) (negative indices are errors, not wrap-arounds)."""
    self_name = "input" if name == "gather" else "self"
    if index.ndim != len(x_shape) and not (index.ndim <= 1 and len(x_shape) <= 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {self_name} tensor")
    if src is not None:
        sshape = src._data.shape
        if len(sshape) != index.ndim and not (index.ndim <= 1 and len(sshape) <= 1):
            if len(sshape) < index.ndim:
                raise IndexError(f"Dimension out of range (expected to be in range of [{-max(len(sshape), 1)}, "
                                 f"{max(len(sshape), 1) - 1}], but got {index.ndim - 1})")
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    too_big = any(d != dim and d < len(x_shape) and n > x_shape[d] for d, n in enumerate(index.shape))
    if name == "gather":
        for d, n in enumerate(index.shape):
            if d != dim and d < len(x_shape) and n > x_shape[d]:
                raise RuntimeError(f"Size does not match at dimension {d} expected index {list(index.shape)} "
                                   f"to be no larger than self {list(x_shape)} apart from dimension {dim}")
    elif src is not None:
        sshape = src._data.shape
        if too_big or any(d < len(sshape) and n > sshape[d] for d, n in enumerate(index.shape)):
            raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self {list(x_shape)} apart "
                               f"from dimension {dim} and to be no larger size than src {list(sshape)}")
    elif too_big:
        raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self {list(x_shape)} apart from dimension {dim}")
    n = x_shape[dim] if x_shape else 1
    bad = _first_out_of_range(index, n)
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {n}")


def _as_array(x, like):
    """A Tensor's array; anything else (an array, a list, a number) as an array of ``like``'s library."""
    return x._data if isinstance(x, Tensor) else array_module(like).asarray(x)


def _index_array(index, like, name: str = "gather"):
    a = _as_array(index, like)
    if a.dtype.kind not in "iu":
        what = "int32 or int64" if name == "index_select" else "int32/int64"
        raise RuntimeError(f"{name}(): Expected dtype {what} for index")
    return a


def _scatter_src_dtype(input: Tensor, src: Tensor) -> None:
    if src._data.dtype != input._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")


def gather(input: Tensor, dim: int, index, *, sparse_grad: bool = False, out=None) -> Tensor:
    """out[i][j] = input[index[i][j]][j] (for dim 0), elementwise along ``dim``."""
    if out is not None:
        return write_out(out, gather(input, dim, index, sparse_grad=sparse_grad), "gather", exact="Expected out tensor to have dtype {want_c}, but got {got_c} instead")
    d = _wrap_dim(dim, input._data.ndim)
    idx = _index_array(index, input._data)
    _check_gather_shapes("gather", input._data.shape, d, idx)
    if input._data.ndim == 0:  # a 0-d input reads as one element; the result takes the index's shape
        return GetItem.apply(flatten(input), (idx,), False)
    return GetItem.apply(input, _grid(idx, d), False)


def take_along_dim(input: Tensor, indices, dim=None) -> Tensor:
    idx = _index_array(indices, input._data)
    if dim is None:
        n = input._data.size
        bad = _first_out_of_range(idx, n)
        if bad is not None:  # PyTorch gathers from the flattened input, with gather's bounds
            raise RuntimeError(f"index {bad} is out of bounds for dimension 0 with size {n}")
        return GetItem.apply(flatten(input), (idx.reshape(-1),), False)
    if idx.ndim != input._data.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same number of dimensions, but got "
                           f"{input._data.ndim} dimensions for input, and {idx.ndim} dimensions for indices")
    d = _wrap_dim(dim, input._data.ndim)
    others = [tuple(1 if i == d else s for i, s in enumerate(sh)) for sh in (input._data.shape, idx.shape)]
    try:
        shape = list(np.broadcast_shapes(*others))
    except ValueError:
        raise broadcast_error(*others) from None
    idx_shape = shape.copy()
    idx_shape[d] = idx.shape[d]
    idx = array_module(idx).broadcast_to(idx, idx_shape)
    in_shape = shape.copy()
    in_shape[d] = input._data.shape[d]
    x = expand(input, tuple(in_shape)) if tuple(in_shape) != input._data.shape else input
    return GetItem.apply(x, _grid(idx, d), False)


def take(input: Tensor, index, *, out=None) -> Tensor:
    if out is not None:
        return write_out(out, take(input, index), "take", exact="take(): self and out expected to have the same dtype, but got self.dtype = {want} and out.dtype = {got}")
    idx = _index_array(index, input._data, "take")
    if idx.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {type_name(D.from_numpy_dtype(idx.dtype))}")
    n = input._data.size
    bad = _first_out_of_range(idx, n, allow_negative=True)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return GetItem.apply(flatten(input), (idx,), False)


def _scatter_prepare(name, input: Tensor, dim: int, index, src):
    idx = _index_array(index, input._data, "scatter")
    d = _wrap_dim(dim, input._data.ndim)
    if src is not None:
        _scatter_src_dtype(input, src)
    _check_gather_shapes(name, input._data.shape, d, idx, src)
    vals = None
    if src is not None:
        vals = GetItem.apply(src, tuple(slice(0, n) for n in idx.shape), True) if src._data.shape != idx.shape else src
    return idx, d, _grid(idx, d), vals


def scatter(input: Tensor, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
    """Out of place: a copy of input with ``src`` (or ``value``) written at ``index`` along ``dim``."""
    if src is None and value is None:
        raise TypeError("scatter() needs src or value")
    if src is not None and not isinstance(src, Tensor):
        value, src = src, None
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    idx, d, grid, vals = _scatter_prepare("scatter", input, dim, index, src)
    if vals is None:
        vals = _wrap(array_module(input._data).full(idx.shape, value, dtype=input._data.dtype))
    if reduce is None:
        return index_put_values(input, grid, vals)
    if reduce == "add":
        return index_put_values(input, grid, vals, accumulate=True)
    out = input._data.copy()
    array_module(out).multiply.at(out, grid, vals._data)
    return _wrap(out)


def scatter_add(input: Tensor, dim: int, index, src: Tensor) -> Tensor:
    """Out of place: a copy of input with ``src`` added at ``index`` along ``dim`` (repeats accumulate)."""
    _, _, grid, vals = _scatter_prepare("scatter_add", input, dim, index, src)
    return index_put_values(input, grid, vals, accumulate=True)


_REDUCES = ("sum", "prod", "mean", "amax", "amin")


class ScatterReduce(Op):
    """y = x with, at every target position p, y[p] = reduce({x[p] if include_self} + {src[i] : index sends i to p}).

    dy/dsrc[i] = dy[p(i)] * d reduce / d src[i]: 1 (sum), 1/count (mean), product of the other
    members (prod), and for amax/amin the gradient shared evenly among the members equal to
    the result. dy/dx = the same for the kept self value, 0 where it was left out.
    """

    @staticmethod
    def forward(ctx, x, s, grid, reduce, include_self):
        xp = array_module(x, s)
        out = x.copy()
        touched = xp.zeros(x.shape, bool)
        touched[grid] = True
        if not include_self:
            out[touched] = {"sum": 0, "mean": 0, "prod": 1}.get(reduce, 0)
            if reduce in ("amax", "amin"):
                init = np.inf if reduce == "amin" else -np.inf
                if x.dtype.kind != "f":
                    info = np.iinfo(x.dtype) if x.dtype.kind in "iu" else None
                    init = (info.max if reduce == "amin" else info.min) if info else reduce == "amin"
                out[touched] = init
        if reduce == "sum" or reduce == "mean":
            xp.add.at(out, grid, s)
        elif reduce == "prod":
            xp.multiply.at(out, grid, s)
        else:
            (xp.maximum if reduce == "amax" else xp.minimum).at(out, grid, s)
        count = None
        if reduce == "mean":
            count = xp.ones(x.shape, np.int64) if include_self else xp.zeros(x.shape, np.int64)
            xp.add.at(count, grid, 1)
            count = xp.maximum(count, 1)
            out = out // count if out.dtype.kind in "iub" else (out / count).astype(out.dtype, copy=False)
        ctx.meta = (grid, reduce, include_self, touched, count)
        ctx.save_for_backward(x, s, out)
        return out

    @staticmethod
    def backward(ctx, g):
        grid, reduce, include_self, touched, count = ctx.meta
        x, s, y = (a._data if isinstance(a, Tensor) else a for a in ctx.saved_tensors)
        g = g._data if isinstance(g, Tensor) else g
        xp = array_module(g)
        if reduce == "sum":
            gx, gs = g, g[grid]
        elif reduce == "mean":
            gx = g / count
            gs = gx[grid]
        elif reduce == "prod":
            gx, gs = _prod_grads(g, x, s, y, grid, include_self, touched)
        else:
            value = y[grid]
            self_is = (x == y).astype(g.dtype)
            src_is = (s == value).astype(g.dtype)
            n = self_is.copy()
            xp.add.at(n, grid, src_is)
            with errstate(xp, divide="ignore", invalid="ignore"):
                shared = g / n
            gx = self_is * shared
            gs = src_is * shared[grid]
        if not include_self:
            gx = xp.where(touched, 0, gx).astype(g.dtype, copy=False)
        return gx, gs, None, None, None


def _prod_grads(g, x, s, y, grid, include_self, touched):
    """Gradients of a product without dividing by zero: a member's gradient is the product of
    the other members, which is y / member when member != 0, else the product of the non-zero
    members when it is the only zero, else 0."""
    xp = array_module(g, x, s)
    nonzero_prod = xp.where(x != 0, x, 1) if include_self else xp.ones_like(x)
    zeros = (x == 0).astype(np.int64) if include_self else xp.zeros(x.shape, np.int64)
    xp.multiply.at(nonzero_prod, grid, xp.where(s != 0, s, 1))
    xp.add.at(zeros, grid, (s == 0).astype(np.int64))

    def others(v, p_y, p_nz, p_zeros):
        with errstate(xp, divide="ignore", invalid="ignore"):
            return xp.where(v != 0, p_y / xp.where(v != 0, v, 1), xp.where(p_zeros == 1, p_nz, 0))

    gx = g * others(x, y, nonzero_prod, zeros)
    gs = g[grid] * others(s, y[grid], nonzero_prod[grid], zeros[grid])
    return gx, gs


def scatter_reduce(input: Tensor, dim: int, index, src: Tensor, reduce: str, *, include_self: bool = True) -> Tensor:
    """Out of place: ``src`` reduced (sum, prod, mean, amax, amin) into input at ``index`` along ``dim``."""
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    _, _, grid, vals = _scatter_prepare("scatter_reduce", input, dim, index, src)
    if reduce == "mean" and input._data.dtype == np.bool_:  # PyTorch has no bool mean kernel (ember returned int64)
        raise NotImplementedError("\"scatter_gather_tensor_cpu_reduce_mean\" not implemented for 'Bool'")
    return ScatterReduce.apply(input, vals, grid, reduce, bool(include_self))


def index_select(input: Tensor, dim: int, index, *, out=None) -> Tensor:
    """The slices of input at ``index`` (1-D) along ``dim``."""
    if out is not None:
        return write_out(out, index_select(input, dim, index), "index_select", exact="index_select(): self and result must have the same scalar type")
    idx = _index_array(index, input._data, "index_select")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = _wrap_dim(dim, input._data.ndim)
    if _first_out_of_range(idx, input._data.shape[d] if input._data.ndim else 1) is not None:
        raise IndexError("index out of range in self")
    if input._data.ndim == 0:  # PyTorch keeps a 0-d input 0-d, whatever the index's shape
        return squeeze(GetItem.apply(flatten(input), (idx.reshape(-1),), False))
    key = (slice(None),) * d + (idx.reshape(-1),)
    return GetItem.apply(input, key, False) if input._requires_grad else _wrap(array_module(input._data).take(input._data, idx.reshape(-1), axis=d))


def repeat_interleave(input: Tensor, repeats, dim=None) -> Tensor:
    """Each slice along ``dim`` repeated ``repeats`` times (an int, or one count per slice): an index_select."""
    if dim is None:
        input, dim = flatten(input), 0
    d = _wrap_dim(dim, input._data.ndim)
    reps = repeats._data if isinstance(repeats, Tensor) else repeats
    if isinstance(repeats, Tensor) and reps.ndim:
        if reps.size and reps.min() < 0:
            raise RuntimeError("repeats can not be negative")
        if reps.size != 1 and reps.shape[0] != input._data.shape[d]:
            raise RuntimeError("repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {reps.shape[0]} and input.size(0) = {input._data.shape[d]}")
    elif not isinstance(reps, (list, tuple)) and getattr(reps, "ndim", 0) == 0 and int(reps) < 0:
        raise RuntimeError("Repeats must be non-negative")
    xp = array_module(input._data)
    idx = xp.repeat(xp.arange(input._data.shape[d]), reps)
    return index_select(input, d, _wrap(idx))


def index_add(input: Tensor, dim: int, index, source: Tensor, *, alpha=1) -> Tensor:
    """Out of place: a copy of input with ``alpha * source`` added at the slices ``index`` along ``dim``."""
    idx = _as_array(index, input._data)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {type_name(D.from_numpy_dtype(idx.dtype))}")
    d = _wrap_dim(dim, input._data.ndim)
    shape, sshape = input._data.shape, source._data.shape
    if idx.ndim > 1:
        raise IndexError("index_add_(): Index is supposed to be a vector")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_add_(): self ({type_name(input.dtype)}) and source ({type_name(source.dtype)}) must have the same scalar type")
    if len(sshape) != len(shape) or any(a != b for k, (a, b) in enumerate(zip(shape, sshape)) if k != d):
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified dimension. "
            f"Got self.shape = {list(shape)} source.shape = {list(sshape)}"
        )
    if idx.size != (sshape[d] if sshape else 1):
        raise RuntimeError(
            f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): ({sshape[d]}), for dim: {d}"
        )
    n = shape[d] if shape else 1
    bad = _first_out_of_range(idx, n)
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    key = (slice(None),) * d + (idx.reshape(-1),)  # a 0-d index names one slice, as a 1-element vector does
    src = mul(source, alpha) if alpha != 1 else source
    return index_put_values(input, key, src, accumulate=True)


def index_fill(input: Tensor, dim: int, index, value) -> Tensor:
    """Out of place: a copy of input with the slices ``index`` along ``dim`` set to ``value``."""
    idx = _as_array(index, input._data)
    if idx.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    d = _wrap_dim(dim, input._data.ndim)
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    n = input._data.shape[d] if input._data.ndim else 1
    bad = _first_out_of_range(idx, n, allow_negative=True)  # index_fill wraps negatives, like PyTorch
    if bad is not None:
        raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    key = (slice(None),) * d + (idx,)
    v = value if isinstance(value, Tensor) else _wrap(array_module(input._data).asarray(value, dtype=input._data.dtype))
    return index_put_values(input, key, v)


def index_copy(input: Tensor, dim: int, index, source: Tensor) -> Tensor:
    """Out of place: a copy of input with the slices ``index`` along ``dim`` replaced by ``source``'s."""
    idx = _as_array(index, input._data)
    if idx.dtype != np.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {type_name(D.from_numpy_dtype(idx.dtype))}")
    d = _wrap_dim(dim, input._data.ndim)
    shape, sshape = input._data.shape, source._data.shape
    if idx.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
    n_src = sshape[d] if len(sshape) > d else 1
    if shape and sshape and len(shape) != len(sshape):
        raise IndexError("index_copy_(): When source and destination are not scalars, their dimensionality must match. "
                         f"Source dimensionality ({len(sshape)}), destination dimensionality ({len(shape)})")
    if idx.size != n_src:
        raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) ({n_src})")
    for k, (a, b) in enumerate(zip(shape[:d] + shape[d + 1:], sshape[:d] + sshape[d + 1:])):
        if a != b:
            raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination slice "
                               f"shape: {a} at dimension {k} and source slice shape: {b} at dimension {k}.")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{type_name(input.dtype)} and (source) {type_name(source.dtype)}")
    n = shape[d] if shape else 1
    bad = _first_out_of_range(idx, n)
    if bad is not None:
        raise IndexError(f"index_copy_(): index {bad} is out of bounds for dimension {d} with size {n}")
    return index_put_values(input, (slice(None),) * d + (idx.reshape(-1),), source)


_MASK_DTYPE_ERRORS = {  # PyTorch 2.x refuses uint8 masks here (indexing still takes them), each op in its own words
    "masked_fill": "masked_fill_ only supports boolean masks, but got mask with dtype {c}",
    "masked_select": "masked_select: expected BoolTensor for mask",
    "masked_scatter": "masked_scatter_ only supports boolean masks, but got mask with dtype {t}",
}


def _mask_array(mask, like, name: str = "masked_fill"):
    m = _as_array(mask, like)
    if m.dtype != np.bool_:
        dt = D.from_numpy_dtype(m.dtype)
        raise RuntimeError(_MASK_DTYPE_ERRORS[name].format(c=c_type_name(dt), t=type_name(dt)))
    return m


def _mask_shape(m, input: Tensor) -> tuple:
    """The shape mask and input broadcast to, with PyTorch's error (the mask named first) when they don't."""
    try:
        return np.broadcast_shapes(m.shape, input._data.shape)
    except ValueError:
        raise broadcast_error(m.shape, input._data.shape) from None


def masked_fill(input: Tensor, mask, value) -> Tensor:
    """input with ``value`` where ``mask`` is True (mask broadcasts to input)."""
    m = _mask_array(mask, input._data)
    out_shape = _mask_shape(m, input)
    if out_shape != input._data.shape:  # out of place, the input broadcasts up to the mask (masked_fill_ refuses)
        input = expand(input, out_shape)
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with {value._data.ndim} dimension(s).")
        v = cast_operand(value, input.dtype)
    else:
        v = input.dtype.np.type(value)
    return Where.apply(m, v, input)


def masked_select(input: Tensor, mask, *, out=None) -> Tensor:
    """The elements where ``mask`` is True, as a 1-D tensor."""
    if out is not None:
        return write_out(out, masked_select(input, mask), "masked_select", exact="masked_select(): self and result must have the same scalar type")
    m = _mask_array(mask, input._data, "masked_select")
    shape = _mask_shape(m, input)
    x = expand(input, shape) if shape != input._data.shape else input
    return GetItem.apply(x, (array_module(m).broadcast_to(m, shape),), False)


def masked_scatter(input: Tensor, mask, source: Tensor) -> Tensor:
    m = _mask_array(mask, input._data, "masked_scatter")
    if source._data.dtype != input._data.dtype:  # PyTorch's words, missing space included
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but got"
                           f"{type_name(input.dtype)} and {type_name(source.dtype)}")
    shape = _mask_shape(m, input)
    if shape != input._data.shape:  # out of place, the input broadcasts up to the mask
        input = expand(input, shape)
    m = array_module(m).broadcast_to(m, shape)
    n = int(m.sum())
    if n > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    vals = GetItem.apply(flatten(source), (slice(0, n),), True)
    return index_put_values(input, (m,), vals)


sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])


@supports_out("sort")
def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """Sorted values along ``dim`` and the indices that sort it."""
    d = _wrap_dim(dim, input._data.ndim)
    if input._data.ndim == 0:  # a new tensor, not the input (an in-place write must not reach it)
        return sort_result(*_scalar_pick(input))
    idx = _argsort(input._data, d, descending)
    return sort_result(gather(input, d, _wrap(idx)), _wrap(idx))


def _argsort(a, axis, descending):
    """Stable order along ``axis``; NaN counts as the largest value, as in PyTorch.

    Descending: a stable ascending sort of the reversed axis, reversed back and mapped to the
    original positions. Ties keep their original order, NaN comes first, and no key is
    negated (which would overflow unsigned and extreme integers).
    """
    xp = array_module(a)
    if a.ndim == 0:
        return xp.zeros((), np.int64)
    if descending:
        n = a.shape[axis]
        rev = xp.flip(xp.argsort(xp.flip(a, axis), axis=axis, kind="stable"), axis)
        return (n - 1 - rev).astype(np.int64)
    return xp.argsort(a, axis=axis, kind="stable").astype(np.int64)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    d = _wrap_dim(dim, input._data.ndim)
    return _wrap(_argsort(input._data, d, descending))


@supports_out("msort")
def msort(input: Tensor) -> Tensor:
    return sort(input, 0).values


def _scalar_pick(input: Tensor):
    """(value, index 0) of a 0-d tensor, the value a differentiable copy: what PyTorch's
    selections along a dim (topk, kthvalue, mode, median) return for a scalar."""
    xp = array_module(input._data)
    return gather(input.reshape(1), 0, _wrap(xp.zeros(1, np.int64))).reshape(()), _wrap(xp.zeros((), np.int64))


@supports_out("topk")
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The k largest (or smallest) elements along ``dim``, with their indices."""
    d = _wrap_dim(dim, input._data.ndim)
    if input._data.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    n = input._data.shape[d] if input._data.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if input._data.ndim == 0:  # PyTorch returns the scalar itself, for k=0 too
        return topk_result(*_scalar_pick(input))
    idx = _argsort(input._data, d, largest)
    xp = array_module(idx)
    idx = xp.take(idx, xp.arange(k), axis=d)
    return topk_result(gather(input, d, _wrap(idx)), _wrap(idx))


@supports_out("kthvalue")
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    if input._data.dtype.kind == "b":
        raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
    d = _wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    if n == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if input._data.ndim == 0:
        return namedtuple("kthvalue", ["values", "indices"])(*_scalar_pick(input))
    order = _argsort(input._data, d, False)
    xp = array_module(order)
    idx = xp.take(order, xp.asarray([k - 1]), axis=d)
    vals = gather(input, d, _wrap(idx))
    if not keepdim:
        vals, idx = squeeze(vals, d), xp.squeeze(idx, d)
    return namedtuple("kthvalue", ["values", "indices"])(vals, _wrap(idx))


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim=None):  # noqa: A002
    """The distinct elements (sorted), optionally with inverse indices and counts. Each NaN is
    distinct, as in PyTorch (NaN != NaN)."""
    a = input._data
    xp = array_module(a)
    if dim is None:
        values, inverse, counts = xp.unique(a.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False)
        inverse = inverse.reshape(a.shape)
    else:
        axis = _unique_axis(a, dim)
        values, inverse, counts = xp.unique(a, return_inverse=True, return_counts=True, axis=axis, equal_nan=False)
    return _unique_result(_wrap(values), inverse, counts, return_inverse, return_counts)


def _unique_axis(a, dim) -> int:
    """The dim unique/unique_consecutive work along, with PyTorch's refusals."""
    if a.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    axis = _wrap_dim(dim, a.ndim)
    if a.size == 0 and a.shape[axis] != 0:
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
    return axis


def _unique_result(values, inverse, counts, return_inverse, return_counts):
    out = [values]
    if return_inverse:
        out.append(_wrap(inverse.astype(np.int64)))
    if return_counts:
        out.append(_wrap(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim=None):
    """Collapse runs of equal elements (of equal slices along ``dim``); NaN never equals NaN."""
    a = input._data
    xp = array_module(a)
    axis = None if dim is None else _unique_axis(a, dim)
    # one row per element (dim=None) or per slice along dim; a run continues while rows are equal
    rows = a.reshape(-1, 1) if axis is None else xp.moveaxis(a, axis, 0).reshape(a.shape[axis], math.prod(a.shape[:axis] + a.shape[axis + 1 :]))
    n = rows.shape[0]
    keep = xp.ones(n, bool)
    keep[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    values = a.reshape(-1)[keep] if axis is None else xp.compress(keep, a, axis=axis)
    inverse = (xp.cumsum(keep) - 1).reshape(a.shape if axis is None else (n,))
    counts = xp.diff(xp.append(xp.nonzero(keep)[0], n))
    return _unique_result(_wrap(values), inverse, counts, return_inverse, return_counts)


def bincount(input: Tensor, weights=None, minlength: int = 0) -> Tensor:
    a = input._data
    if a.dtype.kind not in "iub":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{type_name(input.dtype)}'")
    if a.ndim != 1 or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = weights._data if isinstance(weights, Tensor) else weights
    return _wrap(array_module(a, w).bincount(a, w, minlength))


def searchsorted(sorted_sequence: Tensor, input, *, right: bool = False, side=None) -> Tensor:
    side = side or ("right" if right else "left")
    v = _as_array(input, sorted_sequence._data)
    return _wrap(array_module(v).searchsorted(sorted_sequence._data, v, side=side).astype(np.int64))


def bucketize(input: Tensor, boundaries: Tensor, *, right: bool = False) -> Tensor:
    xp = array_module(boundaries._data, input._data)
    return _wrap(xp.searchsorted(boundaries._data, input._data, side="left" if not right else "right").astype(np.int64))


_INTERNAL = {'setitem', 'index_put_values', 'getitem'}  # array-level helpers other op modules use; not PyTorch names
__all__ = [
    _n for _n, _v in list(globals().items())
    if not _n.startswith("_") and _n not in _INTERNAL and callable(_v) and not isinstance(_v, type)
    and getattr(_v, "__module__", None) == __name__
]
