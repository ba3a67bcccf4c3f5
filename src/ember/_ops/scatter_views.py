"""Strided views and the scatter family: as_strided(_), as_strided_scatter, diagonal_scatter,
select_scatter, slice_scatter, plus split_with_sizes, the unsafe_* splits and sum_to_size.

Every region these ops read or write is described the same way: an integer array of flat
positions (one per element of the region, in its row-major order) into a row-major buffer.
Three linear primitives on such positions are each other's adjoints, so every gradient,
first or higher order, is one of them:

    Gather:     y = x.flat[pos]                       dx = ScatterAdd(dy, pos, x.shape)
    ScatterAdd: y = zeros(shape); y.flat[pos] += x    dx = Gather(dy, pos)
    Embed:      y = x; y.flat[pos] = src              dx = Embed(dy, 0, pos), dsrc = Gather(dy, pos)
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._backend import array_module, is_array
from .._tensor import Tensor, _wrap_dim
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ._common import LinearOp
from . import shape as _shape
from .inplace import _LEAF_MESSAGE
from .reduce import sum as _sum

_wrap = Tensor._wrap


# -- the three linear primitives ------------------------------------------------------------------


def _embed(x, src, pos):
    if isinstance(x, Tensor):
        if not isinstance(src, Tensor):
            src = _wrap(array_module(x._data).zeros((), dtype=x._data.dtype) + src)
        return Embed.apply(x, src, pos)
    xp = array_module(x, src)
    out = xp.array(x, copy=True, order="C")
    out.reshape(-1)[pos] = src
    return out


def _as_dtype(g, dtype):
    if g is None or g.dtype == dtype or (isinstance(g, Tensor) and g._data.dtype == dtype):
        return g
    return g.to(D.from_numpy_dtype(dtype)) if isinstance(g, Tensor) else g.astype(dtype)


class Gather(LinearOp):
    """y = x.flat[pos];  dx = dy summed back into the positions it was read from."""

    @staticmethod
    def f(x, pos):
        return x.reshape(-1)[pos]

    @staticmethod
    def adjoint(h, x_shape, pos):
        return ScatterAdd.of(h, pos, x_shape)


class ScatterAdd(LinearOp):
    """y = zeros(shape) with y.flat[pos] += x;  dx = dy.flat[pos]."""

    @staticmethod
    def f(x, pos, shape):
        xp = array_module(x)
        out = xp.zeros(math.prod(shape), dtype=x.dtype)
        xp.add.at(out, pos.reshape(-1), x.reshape(-1))
        return out.reshape(shape)

    @staticmethod
    def adjoint(h, x_shape, pos, shape):
        return Gather.of(h, pos)


_gather, _scatter_add = Gather.of, ScatterAdd.of  # on arrays, or as ops on Tensors (create_graph)


class Embed(Op):
    """y = x with y.flat[pos] = src;  dx = dy with the positions zeroed, dsrc = dy.flat[pos]."""

    @staticmethod
    def forward(ctx, x, src, pos):
        ctx.pos, ctx.src_dtype = pos, src.dtype
        return _embed(x, src.astype(x.dtype, copy=False), pos)

    @staticmethod
    def backward(ctx, g):
        need_x, need_src = ctx.needs_input_grad[:2]
        gx = _embed(g, 0, ctx.pos) if need_x else None
        gs = _as_dtype(_gather(g, ctx.pos), ctx.src_dtype) if need_src else None
        return gx, gs, None


# -- as_strided -----------------------------------------------------------------------------------


def _storage(a):
    """(flat buffer in memory order, a's offset into it in elements): the storage ``a`` views."""
    root = a
    while is_array(root.base):
        root = root.base
    if not (root.flags.c_contiguous or root.flags.f_contiguous):  # an owner with gaps: a is its own storage
        return a.ravel(), 0
    flat = root.ravel(order="K")
    if flat.dtype != a.dtype:
        flat = flat.view(a.dtype)
    return flat, (a.__array_interface__["data"][0] - flat.__array_interface__["data"][0]) // a.itemsize


def _strided_positions(size, stride, offset, xp=np):
    pos = xp.full(tuple(size), offset, dtype=np.int64)
    for k, (n, s) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[k] = n
        pos = pos + (xp.arange(n, dtype=np.int64) * s).reshape(shape)
    return pos


def _own_positions(a, offset):
    return _strided_positions(a.shape, [s // a.itemsize for s in a.strides], offset)


def _check_strided(size, stride, offset, storage_len, itemsize):
    size, stride = [int(s) for s in size], [int(s) for s in stride]
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: {stride}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={size} and strides={stride}")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    if 0 not in size:
        need = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1
        if need > storage_len:
            raise RuntimeError(
                f"setStorage: sizes {size}, strides {stride}, storage offset {offset}, and itemsize {itemsize} requiring "
                f"a storage size of {need * itemsize} are out of bounds for storage of size {storage_len * itemsize}"
            )
    return tuple(size), tuple(stride)


def _int_arg(value, name, position):
    if isinstance(value, (bool, float)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"as_strided(): argument '{name}' (position {position}) must be int, not {type(value).__name__}")
    return int(value)


class AsStrided(Op):
    """y = the elements of x's storage at offset + sum_k i_k stride_k (a view);
    dx = dy summed into storage positions, read back at x's own positions (divided by how many
    of x's elements share one, as torch does for overlapping inputs)."""

    _node_name = "AsStridedBackward0"
    _is_view = True

    @staticmethod
    def infer(x, size, stride, offset):
        flat = _storage(x)[0]
        xp = array_module(x)
        return xp.lib.stride_tricks.as_strided(flat[min(offset, flat.size):], shape=size,
                                               strides=tuple(s * x.itemsize for s in stride))

    @staticmethod
    def forward(ctx, x, size, stride, offset):
        flat, own = _storage(x)
        ctx.storage_len = flat.size
        ctx.in_pos, ctx.out_pos = _own_positions(x, own), _strided_positions(size, stride, offset, array_module(x))
        return AsStrided.infer(x, size, stride, offset)

    @staticmethod
    def backward(ctx, g):
        storage = _scatter_add(g, ctx.out_pos, (ctx.storage_len,))
        gx = _gather(storage, ctx.in_pos)
        counts = array_module(ctx.in_pos).bincount(ctx.in_pos.reshape(-1), minlength=ctx.storage_len)[ctx.in_pos]
        if (counts > 1).any():
            gx = gx / (_wrap(counts.astype(g.dtype)) if isinstance(g, Tensor) else counts)
        return gx, None, None, None


def _strided_args(input, size, stride, storage_offset):
    if storage_offset is not None:
        storage_offset = _int_arg(storage_offset, "storage_offset", 4)
    flat, own = _storage(input._data)
    offset = own if storage_offset is None else storage_offset
    size, stride = _check_strided(size, stride, offset, flat.size, input._data.itemsize)
    return size, stride, offset


def as_strided(input: Tensor, size, stride, storage_offset=None) -> Tensor:
    """A view of ``input``'s storage with the given sizes and strides (in elements), starting at
    ``storage_offset`` (default: input's own). Bounds are checked against the storage, like torch."""
    size, stride, offset = _strided_args(input, size, stride, storage_offset)
    return _shape._viewed(AsStrided.apply(input, size, stride, offset), input, AsStrided, size, stride, offset)


def as_strided_(input: Tensor, size, stride, storage_offset=None) -> Tensor:
    """``input`` itself re-viewed with the given geometry over its storage."""
    if _gm._state.enabled and input._requires_grad and input.grad_fn is None:
        raise RuntimeError(_LEAF_MESSAGE)
    out = as_strided(input, size, stride, storage_offset)
    input._data, input.grad_fn = out._data, out.grad_fn
    return input


def as_strided_scatter(input: Tensor, src: Tensor, size, stride, storage_offset=None) -> Tensor:
    """``input`` (as a row-major copy) with its ``as_strided(size, stride, storage_offset)`` region set to ``src``."""
    offset = 0 if storage_offset is None else _int_arg(storage_offset, "storage_offset", 5)
    size, stride = _check_strided(size, stride, offset, input._data.size, input._data.itemsize)
    return _scatter_into(input, src, _strided_positions(size, stride, offset))


# -- the scatter family ---------------------------------------------------------------------------


def _region(input: Tensor):
    """The flat row-major position of each of input's elements."""
    return array_module(input._data).arange(input._data.size, dtype=np.int64).reshape(input._data.shape)


def _scatter_into(input: Tensor, src: Tensor, pos) -> Tensor:
    if tuple(src._data.shape) != pos.shape:
        raise RuntimeError(
            f"expected src to have a size equal to the slice of self. src size = {list(src._data.shape)}, "
            f"slice size = {list(pos.shape)}"
        )
    return Embed.apply(input, src, pos)


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start=None, end=None, step: int = 1) -> Tensor:
    """``input`` with ``input[..., start:end:step, ...]`` (along ``dim``) replaced by ``src``."""
    if input._data.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    if int(step) <= 0:
        raise RuntimeError("slice step must be positive")
    d = _wrap_dim(dim, input._data.ndim)
    key = (slice(None),) * d + (slice(start, end, int(step)),)
    return _scatter_into(input, src, _region(input)[key])


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """``input`` with ``input.select(dim, index)`` replaced by ``src``."""
    shape = input._data.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, len(shape))
    index = int(index)
    if not -shape[d] <= index < shape[d]:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(shape)} at dimension {dim}")
    return _scatter_into(input, src, _region(input).take(index, axis=d))


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """``input`` with ``input.diagonal(offset, dim1, dim2)`` replaced by ``src``."""
    nd = input._data.ndim
    a, b = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return _scatter_into(input, src, _region(input).diagonal(int(offset), a, b))


# -- splits and sum_to_size -------------------------------------------------------------------------


def split_with_sizes(input: Tensor, split_sizes, dim: int = 0):
    """Views of ``input`` along ``dim`` with the given sizes (which must add up to its length)."""
    return _shape.split(input, [int(s) for s in split_sizes], dim)


def unsafe_split(input: Tensor, split_size: int, dim: int = 0):
    return _shape.split(input, split_size, dim)


def unsafe_split_with_sizes(input: Tensor, split_sizes, dim: int = 0):
    return split_with_sizes(input, split_sizes, dim)


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0):
    d = _wrap_dim(dim, input._data.ndim)
    if input._data.shape[d] == 0 and chunks > 0:  # torch gives ``chunks`` empty pieces
        return tuple(_shape.narrow(input, d, 0, 0) for _ in range(chunks))
    return _shape.chunk(input, chunks, dim)


def sum_to_size(input: Tensor, *size) -> Tensor:
    """``input`` summed down to ``size`` (the reverse of expanding ``size`` to input's shape)."""
    size = _shape._shape_arg(size)
    shape = tuple(input._data.shape)
    lead = len(shape) - len(size)
    if lead < 0 or any(s != 1 and s != n for s, n in zip(size, shape[lead:])):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    dims = list(range(lead)) + [lead + k for k, s in enumerate(size) if s == 1 and shape[lead + k] != 1]
    out = _sum(input, dims, keepdim=True) if dims else input
    return _shape.reshape(out, size) if lead else out


__all__ = [
    "as_strided", "as_strided_", "as_strided_scatter", "diagonal_scatter", "select_scatter", "slice_scatter",
    "split_with_sizes", "unsafe_chunk", "unsafe_split", "unsafe_split_with_sizes",
]
