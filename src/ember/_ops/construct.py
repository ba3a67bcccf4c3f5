"""Shape and construction ops: meshgrid, cartesian_prod, combinations, unfold (a view),
view(dtype), diag_embed, diagflat, block_diag, tril/triu_indices, rot90, kron, cross, cdist,
searchsorted, bucketize, isin, put, index_reduce.

Most are compositions of differentiable ember ops; ``Unfold`` and ``Cdist`` are
primitives with their derivative beside them.
"""

from __future__ import annotations

import itertools
import warnings
from types import SimpleNamespace

import numpy as np

from .._backend import array_module, errstate
from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Op
from . import index as I
from . import pointwise as P
from . import shape as S
from ._out import supports_out
from ._common import as_tensor_operand, check_broadcast, first_order_only, type_name

_wrap = Tensor._wrap


def _tensors_arg(tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return list(tensors[0])
    return list(tensors)


# -- grids and combinations -------------------------------------------------------------------------


def meshgrid(*tensors, indexing: str | None = None):
    """Coordinate grids from 1-D tensors: 'ij' (matrix) or 'xy' (Cartesian) indexing; each output
    is an expanded view of its input."""
    ts = _tensors_arg(tensors)
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    if not ts:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in ts:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
        if t._data.dtype != ts[0]._data.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    swap = indexing == "xy" and len(ts) >= 2
    order = [1, 0] + list(range(2, len(ts))) if swap else list(range(len(ts)))
    shape = tuple(int(ts[i]._data.size) for i in order)
    out = []
    for i in range(len(ts)):
        pos = order.index(i)
        view = [1] * len(ts)
        view[pos] = shape[pos]
        out.append(S.expand(S.reshape(ts[i], tuple(view)), shape))
    return tuple(out)


def cartesian_prod(*tensors) -> Tensor:
    """All combinations of elements of 1-D tensors, one per row (a single tensor is returned as is)."""
    ts = _tensors_arg(tensors)
    for t in ts:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return S.stack([S.reshape(g, (-1,)) for g in grids], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """All length-r combinations of a 1-D tensor's elements (as itertools.combinations), one per row."""
    xp = array_module(input._data)
    if input._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input._data.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _wrap(xp.empty((0,), input._data.dtype))
    n = input._data.shape[0]
    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = xp.array(list(gen(range(n), r)), dtype=np.int64).reshape(-1, r)
    return S.reshape(I.index_select(input, 0, _wrap(idx.reshape(-1))), (-1, r))


# -- views -----------------------------------------------------------------------------------------------


class Unfold(Op):
    """y[..., j, ..., k] = x[..., j*step + k, ...] (a strided view; windows along ``dim`` moved to a
    new last dim);  dx = the sum of dy over every window that covers each element."""

    _node_name = "UnfoldBackward0"
    _is_view = True

    @staticmethod
    def forward(ctx, x, dim, size, step):
        xp = array_module(x)
        n = (x.shape[dim] - size) // step + 1
        ctx.meta = (x.shape, dim, size, step, n)
        shape = x.shape[:dim] + (n,) + x.shape[dim + 1:] + (size,)
        strides = x.strides[:dim] + (x.strides[dim] * step,) + x.strides[dim + 1:] + (x.strides[dim],)
        return xp.lib.stride_tricks.as_strided(x, shape, strides, writeable=x.flags.writeable)

    @staticmethod
    def backward(ctx, g):
        shape, dim, size, step, n = ctx.meta
        if isinstance(g, Tensor):  # create_graph: the adjoint as an op of its own, differentiable again
            return UnfoldBackward.apply(g, shape, dim, size, step), None, None, None
        return _fold_windows(g, shape, dim, size, step), None, None, None


def _fold_windows(g, shape, dim, size, step):
    """The adjoint of unfold: each window's values added back where they came from."""
    xp = array_module(g)
    n = g.shape[dim]
    out = xp.zeros(shape, g.dtype)
    for k in range(size):  # for a fixed offset k the windows hit distinct positions: plain slices
        index = [slice(None)] * len(shape)
        index[dim] = slice(k, k + step * (n - 1) + 1, step)
        out[tuple(index)] += g[..., k]
    return out


class UnfoldBackward(Op):
    """y = fold(g) (unfold's adjoint, linear in g);  dg = unfold(dy)."""

    @staticmethod
    def forward(ctx, g, shape, dim, size, step):
        ctx.meta = (dim, size, step)
        return _fold_windows(g, shape, dim, size, step)

    @staticmethod
    def backward(ctx, gg):
        xp = array_module(gg)
        dim, size, step = ctx.meta
        if isinstance(gg, Tensor):
            return Unfold.apply(gg, dim, size, step), None, None, None, None
        return xp.ascontiguousarray(Unfold.forward(SimpleNamespace(), gg, dim, size, step)), None, None, None, None


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """``Tensor.unfold``: every window of ``size`` elements along ``dimension``, ``step`` apart, as a new last dim."""
    nd = input._data.ndim
    d = _wrap_dim(dimension, max(nd, 1))
    length = input._data.shape[d] if nd else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    x = input if nd else S.reshape(input, (1,))
    out = Unfold.apply(x, d, int(size), int(step))
    if nd == 0:
        return S.reshape(out, (size,))
    return S._viewed(out, input, Unfold, d, int(size), int(step))


def view_dtype(input: Tensor, dtype) -> Tensor:
    """Reinterpret the bytes as another dtype (PyTorch's ``Tensor.view(dtype)``): the last dim scales
    by the ratio of element sizes. Not differentiable unless the dtype is unchanged."""
    d = D.as_dtype(dtype) if not isinstance(dtype, D.dtype) else dtype
    a = input._data
    if a.dtype == d.np:
        return S.view(input, a.shape)
    old, new = a.dtype.itemsize, d.np.itemsize
    if old != new:
        if a.ndim == 0:
            raise RuntimeError(
                "self.dim() cannot be 0 to view " + type_name(input.dtype) + " as " + type_name(d)
                + " (different element sizes)"
            )
        if a.ndim and a.strides[-1] != old and a.shape[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 to view {type_name(input.dtype)} as {type_name(d)} (different element sizes), but got {a.strides[-1] // old}")
        if new > old and (a.shape[-1] * old) % new:
            raise RuntimeError(
                f"self.size(-1) must be divisible by {new // old} to view {type_name(input.dtype)} as "
                f"{type_name(d)} (different element sizes), but got {a.shape[-1]}"
            )
    if input.requires_grad and d.is_floating_point:
        raise RuntimeError("ember: view(dtype) of a tensor that requires grad is not differentiable")
    out = _wrap(a.view(d.np))
    out._version = input._version
    return out


# -- diagonals and blocks ------------------------------------------------------------------------------------


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """A tensor whose (dim1, dim2) planes have ``input``'s last dim on the ``offset`` diagonal."""
    nd = input._data.ndim + 1
    d1, d2 = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input._data.shape[-1] + abs(int(offset))
    shape = list(input._data.shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, n)
    return S.DiagEmbed.apply(input, tuple(shape), int(offset), d1, d2)


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """A 2-D tensor with the flattened input on the ``offset`` diagonal."""
    return diag_embed(S.reshape(input, (-1,)), offset, 0, 1)


def block_diag(*tensors) -> Tensor:
    """A block-diagonal matrix from 0-, 1- or 2-D tensors (1-D ones are rows), dtypes promoted."""
    ts = [as_tensor_operand(t) for t in tensors]
    xp = array_module(*(t._data for t in ts))
    if not ts:
        return _wrap(xp.empty((1, 0), np.float32))
    mats = []
    for i, t in enumerate(ts):
        nd = t._data.ndim
        if nd > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has {nd} dimensions")
        mats.append(S.reshape(t, (1, 1)) if nd == 0 else S.reshape(t, (1, -1)) if nd == 1 else t)
    res = D.result_type(*mats)
    mats = [P.to_dtype(m, res) for m in mats]
    cols = sum(m._data.shape[1] for m in mats)
    rows, before = [], 0
    for m in mats:
        r, c = m._data.shape
        parts = [_wrap(xp.zeros((r, before), res.np)), m, _wrap(xp.zeros((r, cols - before - c), res.np))]
        rows.append(S.cat(parts, 1))
        before += c
    return S.cat(rows, 0)


def _tri_indices(row, col, offset, dtype, upper):
    xp = array_module()  # no array input: NumPy until a device argument picks the module
    d = D.as_dtype(dtype) if dtype is not None else D.int64
    if d not in (D.int64, D.int32):
        raise NotImplementedError(f"\"{'triu' if upper else 'tril'}_indices\" not implemented for '{type_name(d)}'")
    fn = xp.triu_indices if upper else xp.tril_indices
    r, c = fn(int(row), int(offset), int(col))
    return _wrap(xp.stack([r, c]).astype(d.np).reshape(2, -1))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    """(2, N) indices of the lower triangle of a row x col matrix (row-major order)."""
    return _tri_indices(row, col, offset, dtype, False)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    """(2, N) indices of the upper triangle of a row x col matrix (row-major order)."""
    return _tri_indices(row, col, offset, dtype, True)


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees k times in the plane of ``dims`` (from the first axis towards the second)."""
    dims = list(dims)
    nd = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = _wrap_dim(dims[0], nd), _wrap_dim(dims[1], nd)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return S.transpose(S.flip(input, [d1]), d0, d1)
    if k == 2:
        return S.flip(input, [d0, d1])
    if k == 3:
        return S.transpose(S.flip(input, [d0]), d0, d1)
    return S.clone(input)


def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product: blocks input[i] * other, for any ranks (the shorter padded with leading 1s)."""
    a, b = as_tensor_operand(input), as_tensor_operand(other)
    nd = max(a._data.ndim, b._data.ndim)
    sa = (1,) * (nd - a._data.ndim) + a._data.shape
    sb = (1,) * (nd - b._data.ndim) + b._data.shape
    ea = S.reshape(a, tuple(v for s in sa for v in (s, 1)))
    eb = S.reshape(b, tuple(v for s in sb for v in (1, s)))
    return S.reshape(P.mul(ea, eb), tuple(x * y for x, y in zip(sa, sb)))


def cross(input: Tensor, other: Tensor, dim=None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (default: the first dim of size 3, like torch.cross)."""
    a, b = input, other
    if a._data.ndim != b._data.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions. Got {a._data.ndim} and {b._data.ndim}")
    shape = check_broadcast(a._data.shape, b._data.shape)
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim explicitly or "
            "simply use torch.linalg.cross.\nThe default value of dim will change to agree with that of linalg.cross "
            "in a future release.",
            UserWarning,
            stacklevel=2,
        )
        dims = [i for i, n in enumerate(shape) if n == 3]
        if not dims:
            raise RuntimeError("no dimension of size 3 in input")
        dim = dims[0]
    return _cross(a, b, dim, shape)


def _cross(a, b, dim, shape):
    if a._data.dtype == np.bool_ or b._data.dtype == np.bool_:
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    d = _wrap_dim(dim, len(shape))
    if a._data.shape[d] != 3 or b._data.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {a._data.shape[d]} and {b._data.shape[d]}")
    res = D.result_type(a, b)
    a, b = P.to_dtype(a, res), P.to_dtype(b, res)
    a0, a1, a2 = (S.narrow(a, d, i, 1) for i in range(3))
    b0, b1, b2 = (S.narrow(b, d, i, 1) for i in range(3))
    return S.cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """``torch.linalg.cross``: broadcasting cross product along ``dim`` (default -1)."""
    if input._data.ndim != other._data.ndim:
        raise RuntimeError(
            f"linalg.cross: inputs must have the same number of dimensions. Got {input._data.ndim} and {other._data.ndim}"
        )
    shape = check_broadcast(input._data.shape, other._data.shape)
    return _cross(input, other, dim, shape)


# -- distances -------------------------------------------------------------------------------------------------


class Cdist(Op):
    """y[b,i,j] = ||x1[b,i] - x2[b,j]||_p;  dy/dx1 = sign(d) |d|^(p-1) / y^(p-1) (p = inf: sign(d) where
    |d| = y; p = 0: 0), dy/dx2 = -(the same), 0 where y = 0."""

    _node_name = "CdistBackward0"

    @staticmethod
    def forward(ctx, x1, x2, p):
        xp = array_module(x1, x2)
        d = x1[..., :, None, :] - x2[..., None, :, :]
        ad = xp.abs(d)
        if p == 0:
            y = (ad != 0).sum(-1).astype(x1.dtype)
        elif p == np.inf:
            y = ad.max(-1) if ad.shape[-1] else xp.zeros(ad.shape[:-1], x1.dtype)
        elif p == 1:
            y = ad.sum(-1)
        elif p == 2:
            y = xp.sqrt((d * d).sum(-1))
        else:
            y = (ad**p).sum(-1) ** (1.0 / p)
        ctx.p = p
        ctx.save_for_backward(x1, x2, y)
        return y

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        x1, x2, y = ctx.saved_tensors
        first_order_only("cdist", g)
        p = ctx.p
        d = x1[..., :, None, :] - x2[..., None, :, :]
        yy = y[..., None]
        with errstate(xp, divide="ignore", invalid="ignore"):
            if p == 0:
                w = xp.zeros_like(d)
            elif p == 1:
                w = xp.sign(d)
            elif p == np.inf:
                w = xp.sign(d) * (xp.abs(d) == yy)
            elif p == 2:
                w = d / yy
            else:
                w = xp.sign(d) * xp.abs(d) ** (p - 1) / yy ** (p - 1)
            w = xp.where(yy == 0, 0.0, w)
        gw = g[..., None] * w
        need1, need2 = ctx.needs_input_grad[:2]
        return (gw.sum(-2) if need1 else None), (-gw.sum(-3) if need2 else None), None


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """p-norm distances between each row of x1 (..., P, M) and each row of x2 (..., R, M): (..., P, R)."""
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    a, b = x1._data, x2._data
    if a.ndim < 2 or b.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {a.ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} X2: {b.shape[-1]}")
    if a.dtype.kind != "f" or b.dtype.kind != "f":
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {type_name(x1.dtype)}")
    batch = check_broadcast(a.shape[:-2], b.shape[:-2])
    e1 = S.expand(x1, batch + a.shape[-2:]) if a.shape[:-2] != batch else x1
    e2 = S.expand(x2, batch + b.shape[-2:]) if b.shape[:-2] != batch else x2
    return Cdist.apply(e1, e2, float(p))


# -- searching ---------------------------------------------------------------------------------------------------


@supports_out("searchsorted")
def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False, side=None, sorter=None, out=None) -> Tensor:
    """Indices where ``input`` would be inserted into the innermost dim of ``sorted_sequence`` to keep it sorted."""
    xp = array_module(sorted_sequence._data)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if side == "left" and right:
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    scalar = not isinstance(input, Tensor)
    v = xp.asarray(input) if scalar else input._data
    if seq.dtype == np.bool_ or v.dtype == np.bool_:
        raise NotImplementedError("\"searchsorted_out_cpu\" not implemented for 'Bool'")
    if sorter is not None:
        srt = sorter._data if isinstance(sorter, Tensor) else xp.asarray(sorter)
        if srt.shape != seq.shape:
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same size, but got boundary "
                               f"tensor {list(seq.shape)}and got sorter tensor {list(srt.shape)}")
        seq = xp.take_along_axis(seq, srt, -1)
    if seq.ndim > 1 and (v.ndim != seq.ndim or v.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries "
            f"tensor and input value tensor must match, but we got boundaries tensor {list(seq.shape)} and input value "
            f"tensor {list(v.shape)}"
        )
    which = "right" if right else "left"
    if seq.ndim <= 1:
        res = xp.searchsorted(seq.reshape(-1), v, side=which)
    else:
        flat_s = seq.reshape(-1, seq.shape[-1])
        flat_v = v.reshape(-1, v.shape[-1])
        res = xp.stack([xp.searchsorted(s, x, side=which) for s, x in zip(flat_s, flat_v)]).reshape(v.shape)
    return _wrap(xp.asarray(res, dtype=np.int32 if out_int32 else np.int64))


@supports_out("bucketize")
def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False, out=None) -> Tensor:
    """Index of the bucket of each element, buckets delimited by the 1-D sorted ``boundaries``."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """True where an element of ``elements`` is in ``test_elements`` (False with ``invert``)."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() received an invalid combination of arguments: expected at least one Tensor")
    xp = array_module(*(t._data for t in (elements, test_elements) if isinstance(t, Tensor)))
    a = elements._data if isinstance(elements, Tensor) else xp.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    if a.dtype == np.bool_ or b.dtype == np.bool_:
        raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    return _wrap(xp.asarray(xp.isin(a, b, assume_unique=assume_unique, invert=invert)))


# -- writes --------------------------------------------------------------------------------------------------------


def put(input: Tensor, index, source: Tensor, accumulate: bool = False) -> Tensor:
    """Out of place ``put_``: ``source`` written at flat indices ``index`` of input (summed with ``accumulate``)."""
    xp = array_module(input._data)
    idx = index._data if isinstance(index, Tensor) else xp.asarray(index)
    if idx.dtype != np.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {type_name(D.from_numpy_dtype(idx.dtype))}")
    src = as_tensor_operand(source)
    if idx.size != src._data.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got source.numel() = "
                           f"{src._data.size}, index.numel() = {idx.size}")
    if src._data.dtype != input._data.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{type_name(input.dtype)} and source.dtype = {type_name(src.dtype)}")
    n = input._data.size
    flat_idx = idx.reshape(-1)
    if flat_idx.size and (flat_idx.max() >= n or flat_idx.min() < -n):
        bad = flat_idx.max() if flat_idx.max() >= n else flat_idx.min()
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    flat = S.reshape(input, (-1,))
    out = I.index_put(flat, (_wrap(flat_idx % max(n, 1)),), S.reshape(src, (-1,)), accumulate)
    return S.reshape(out, input._data.shape)


def index_reduce(input: Tensor, dim: int, index, source: Tensor, reduce: str, *, include_self: bool = True) -> Tensor:
    """Reduce rows of ``source`` into input at ``index`` along ``dim``: prod, mean, amax or amin."""
    xp = array_module(input._data)
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    idx = index._data if isinstance(index, Tensor) else xp.asarray(index)
    if idx.ndim > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_reduce_(): Expected dtype int32/int64 for index but got: " + str(idx.dtype))
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_reduce_(): self ({type_name(input.dtype)}) and source ({type_name(source.dtype)}) "
                           "must have the same scalar type")
    nd = input._data.ndim
    d = _wrap_dim(dim, max(nd, 1))
    src_shape = source._data.shape
    if nd and src_shape[d] != idx.size:
        raise RuntimeError("index_reduce_(): Number of indices should be equal to source.size(dim)")
    if idx.size and (idx.max() >= input._data.shape[d] or idx.min() < -input._data.shape[d]):
        raise IndexError("index out of range in self")
    view = [1] * max(source._data.ndim, 1)
    view[d] = -1
    full = xp.broadcast_to((idx.astype(np.int64) % max(input._data.shape[d], 1)).reshape(view), src_shape)
    grid = tuple(full if k == d else xp.arange(n).reshape([-1 if j == k else 1 for j in range(len(src_shape))])
                 for k, n in enumerate(src_shape))
    return ScatterReduce.apply(input, source, grid, reduce, include_self)


class ScatterReduce(Op):
    """y = input with src reduced in at ``grid`` (prod, mean, amax or amin; input joins unless not include_self).
    mean: dinput = g / count (0 where touched and input excluded), dsrc = g[grid] / count[grid];
    prod: dinput = g y / input, dsrc = g[grid] y[grid] / src (non-zero operands);
    amax/amin: g shared evenly among the operands equal to the result (PyTorch's rule)."""

    _node_name = "IndexReduceBackward0"

    @staticmethod
    def forward(ctx, x, src, grid, reduce, include_self):
        xp = array_module(x, src)
        touched = xp.zeros(x.shape, bool)
        touched[grid] = True
        if reduce == "mean":
            total = x.copy() if include_self else xp.where(touched, 0, x).astype(x.dtype)
            count = xp.where(touched & ~include_self, 0, 1).astype(x.dtype)
            xp.add.at(total, grid, src)
            xp.add.at(count, grid, 1)
            y = (total / count).astype(x.dtype) if x.dtype.kind == "f" else total // count
        else:
            ufunc = {"prod": xp.multiply, "amax": xp.maximum, "amin": xp.minimum}[reduce]
            y = x.copy()
            if not include_self:
                init = {"prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
                if x.dtype.kind != "f":
                    init = {"prod": 1, "amax": np.iinfo(x.dtype).min, "amin": np.iinfo(x.dtype).max}[reduce]
                y[touched] = init
            ufunc.at(y, grid, src)
            count = None
        ctx.meta = (grid, reduce, include_self, touched, count)
        ctx.save_for_backward(x, src, y)
        return y

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        x, src, y = ctx.saved_tensors
        first_order_only("index_reduce", g)
        grid, reduce, include_self, touched, count = ctx.meta
        excluded = touched & (not include_self)
        if reduce == "mean":
            gx = xp.where(excluded, 0, g / count)
            gs = (g / count)[grid]
        elif reduce == "prod":
            with errstate(xp, divide="ignore", invalid="ignore"):
                gx = xp.where(excluded, 0, g * y / x)
                gs = (g * y)[grid] / src
        else:
            x_hit = (x == y) & ~excluded
            n = x_hit.astype(g.dtype)
            src_hit = src == y[grid]
            xp.add.at(n, grid, src_hit)
            share = g / xp.maximum(n, 1)
            gx = xp.where(touched, xp.where(x_hit, share, 0), g)
            gs = xp.where(src_hit, share[grid], 0)
        return gx.astype(g.dtype, copy=False), gs.astype(g.dtype, copy=False), None, None, None


__all__ = [
    "meshgrid", "cartesian_prod", "combinations", "diag_embed", "diagflat", "block_diag", "tril_indices", "triu_indices",
    "rot90", "kron", "cross", "cdist", "searchsorted", "bucketize", "isin", "put", "index_reduce",
]
