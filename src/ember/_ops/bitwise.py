"""Integer and bit ops: bitwise and/or/xor/not, left and right shifts, gcd and lcm.

None is differentiable (their results are integers or bools). Operands promote as in PyTorch
(a Python int never widens a tensor; bool with an int scalar gives int64); floating operands
raise NotImplementedError naming the CPU kernel, like PyTorch's dispatcher.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._backend import array_module
from .._tensor import Tensor
from ._out import supports_out
from .._tensor import data_of as _data
from ..autograd.function import emit
from ._common import as_tensor_operand, binary_operands, check_broadcast, shape_of, type_name

_wrap = Tensor._wrap


def _refuse(kernel: str, res, bools: bool = True):
    kind = np.dtype(res).kind
    if kind == "f" or (not bools and kind == "b"):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(D.from_numpy_dtype(res))}\'')


def _operands(input, other, kernel, bools=True):
    x, y, res = binary_operands(input, other)
    _refuse(kernel, res, bools)
    a, b = _data(x), _data(y)
    try:
        np.broadcast_shapes(getattr(a, "shape", ()), getattr(b, "shape", ()))
    except ValueError:
        check_broadcast(shape_of(x), shape_of(y))
        raise
    return a, b, np.dtype(res)


def _logical(name):
    def fn(input, other, *, out=None) -> Tensor:
        if out is not None:
            raise TypeError(f"{name}(): out= is not supported by ember")
        a, b, res = _operands(input, other, f"{name}_cpu")
        xp = array_module(a, b)
        return emit(name, (input, other), xp.asarray(getattr(xp, name)(a, b), dtype=res))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise {name.split('_')[1].upper()} of integer or bool tensors."
    return fn


bitwise_and = _logical("bitwise_and")
bitwise_or = _logical("bitwise_or")
bitwise_xor = _logical("bitwise_xor")


@supports_out("bitwise_not")
def bitwise_not(input: Tensor, *, out=None) -> Tensor:
    """Elementwise NOT: ~x for integers, logical not for bools."""
    _refuse("bitwise_not_cpu", input._data.dtype)
    return emit("bitwise_not", (input,), array_module(input._data).invert(input._data))


def _shift(a, s, res, left: bool):
    """a << s or a >> s with PyTorch's rule for shifts outside [0, bits): a left shift gives 0, a
    right shift gives the sign fill (-1 for negative signed values, else 0). NumPy leaves those
    to the C compiler, so they are masked out here."""
    xp = array_module(a, s)
    bits = res.itemsize * 8
    a = xp.asarray(a, dtype=res)
    s = xp.asarray(s, dtype=res)
    ok = (s >= 0) & (s < bits)
    safe = xp.where(ok, s, 0).astype(res, copy=False)
    if left:
        return xp.where(ok, xp.left_shift(a, safe), xp.zeros((), res))
    fill = xp.where(a < 0, -1, 0).astype(res, copy=False) if res.kind == "i" else xp.zeros((), res)
    return xp.where(ok, xp.right_shift(a, safe), fill)


@supports_out("bitwise_left_shift")
def bitwise_left_shift(input, other, *, out=None) -> Tensor:
    """input << other, elementwise (0 where the shift is negative or >= the bit width)."""
    a, b, res = _operands(input, other, "lshift_cpu", bools=False)
    return _wrap(array_module(a, b).asarray(_shift(a, b, res, True)))


def bitwise_right_shift(input, other, *, out=None) -> Tensor:
    """input >> other, elementwise (arithmetic shift; the sign fill where the shift is out of range)."""
    a, b, res = _operands(input, other, "rshift_cpu", bools=False)
    return _wrap(array_module(a, b).asarray(_shift(a, b, res, False)))


def _require_tensor(name, other):
    if not isinstance(as_tensor_operand(other), Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")


def _integer_binary(name, doc):
    @supports_out(name)
    def fn(input: Tensor, other: Tensor, *, out=None) -> Tensor:
        _require_tensor(name, other)
        a, b, res = _operands(input, other, f"{name}_cpu", bools=False)
        xp = array_module(a, b)
        return _wrap(xp.asarray(getattr(xp, name)(a, b), dtype=res))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


gcd = _integer_binary("gcd", "Greatest common divisor, elementwise (non-negative; gcd(0, 0) = 0).")
lcm = _integer_binary("lcm", "Least common multiple, elementwise (non-negative; 0 when either is 0).")


__all__ = [
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm",
]
