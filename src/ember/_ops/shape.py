"""Shape ops: views (reshape, permute, expand, ...) and joins/splits (cat, stack, split, ...).

View ops return NumPy views that share the input's version counter, like PyTorch's.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .. import _memory_format as MF
from .._tensor import Size, Tensor, _wrap_dim
from .._backend import array_module
from ..autograd.function import Op
from ._common import LinearOp, cast_operand, normalize_dims, type_name
from ._out import write_out
from .inplace import mark_multi_view, mark_view
from .pointwise import where

_wrap = Tensor._wrap


def _viewed(out: Tensor, input: Tensor, op, *args) -> Tensor:
    """Mark ``out = op.apply(input, *args)`` as a view of ``input`` when it was recorded in a
    graph and really shares memory (reshape copies when strides forbid a view), so in-place
    ops on it reach input. Outside a graph this costs one attribute test, no closure."""
    if out.grad_fn is not None and array_module(input._data).may_share_memory(out._data, input._data):
        mark_view(out, input, lambda t: op.apply(t, *args))
    return out


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _infer_shape(shape: tuple, numel: int, src_shape: tuple) -> tuple:
    """Resolve one -1 and check the element count, with PyTorch's messages."""
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class Reshape(Op):
    """y = x with a new shape (same elements in row-major order);  dx = dy reshaped back."""

    _node_name = "ViewBackward0"
    _is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


def reshape(input: Tensor, *shape) -> Tensor:
    """The same elements in a new shape (a view when possible); one dim may be -1."""
    shape = _infer_shape(_shape_arg(shape), input._data.size, input._data.shape)
    if shape == input._data.shape and not input._requires_grad:
        return _view_of(input, input._data.view())
    return _viewed(Reshape.apply(input, shape), input, Reshape, shape)


def _view_dtype(input: Tensor, dtype: D.dtype) -> Tensor:
    """The same bytes read as another dtype (no copy, not differentiable); with a different
    element size the last dim shrinks or grows, as in PyTorch."""
    a = input._data
    src, dst = a.dtype, dtype.np
    if src.itemsize != dst.itemsize:
        names = f"to view {type_name(input.dtype)} as {type_name(dtype)} (different element sizes)"
        if a.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {names}")
        if a.strides[-1] != src.itemsize and a.shape[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {names}, but got {a.strides[-1] // src.itemsize}")
        if dst.itemsize > src.itemsize and (a.shape[-1] * src.itemsize) % dst.itemsize:
            raise RuntimeError(f"self.size(-1) must be divisible by {dst.itemsize // src.itemsize} {names}, but got {a.shape[-1]}")
    out = Tensor._wrap(a.view(dst))
    out._version = input._version
    return out


def view(input: Tensor, *shape) -> Tensor:
    """A view with a new shape; refuses when the memory layout can't be viewed that way."""
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        return _view_dtype(input, shape[0])
    target = _infer_shape(_shape_arg(shape), input._data.size, input._data.shape)
    try:
        a = input._data.view()
        a.shape = target  # raises instead of copying when the strides don't allow a view
    except AttributeError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans "
            "across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    return _viewed(Reshape.apply(input, target), input, Reshape, target)


def _view_of(base: Tensor, array) -> Tensor:
    t = _wrap(array)
    t._version = base._version
    return t


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one."""
    shape = input._data.shape
    if not shape:
        _wrap_dim(start_dim, 0), _wrap_dim(end_dim, 0)
        return reshape(input, (1,))
    s = _wrap_dim(start_dim, len(shape))
    e = _wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input if not input._requires_grad else reshape(input, shape)
    n = 1
    for d in shape[s : e + 1]:
        n *= d
    return reshape(input, shape[:s] + (n,) + shape[e + 1 :])


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one may be -1)."""
    shape = input._data.shape
    d = _wrap_dim(dim, len(shape))
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        sizes = _infer_shape(sizes, shape[d], (shape[d],))
    except RuntimeError:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} ({shape[d]}) in the input tensor"
        ) from None
    return reshape(input, shape[:d] + sizes + shape[d + 1 :])


def squeeze(input: Tensor, dim=None) -> Tensor:
    """Remove size-1 dims (all, or those in ``dim``)."""
    shape = input._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        axes = normalize_dims(dim, len(shape)) or ()
        new = tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1))
    return reshape(input, new)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at ``dim``."""
    shape = input._data.shape
    n = len(shape) + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    d = dim % n
    return reshape(input, shape[:d] + (1,) + shape[d:])


class Permute(Op):
    """y = x with axes reordered;  dx = dy with the inverse permutation."""

    _is_view = True

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        inverse = tuple(sorted(range(len(ctx.axes)), key=ctx.axes.__getitem__))  # argsort, on the host
        return xp.transpose(g, inverse), None


def permute(input: Tensor, *dims) -> Tensor:
    """Reorder the dims."""
    dims = _shape_arg(dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal to len(dims) = {len(dims)}"
        )
    axes = tuple(_wrap_dim(d, nd) for d in dims)
    if len(set(axes)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _viewed(Permute.apply(input, axes), input, Permute, axes)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims."""
    nd = input._data.ndim
    if nd == 0:
        _wrap_dim(dim0, 0), _wrap_dim(dim1, 0)
        return input
    axes = list(range(nd))
    a, b = _wrap_dim(dim0, nd), _wrap_dim(dim1, nd)
    axes[a], axes[b] = axes[b], axes[a]
    axes = tuple(axes)
    return _viewed(Permute.apply(input, axes), input, Permute, axes)


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dims."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    return transpose(input, 0, 1) if input._data.ndim == 2 else input


def movedim(input: Tensor, source, destination) -> Tensor:
    nd = input._data.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain the same number of dims as destination ({dst} dims)")
    order = [n for n in range(nd) if n not in {_wrap_dim(s, nd) for s in src}]
    for d, s in sorted(zip((_wrap_dim(d, nd) for d in dst), (_wrap_dim(s, nd) for s in src))):
        order.insert(d, s)
    order = tuple(order) if nd else ()  # a 0-d tensor's one nominal dim moves nowhere
    return _viewed(Permute.apply(input, order), input, Permute, order)


moveaxis = movedim


class Expand(Op):
    """y = x broadcast to a larger shape (a view);  dx = dy summed over the broadcast dims."""

    _is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        # broadcast_to is read-only even when nothing repeats; a same-shape expand stays writable
        return x.view() if shape == x.shape else array_module(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None  # the base class sums the broadcast dims away


def expand(input: Tensor, *sizes) -> Tensor:
    """Broadcast to ``sizes`` (-1 keeps a dim) without copying."""
    sizes = _shape_arg(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(torch.{input.dtype._legacy}{{{list(shape)}}}, size={list(sizes)}): the number of sizes provided ({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, non-existing dimension {i}")
            target.append(s)
            continue
        cur = shape[i - lead]
        if s == -1:
            target.append(cur)
        elif cur != s and cur != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}"
            )
        else:
            target.append(s)
    target = tuple(target)
    return _viewed(Expand.apply(input, target), input, Expand, target)


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other._data.shape)


def broadcast_to(input: Tensor, shape) -> Tensor:
    return expand(input, tuple(shape))


def broadcast_tensors(*tensors):
    shapes = [t._data.shape for t in tensors]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(_mismatch(shapes)) from None
    return tuple(expand(t, shape) for t in tensors)


def _mismatch(shapes) -> str:
    """PyTorch's message for shapes that do not broadcast: the first dim (from the right) that disagrees."""
    nd = max(len(s) for s in shapes)
    padded = [(1,) * (nd - len(s)) + tuple(s) for s in shapes]
    for d in range(nd - 1, -1, -1):
        sizes = [p[d] for p in padded if p[d] != 1]
        if len(set(sizes)) > 1:
            a, b = sizes[0], next(s for s in sizes if s != sizes[0])
            return f"The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton dimension {d}"
    return f"shapes {[list(s) for s in shapes]} cannot be broadcast together"


def broadcast_shapes(*shapes):
    try:
        return Size(np.broadcast_shapes(*shapes))
    except ValueError as exc:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape ({exc})") from None


class Contiguous(Op):
    """y = x in C order (a copy when needed);  dx = dy."""

    _node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x, copy):
        xp = array_module(x)
        if isinstance(copy, MF.memory_format):  # a channels-last layout of the same values
            return MF.arrange(xp, x, copy)
        return x.copy() if copy else xp.ascontiguousarray(x)

    @staticmethod
    def backward(ctx, g):
        return g, None


def contiguous(input: Tensor, memory_format=None) -> Tensor:
    """``input`` itself when already dense in ``memory_format`` (default: row-major), else a copy laid out so."""
    fmt = MF.check_memory_format(memory_format, "contiguous")
    if fmt is MF.preserve_format:
        return input
    MF.check_rank(input._data.shape, fmt)
    if MF.is_contiguous_as(input._data, fmt):
        return input
    if fmt is not MF.contiguous_format:
        return Contiguous.apply(input, fmt)
    return Contiguous.apply(input, False)


def lay_out(input: Tensor, memory_format) -> Tensor:
    """``to(memory_format=...)``: ``input`` when its strides are exactly the format's, else a copy with them
    (unlike ``contiguous``, size-1 dims get their canonical strides too, as PyTorch's ``to`` gives)."""
    fmt = MF.check_memory_format(memory_format, "to")
    if fmt is MF.preserve_format:
        return input
    MF.check_rank(input._data.shape, fmt)
    if MF.is_contiguous_as(input._data, fmt, exact=True):
        return input
    return Contiguous.apply(input, fmt)


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """A copy that stays in the graph."""
    return Contiguous.apply(input, True)


class Cat(Op):
    """y = the inputs joined along ``dim``;  each input's gradient is its slice of dy.

    1-D empty inputs are skipped when joining higher-rank tensors (PyTorch's legacy rule);
    their gradient is empty.
    """

    @staticmethod
    def forward(ctx, dim, *xs):
        nd = max(x.ndim for x in xs)
        skip = [nd > 1 and x.ndim == 1 and x.shape[0] == 0 for x in xs]
        ctx.dim = dim
        ctx.sizes = [None if s else x.shape[dim] for x, s in zip(xs, skip)]
        return array_module(*xs).concatenate([x for x, s in zip(xs, skip) if not s] if any(skip) else xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads = [None]
        start = 0
        index = [slice(None)] * g.ndim
        for n in ctx.sizes:
            if n is None:
                data = g._data if isinstance(g, Tensor) else g
                grads.append(array_module(data).zeros(0, dtype=data.dtype))
                continue
            index[ctx.dim] = slice(start, start + n)
            grads.append(g[tuple(index)])
            start += n
        return tuple(grads)


def cat(tensors, dim: int = 0, *, axis=None, out=None) -> Tensor:
    """Join tensors along an existing dim; shapes must match elsewhere."""
    if axis is not None:
        dim = axis
    tensors = list(tensors)
    if out is not None:
        return write_out(out, cat(tensors, dim), "cat", cast_error=(TypeError, "torch.cat(): input types can't be cast to the desired output type {got}"))
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    # PyTorch skips 1-D empty tensors (legacy behaviour) when joining.
    kept = [t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0)] or tensors[:1]
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    ref = kept[0]._data
    nd = ref.ndim
    all_skipped = ref.ndim == 1 and ref.shape[0] == 0  # only legacy empties: PyTorch checks no dim
    d = 0 if all_skipped else _wrap_dim(dim, nd)
    for i, t in enumerate(kept[1:], 1):
        s = t._data.shape
        if len(s) != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and {len(s)}")
        for k in range(nd):
            if k != d and s[k] != ref.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {ref.shape[k]} but got size {s[k]} for tensor number {i} in the list."
                )
    if len({t._data.dtype for t in tensors}) > 1:
        res = _promote_all(tensors)
        tensors = [cast_operand(t, res) for t in tensors]
    return Cat.apply(d, *tensors)


def _promote_all(tensors) -> D.dtype:
    """cat promotes like promote_types over all inputs (0-d and empty ones included)."""
    res = tensors[0].dtype
    for t in tensors[1:]:
        res = D.promote_types(res, t.dtype)
    return res


concat = concatenate = cat


def stack(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join tensors along a new dim; all must have the same shape."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    n = len(shape) + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and {list(t._data.shape)} at entry {i}"
            )
    d = dim % n
    return cat([unsqueeze(t, d) for t in tensors], d, out=out)


def hstack(tensors) -> Tensor:
    tensors = [atleast_1d(t) for t in tensors]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    return cat([atleast_2d(t) for t in tensors], 0)


row_stack = vstack


def dstack(tensors) -> Tensor:
    return cat([atleast_3d(t) for t in tensors], 2)


def column_stack(tensors) -> Tensor:
    cols = [reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in tensors]
    return cat(cols, 1)


def atleast_1d(t: Tensor) -> Tensor:
    return reshape(t, (1,)) if t._data.ndim == 0 else t


def atleast_2d(t: Tensor) -> Tensor:
    nd = t._data.ndim
    return reshape(t, (1, 1)) if nd == 0 else unsqueeze(t, 0) if nd == 1 else t


def atleast_3d(t: Tensor) -> Tensor:
    nd = t._data.ndim
    if nd == 0:
        return reshape(t, (1, 1, 1))
    if nd == 1:
        return reshape(t, (1, t._data.shape[0], 1))
    if nd == 2:
        return unsqueeze(t, 2)
    return t


class Narrow(Op):
    """y = x[..., start:start+length, ...] along ``dim`` (a view);  dx = dy placed back, zeros elsewhere."""

    _node_name = "SliceBackward0"
    _is_view = True

    @staticmethod
    def forward(ctx, x, dim, start, length):
        ctx.meta = (x.shape, x.dtype, dim, start, length)
        index = [slice(None)] * x.ndim
        index[dim] = slice(start, start + length)
        return x[tuple(index)]

    @staticmethod
    def backward(ctx, g):
        shape, dtype, dim, start, length = ctx.meta
        widths = [(0, 0)] * len(shape)
        widths[dim] = (start, shape[dim] - start - length)
        return array_module(g).pad(g, widths), None, None, None


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """A view of ``length`` elements along ``dim`` from ``start``."""
    shape = input._data.shape
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if int(length) < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    d = _wrap_dim(dim, len(shape))
    start, length, n = int(start), int(length), shape[d]
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _viewed(Narrow.apply(input, d, start, length), input, Narrow, d, start, length)


def narrow_copy(input: Tensor, dim: int, start: int, length: int, *, out=None) -> Tensor:
    """``narrow`` into new contiguous memory (not a view)."""
    if out is not None:
        return write_out(out, narrow_copy(input, dim, start, length), "narrow_copy", input,
                         exact="Expected self.dtype() == output.dtype() to be true, but got false.  (Could this error "
                               "message be improved?  If so, please report an enhancement request to PyTorch.)",
                         warn_resize=False)
    return clone(narrow(input, dim, start, length), memory_format=MF.contiguous_format)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0):
    """Split into chunks of a size (the last may be smaller) or into the given sizes."""
    if not tensor._data.ndim:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    if isinstance(split_size_or_sections, (int, np.integer)) and split_size_or_sections < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={int(split_size_or_sections)}")
    d = _wrap_dim(dim, tensor._data.ndim)
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        if step <= 0 and n > 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        sizes = [min(step, n - s) for s in range(0, n, step)] if n else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at dimension {d}), but got split_sizes={sizes}"
            )
    out, start = [], 0
    for s in sizes:
        out.append(narrow(tensor, d, start, s))
        start += s
    return mark_multi_view(tuple(out), "Split" if isinstance(split_size_or_sections, (int, np.integer)) else "SplitWithSizes")


def tensor_split(input: Tensor, indices_or_sections, dim: int = 0):
    if not input._data.ndim:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = _wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if isinstance(indices_or_sections, Tensor):
        a = indices_or_sections._data
        if a.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {a.ndim} dims")
        if a.dtype != np.int64:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{type_name(indices_or_sections.dtype)}")
        indices_or_sections = int(a) if a.ndim == 0 else a.tolist()  # a 0-d tensor counts sections, as an int does
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        base, extra = divmod(n, k)
        sizes = [base + 1] * extra + [base] * (k - extra)
    else:
        bounds = [0] + [min(max(int(i), 0), n) for i in indices_or_sections] + [n]
        sizes = [max(b - a, 0) for a, b in zip(bounds, bounds[1:])]
    out, start = [], 0
    for s in sizes:
        out.append(narrow(input, d, start, s))
        start += s
    return tuple(out)


def chunk(input: Tensor, chunks: int, dim: int = 0):
    """Split into ``chunks`` pieces of size ceil(n / chunks) (fewer if they run out)."""
    if not input._data.ndim:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    n = input._data.shape[_wrap_dim(dim, input._data.ndim)]
    if n == 0:  # torch hands back ``chunks`` empty pieces
        return split(input, [0] * chunks, dim)
    return split(input, -(-n // chunks), dim)


def unbind(input: Tensor, dim: int = 0):
    """The slices along ``dim``, with that dim removed."""
    d = _wrap_dim(dim, input._data.ndim)
    return mark_multi_view(tuple(squeeze(narrow(input, d, i, 1), d) for i in range(input._data.shape[d])), "Unbind")


class Flip(Op):
    """y = x reversed along dims;  dx = dy reversed along the same dims."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return array_module(x).flip(x, axes).copy()

    @staticmethod
    def backward(ctx, g):
        return array_module(g).flip(g, ctx.axes), None


def flip(input: Tensor, dims) -> Tensor:
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return Flip.apply(input, normalize_dims(dims, input._data.ndim) or ())


def fliplr(input: Tensor) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


class Roll(Op):
    """y = x shifted cyclically;  dx = dy shifted back."""

    @staticmethod
    def forward(ctx, x, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return array_module(x).roll(x, shifts, axes)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return array_module(g).roll(g, back, ctx.axes), None, None


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Elements shifted cyclically along ``dims`` (over the flattened tensor without dims)."""
    n_shifts = len(shifts) if isinstance(shifts, (list, tuple)) else 1
    n_dims = 0 if dims is None else len(dims) if isinstance(dims, (list, tuple)) else 1
    if n_dims == 0:
        dims = None  # roll(x, s, ()) rolls the flattened tensor, as with no dims
    if (dims is None and n_shifts != 1) or (dims is not None and n_shifts != n_dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {n_shifts}, dims:{n_dims}")
    if dims is not None and input._data.ndim == 0:
        first = dims[0] if isinstance(dims, (list, tuple)) else dims
        raise IndexError(f"Dimension specified as {first} but tensor has no dimensions")
    if dims is None:
        shifts = shifts[0] if isinstance(shifts, (list, tuple)) else shifts
        return reshape(Roll.apply(flatten(input), shifts, None), input._data.shape)
    shifts = tuple(shifts) if isinstance(shifts, (list, tuple)) else (shifts,)
    dims = tuple(dims) if isinstance(dims, (list, tuple)) else (dims,)
    return Roll.apply(input, shifts, tuple(_wrap_dim(d, input._data.ndim) for d in dims))


class Tile(Op):
    """y = x repeated ``reps`` times per dim;  dx = dy summed over the copies."""

    _node_name = "RepeatBackward0"

    @staticmethod
    def forward(ctx, x, reps):
        ctx.in_shape = x.shape
        return array_module(x).tile(x, reps)

    @staticmethod
    def backward(ctx, g):
        shape = ctx.in_shape
        reps = g.shape[: g.ndim - len(shape)]
        lead = len(reps)
        split_shape = tuple(reps)
        for r, s in zip(g.shape[lead:], shape):
            split_shape += (r // s if s else 0, s)
        summed_axes = tuple(range(lead)) + tuple(lead + 2 * i for i in range(len(shape)))
        return g.reshape(split_shape).sum(axis=summed_axes), None


def repeat(input: Tensor, *sizes) -> Tensor:
    """Repeat the tensor along each dim (``sizes`` has at least input.dim() entries)."""
    sizes = _shape_arg(sizes)
    if len(sizes) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    x = reshape(input, (1,) * (len(sizes) - input._data.ndim) + input._data.shape)
    out_shape = [r * n for r, n in zip(sizes, x._data.shape)]
    if any(n < 0 for n in out_shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {next(n for n in out_shape if n < 0)}: {out_shape}")
    return Tile.apply(x, sizes)


def tile(input: Tensor, dims) -> Tensor:
    dims = tuple(dims)
    if len(dims) < input._data.ndim:
        dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


class Diagonal(LinearOp):
    """y = the diagonal of x over dims a, b (moved last);  dx = dy placed on that diagonal (`DiagEmbed`)."""

    @staticmethod
    def f(x, offset, a, b):
        return array_module(x).diagonal(x, offset, a, b).copy()

    @staticmethod
    def adjoint(h, x_shape, offset, a, b):
        return DiagEmbed.of(h, x_shape, offset, a, b)


class DiagEmbed(LinearOp):
    """y = zeros of ``shape`` with x on the diagonal over dims a, b;  dx = that diagonal of dy (`Diagonal`)."""

    @staticmethod
    def f(x, shape, offset, a, b):
        return _embed_diagonal(x, shape, x.dtype, offset, a, b)

    @staticmethod
    def adjoint(h, x_shape, shape, offset, a, b):
        return Diagonal.of(h, offset, a, b)


class DiagonalView(Diagonal):
    """``Tensor.diagonal``'s op: the same map, but its result is a view, so in-place writes reach the input
    (the adjoints keep copying: a gradient array must not alias another)."""

    _is_view = True
    _node_name = "DiagonalBackward0"

    @staticmethod
    def f(x, offset, a, b):
        d = array_module(x).diagonal(x, offset, a, b)
        if x.flags.writeable:
            d.flags.writeable = True  # NumPy hands the diagonal out read-only; PyTorch's is writable
        return d


def _embed_diagonal(values, shape, dtype, offset, a, b):
    """An array of ``shape`` holding ``values`` (diagonal last) on the diagonal over dims a, b, zeros elsewhere."""
    xp = array_module(values)
    n = values.shape[-1]
    rows = xp.arange(n) + max(-offset, 0)
    cols = xp.arange(n) + max(offset, 0)
    out = xp.zeros(shape, dtype=dtype)
    xp.moveaxis(out, (a, b), (-2, -1))[..., rows, cols] = values
    return out


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    nd = input._data.ndim
    a, b = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return _viewed(DiagonalView.apply(input, offset, a, b), input, DiagonalView, offset, a, b)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-D input: a matrix with it on the diagonal; 2-D: the diagonal."""
    if input._data.ndim == 1:
        n = input._data.shape[0] + abs(diagonal)
        return DiagEmbed.apply(input, (n, n), diagonal, 0, 1)
    if input._data.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input._data.ndim}D")
    return Diagonal.apply(input, diagonal, 0, 1)


def _at_least_2d(input: Tensor, name: str) -> None:
    if input._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")


def _triangle(name: str, input: Tensor, diagonal: int, out) -> Tensor:
    """``tril``/``triu``: input where NumPy's ``xp.tril``/``xp.triu`` of a ones matrix keeps it, else 0."""
    if out is not None:
        return write_out(out, _triangle(name, input, diagonal, None), name,
                         exact="Expected out tensor to have dtype {want_c}, but got {got_c} instead")
    _at_least_2d(input, name)
    xp = array_module(input._data)
    keep = getattr(xp, name)(xp.ones(input._data.shape[-2:], dtype=bool), diagonal)
    # select, not multiply: -inf * 0 would be nan (generate_square_subsequent_mask is a triu of -inf)
    return where(_wrap(keep), input, _wrap(xp.zeros((), input._data.dtype)))


def tril(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:
    """The lower triangle of the last two dims (on and below ``diagonal``), zeros elsewhere."""
    return _triangle("tril", input, diagonal, out)


def triu(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:
    """The upper triangle of the last two dims (on and above ``diagonal``), zeros elsewhere."""
    return _triangle("triu", input, diagonal, out)


__all__ = [
    _n for _n, _v in list(globals().items())
    if not _n.startswith("_") and callable(_v) and not isinstance(_v, type) and getattr(_v, "__module__", None) == __name__
]
