"""The bottom layer of ``_ops``: what every op family shares (operand conversion, type promotion and
the differentiable dtype cast, dim and broadcast checks, PyTorch's type names in messages).

It imports only the Tensor and autograd layers; every other ``_ops`` module may import it.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._backend import is_array
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Op

_wrap = Tensor._wrap
_SCALARS = (int, float, bool, np.number, np.bool_)
OVERLAP_MESSAGE = (
    "unsupported operation: more than one element of the written-to tensor refers to a single memory "
    "location. Please clone() the tensor before performing the operation."
)


def as_tensor_operand(x):
    """Tensors pass through; NumPy arrays are wrapped; Python scalars stay scalars."""
    if isinstance(x, Tensor) or isinstance(x, _SCALARS):
        return x
    if is_array(x):
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
            return to_dtype(x, res)
        return x
    return res.np.type(x)


class ToDtype(Op):
    """y = x cast to another dtype;  dy/dx = 1 (gradient cast back)."""

    _node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, np_dtype):
        ctx.src = x.dtype
        return x.astype(np_dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.src) if is_array(g) else g.to(D.from_numpy_dtype(ctx.src)), None


def first_order_only(name: str, *values) -> None:
    """Refuse create_graph in a backward written on arrays only (its gradient, or what it saved, then arrives
    as a Tensor), naming the op."""
    if any(isinstance(v, Tensor) for v in values):
        raise NotImplementedError(f"{name}: double backward (create_graph=True) is not implemented in ember")


class LinearOp(Op):
    """y = L(x; meta), linear in x, with its transpose known, so that under create_graph it differentiates
    again: a subclass gives ``f(x, *meta)``, L on arrays, and ``adjoint(h, x_shape, *meta)``, L's transpose
    (the gradient of <h, L(x)> in x). Many backward passes are such an L of dy: they return ``of(dy, *meta)``."""

    @classmethod
    def of(cls, x, *meta):
        """L(x): recorded as this op when x is a Tensor (in a backward, create_graph), else on the array."""
        return cls.apply(x, *meta) if isinstance(x, Tensor) else cls.f(x, *meta)

    @classmethod
    def forward(cls, ctx, x, *meta):
        ctx.meta, ctx.x_shape = meta, x.shape
        return cls.f(x, *meta)

    @classmethod
    def backward(cls, ctx, h):
        return (cls.adjoint(h, ctx.x_shape, *ctx.meta), *(None,) * len(ctx.meta))


def to_dtype(x: Tensor, dtype: D.dtype) -> Tensor:
    """``x`` in ``dtype``: itself when it already is, differentiable when the cast keeps it floating."""
    if x._data.dtype == dtype.np:
        return x
    if x._requires_grad and dtype.category == 2:
        return ToDtype.apply(x, dtype.np)
    return _wrap(x._data.astype(dtype.np))


def refuse_readonly(a) -> None:
    """An expanded tensor (stride 0) has elements sharing memory: PyTorch refuses to write it."""
    if any(s == 0 and n > 1 for s, n in zip(a.strides, a.shape)):
        raise RuntimeError(OVERLAP_MESSAGE)
    raise RuntimeError("cannot write in place into a read-only tensor (its NumPy array is not writeable); clone() it first")


def normalize_dims(dim, ndim: int):
    """``dim`` (None, an int or a sequence) as a sorted tuple of non-negative axes, or None.

    A 0-d tensor accepts dim 0 and -1 like PyTorch; it has no axis to reduce, so they map to ().
    """
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        axes = tuple(sorted(_wrap_dim(int(d), ndim) for d in dim))
        for a, b in zip(axes, axes[1:]):
            if a == b:
                raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
        return axes if ndim else ()
    axis = _wrap_dim(int(dim), ndim)
    return (axis,) if ndim else ()


def broadcast_error(shape_a, shape_b) -> RuntimeError:
    """PyTorch's message for shapes that don't broadcast: the rightmost clashing dim, counted
    in the broadcast result's dims."""
    n = max(len(shape_a), len(shape_b))
    for i in range(n - 1, -1, -1):
        off = n - 1 - i
        a = shape_a[len(shape_a) - 1 - off] if off < len(shape_a) else 1
        b = shape_b[len(shape_b) - 1 - off] if off < len(shape_b) else 1
        if a != b and a != 1 and b != 1:
            return RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton dimension {i}")
    return RuntimeError(f"shapes {list(shape_a)} and {list(shape_b)} cannot be broadcast together")


def check_broadcast(*shapes) -> tuple:
    """The broadcast shape of ``shapes``, or PyTorch's RuntimeError naming the clash."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        out = shapes[0]
        for s in shapes[1:]:
            try:
                out = np.broadcast_shapes(out, s)
            except ValueError:
                raise broadcast_error(out, s) from None
        raise


def type_name(d: D.dtype) -> str:
    """PyTorch's scalar-type name in messages: Float, Double, Long, Int, Bool ..."""
    return d._legacy[: -len("Tensor")]


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def c_type_name(d: D.dtype) -> str:
    """The C++ type name some PyTorch messages print: float, double, long int ..."""
    return _C_NAMES[d.name]


def shape_of(x):
    """A Tensor's or array's shape; a number's is ()."""
    return x._data.shape if isinstance(x, Tensor) else getattr(x, "shape", ())


def dim_arg(dim, axis):
    """PyTorch accepts ``axis=`` wherever it accepts ``dim=``."""
    return axis if dim is None else dim
