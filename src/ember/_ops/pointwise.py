"""Elementwise ops: arithmetic, transcendental functions, comparisons, clamping.

Each Op's docstring states the derivative; the base class undoes broadcasting.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .. import _dtype as D
from .._backend import array_module, errstate, is_array
from ..autograd.function import Op, emit
from .._tensor import Tensor
from .._tensor import data_of as _data
from ._out import write_out
from ._specfun import erf as _erf_fast
from ._unary import ALL, INVALID, OVER, POLES, BinaryOp, UnaryOp, as_array, float_input, unary_function
from ._common import as_tensor_operand, binary_operands, c_type_name, cast_operand, check_broadcast, shape_of, type_name
from ._common import ToDtype, to_dtype  # noqa: F401  (the cast lives in _common; reached as pointwise.to_dtype too)
from .bitwise import bitwise_not
from .nonzero import nonzero

_wrap = Tensor._wrap


_BOOL = np.dtype(bool)
_SAME_DTYPE = "Found dtype {got} but expected {want}"  # ops whose out= must have the result's dtype exactly  # builtin dtypes are singletons: ``is`` is the cheapest test




# -- arithmetic ---------------------------------------------------------------------------------


class Add(Op):
    """y = a + b;  dy/da = 1, dy/db = 1."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Op):
    """y = a - b;  dy/da = 1, dy/db = -1."""

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Op):
    """y = a * b;  dy/da = b, dy/db = a."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


class Div(BinaryOp):
    """y = a / b;  dy/da = 1/b, dy/db = -a/b^2."""

    ufunc, quiet = "true_divide", POLES

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        with errstate(array_module(g, a, b), **POLES):
            ga = g / b if need_a else None
            gb = -g * a / (b * b) if need_b else None
        return ga, gb


class Neg(Op):
    """y = -x;  dy/dx = -1."""

    @staticmethod
    def forward(ctx, x):
        return array_module(x).negative(x)

    @staticmethod
    def backward(ctx, g):
        return -g


def _pow(a, b):
    """a ** b as PyTorch's CPU kernel computes it: a scalar exponent of 0.5, -0.5, -1, 2, 3 or
    -2 takes a fast path (sqrt, 1/sqrt, 1/a, a*a ...), whose IEEE edge cases differ from
    ``pow``'s (``(-inf) ** 0.5`` is NaN, ``(-0.0) ** -0.5`` is -inf)."""
    xp = array_module(a, b)
    if getattr(b, "ndim", 0) == 0 and getattr(a, "dtype", None) is not None and a.dtype.kind == "f":
        e = float(b)
        if e == 0.5:
            return xp.sqrt(a)
        if e == -0.5:
            return 1 / xp.sqrt(a)
        if e == 2:
            return a * a
        if e == 3:
            return a * a * a
        if e == -1:
            return 1 / a
        if e == -2:
            return 1 / (a * a)
    return xp.power(a, b)


class Pow(Op):
    """y = a^b;  dy/da = b a^(b-1) (0 where b = 0), dy/db = a^b ln a (0 where a = 0 and b >= 0).

    No other masking: 0^b for b < 0, negative bases and infinities give PyTorch's inf and NaN.
    """

    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a, b)
        with errstate(xp, **ALL):
            y = as_array(xp, _pow(a, b))
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        xp = array_module(g, a, b)
        with errstate(xp, **ALL):
            if need_a:
                if isinstance(a, Tensor) or isinstance(b, Tensor):  # create_graph: differentiable ops
                    ga = xp.where(_data(b) == 0, 0.0, g * b * a ** (b - 1))
                else:
                    ga = xp.where(b == 0, 0.0, g * b * _pow(a, b - 1))
            if need_b:
                ad, bd = _data(a), _data(b)
                gb = g * y * xp.log(a)
                zero_base = (ad == 0) & (bd >= 0)
                if zero_base.any():
                    gb = xp.where(zero_base, 0.0, gb)
        return ga, gb


def _binary(op, a, b, float_result=False):
    x, y, _ = binary_operands(a, b, float_result=float_result)
    try:
        return op.apply(x, y)
    except ValueError:  # NumPy's broadcasting failure, re-raised as PyTorch's; free until it happens
        check_broadcast(shape_of(x), shape_of(y))
        raise


def add(input, other, *, alpha=1, out=None) -> Tensor:
    """input + alpha * other."""
    if out is not None:
        return write_out(out, add(input, other, alpha=alpha), "add")
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Add, input, other)


# PyTorch's words for ``a - b`` of two bool tensors and ``-x`` of one (also raised by what computes them, e.g. softmin)
BOOL_SUBTRACTION_ERROR = (
    "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead."
)
BOOL_NEGATION_ERROR = (
    "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
    "use the `~` or `logical_not()` operator instead."
)


def sub(input, other, *, alpha=1, out=None) -> Tensor:
    """input - alpha * other."""
    if out is not None:
        return write_out(out, sub(input, other, alpha=alpha), "sub")
    a_bool = isinstance(input, Tensor) and input._data.dtype is _BOOL
    b_bool = isinstance(other, Tensor) and other._data.dtype is _BOOL
    if a_bool or b_bool:
        if a_bool and b_bool:
            raise RuntimeError(BOOL_SUBTRACTION_ERROR)
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, "
            "use the `~` or `logical_not()` operator instead."
        )
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Sub, input, other)


subtract = sub


def rsub(input, other, *, alpha=1) -> Tensor:
    return sub(other, input, alpha=alpha)


def mul(input, other, *, out=None) -> Tensor:
    """input * other."""
    if out is not None:
        return write_out(out, mul(input, other), "mul")
    return _binary(Mul, input, other)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None) -> Tensor:
    """input / other (true division; ``rounding_mode`` 'trunc' or 'floor' for integer-style)."""
    if out is not None:
        return write_out(out, div(input, other, rounding_mode=rounding_mode), "div")
    if rounding_mode is None:
        return _binary(Div, input, other, float_result=True)
    if rounding_mode not in ("floor", "trunc"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")
    x, y, res = binary_operands(input, other)
    _integer_divisor_check(y, res, f"div_{rounding_mode}_cpu")
    return _binary_op(RoundedDiv, x, y, rounding_mode)


class RoundedDiv(Op):
    """y = floor(a/b) or trunc(a/b);  piecewise constant, so dy/da = dy/db = 0."""

    _node_name = "DivBackward2"

    @staticmethod
    def forward(ctx, a, b, mode):
        xp = array_module(a, b)
        with errstate(xp, **POLES):
            if a.dtype.kind != "f":  # a and b share the promoted dtype
                q = xp.floor_divide(a, b)
                if mode == "trunc":  # floor and trunc differ where the exact quotient is negative
                    q = q + ((xp.mod(a, b) != 0) & ((a < 0) != (b < 0)))
            else:
                q = xp.floor(a / b) if mode == "floor" else xp.trunc(a / b)
        return as_array(xp, q)

    @staticmethod
    def backward(ctx, g):
        return g * 0, g * 0, None


divide = true_divide = div


def floor_divide(input, other, *, out=None) -> Tensor:
    """Floor of input / other (no gradient, like PyTorch)."""
    if out is not None:
        return write_out(out, floor_divide(input, other), "floor_divide")
    return div(input, other, rounding_mode="floor")


class Remainder(BinaryOp):
    """y = a - b floor(a/b) (Python's %, sign of b);  dy/da = 1, dy/db = -floor(a/b)."""

    ufunc, quiet, rounding = "mod", POLES, "floor"

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ad, bd = _data(a), _data(b)
        xp = array_module(g, ad, bd)
        with errstate(xp, **POLES):
            gb = -g * getattr(xp, cls.rounding)(ad / bd) if need_b else None
        return (g if need_a else None), gb


class Fmod(Remainder):
    """y = a - b trunc(a/b) (C's fmod, sign of a);  dy/da = 1, dy/db = -trunc(a/b)."""

    ufunc, rounding = "fmod", "trunc"


def _integer_divisor_check(y, res, kernel: str) -> None:
    """Integer division by zero is an error (no inf to return); bool has no kernel at all."""
    if res.kind == "b":
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    if res.kind != "f" and (_data(y) == 0).any():
        raise RuntimeError("ZeroDivisionError")


def _modulo(op, name, doc):
    def fn(input, other, *, out=None) -> Tensor:
        if out is not None:
            return write_out(out, fn(input, other), name)
        x, y, res = binary_operands(input, other)
        _integer_divisor_check(y, res, f"{name}_cpu")
        return _binary_op(op, x, y)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


remainder = _modulo(Remainder, "remainder", "Python-style modulus: the result has the sign of ``other``.")
fmod = _modulo(Fmod, "fmod", "C-style remainder: the result has the sign of ``input``.")


def _binary_op(op, x, y, *extra):
    """``op.apply`` on operands already promoted, with PyTorch's broadcasting message."""
    try:
        return op.apply(x, y, *extra)
    except ValueError:
        check_broadcast(shape_of(x), shape_of(y))
        raise


def neg(input, *, out=None) -> Tensor:
    if out is not None:
        return write_out(out, neg(input), "neg", exact="Found dtype {got} but expected {want}")
    if input._data.dtype is _BOOL:
        raise RuntimeError(BOOL_NEGATION_ERROR)
    return Neg.apply(input)


negative = neg


def pow(input, exponent, *, out=None) -> Tensor:  # noqa: A001 - PyTorch's name
    """input ** exponent."""
    if out is not None:
        return write_out(out, pow(input, exponent), "pow")
    x, y, res = binary_operands(input, exponent)
    if res.kind in "iu" and (_data(y) < 0).any():
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if not isinstance(y, Tensor) and not isinstance(input, (int, float)):
        if y == 2 and isinstance(x, Tensor):
            return square(x)
    return _binary_op(Pow, x, y)


def float_power(input, exponent) -> Tensor:
    """input ** exponent in float64."""
    x = to_dtype(as_tensor_operand(input), D.float64) if isinstance(input, Tensor) else float(input)
    y = to_dtype(exponent, D.float64) if isinstance(exponent, Tensor) else float(exponent)
    return pow(x, y)


# -- unary functions ------------------------------------------------------------------------------


_float_input = float_input
_LN2, _LN10 = math.log(2.0), math.log(10.0)


class Exp(UnaryOp):
    """y = e^x;  dy/dx = y."""

    ufunc, saves_y, quiet = "exp", True, OVER

    @staticmethod
    def df(xp, g, y):
        return g * y


class Exp2(UnaryOp):
    """y = 2^x;  dy/dx = y ln 2."""

    ufunc, saves_y, quiet = "exp2", True, OVER

    @staticmethod
    def df(xp, g, y):
        return g * y * _LN2


class Expm1(UnaryOp):
    """y = e^x - 1;  dy/dx = y + 1."""

    ufunc, saves_y, quiet = "expm1", True, OVER

    @staticmethod
    def df(xp, g, y):
        return g * (y + 1)


class Log(UnaryOp):
    """y = ln x;  dy/dx = 1/x."""

    ufunc, quiet, quiet_grad = "log", POLES, POLES

    @staticmethod
    def df(xp, g, x):
        return g / x


class Log2(UnaryOp):
    """y = log2 x;  dy/dx = 1/(x ln 2)."""

    ufunc, quiet, quiet_grad = "log2", POLES, POLES

    @staticmethod
    def df(xp, g, x):
        return g / (x * _LN2)


class Log10(UnaryOp):
    """y = log10 x;  dy/dx = 1/(x ln 10)."""

    ufunc, quiet, quiet_grad = "log10", POLES, POLES

    @staticmethod
    def df(xp, g, x):
        return g / (x * _LN10)


class Log1p(UnaryOp):
    """y = ln(1 + x);  dy/dx = 1/(1 + x)."""

    ufunc, quiet, quiet_grad = "log1p", POLES, POLES

    @staticmethod
    def df(xp, g, x):
        return g / (x + 1)


class Sqrt(UnaryOp):
    """y = sqrt(x);  dy/dx = 1 / (2 y)."""

    ufunc, saves_y, quiet, quiet_grad = "sqrt", True, INVALID, POLES

    @staticmethod
    def df(xp, g, y):
        return g / (2 * y)


class Rsqrt(UnaryOp):
    """y = 1/sqrt(x);  dy/dx = -y^3 / 2."""

    saves_y, quiet = True, POLES

    @staticmethod
    def f(xp, x):
        return xp.reciprocal(xp.sqrt(x))

    @staticmethod
    def df(xp, g, y):
        return g * (-0.5) * y * y * y


class Square(UnaryOp):
    """y = x^2;  dy/dx = 2x."""

    ufunc, quiet = "square", OVER  # inf, like PyTorch, without NumPy's warning

    @staticmethod
    def df(xp, g, x):
        return g * 2 * x


class Reciprocal(UnaryOp):
    """y = 1/x;  dy/dx = -y^2."""

    ufunc, saves_y, quiet = "reciprocal", True, {"divide": "ignore"}

    @staticmethod
    def df(xp, g, y):
        return -g * y * y


class Sin(UnaryOp):
    """y = sin x;  dy/dx = cos x."""

    ufunc = "sin"

    @staticmethod
    def df(xp, g, x):
        return g * xp.cos(x)


class Cos(UnaryOp):
    """y = cos x;  dy/dx = -sin x."""

    ufunc = "cos"

    @staticmethod
    def df(xp, g, x):
        return -g * xp.sin(x)


class Tan(UnaryOp):
    """y = tan x;  dy/dx = 1 + y^2."""

    ufunc, saves_y = "tan", True

    @staticmethod
    def df(xp, g, y):
        return g * (1 + y * y)


class Tanh(UnaryOp):
    """y = tanh x;  dy/dx = 1 - y^2."""

    ufunc, saves_y = "tanh", True

    @staticmethod
    def df(xp, g, y):
        return g * (1 - y * y)


class Sigmoid(UnaryOp):
    """y = 1 / (1 + e^-x);  dy/dx = y (1 - y).

    Computed as e^min(x,0) / (1 + e^-|x|): no exponent is ever positive, so nothing overflows.
    """

    saves_y = True

    @staticmethod
    def f(xp, x):
        return stable_sigmoid(x)

    @staticmethod
    def df(xp, g, y):
        return g * y * (1 - y)


def stable_sigmoid(x):
    """The logistic function without overflow for any finite x."""
    xp = array_module(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1, e) / (1 + e)


class Relu(UnaryOp):
    """y = max(x, 0);  dy/dx = 1 where x > 0, else 0."""

    saves_y = True

    @staticmethod
    def f(xp, x):
        return xp.maximum(x, 0)

    @staticmethod
    def df(xp, g, y):
        # One masked multiply: the mask is the output's sign, no extra comparison array kept.
        return g * (_data(y) > 0)


class Abs(UnaryOp):
    """y = |x|;  dy/dx = sign(x) (0 at 0)."""

    ufunc = "abs"

    @staticmethod
    def df(xp, g, x):
        return g * xp.sign(_data(x))


class Erf(UnaryOp):
    """y = erf(x);  dy/dx = 2/sqrt(pi) e^(-x^2)."""

    @staticmethod
    def f(xp, x):
        return erf_array(x)

    @staticmethod
    def df(xp, g, x):
        return g * (2.0 / math.sqrt(math.pi)) * xp.exp(-(x * x))


def erf_array(x):
    """erf elementwise (NumPy has none): vectorised, see _specfun."""
    return _erf_fast(x if x.dtype.kind == "f" else x.astype(np.float64))


class Clamp(Op):
    """y = min(max(x, lo), hi);  dy/dx = 1 where lo <= x <= hi, else 0 (tensor bounds get the rest)."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = array_module(x, lo, hi)
        y = x
        if lo is not None:
            y = xp.maximum(y, lo)
        if hi is not None:
            y = xp.minimum(y, hi)
        ctx.save_for_backward(x, lo, hi)
        return y if y is not x else x.copy()

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        xd, lod, hid = _data(x), _data(lo), _data(hi)
        inside = array_module(xd).ones(xd.shape, dtype=bool)
        if lo is not None:
            inside = inside & (xd >= lod)
        if hi is not None:
            inside = inside & (xd <= hid)
        gx = g * inside
        glo = ghi = None
        need = ctx.needs_input_grad
        if need[1]:
            below = xd < lod
            if hi is not None:
                below = below & (lod <= hid)
            glo = g * below
        if need[2]:
            above = xd > hid
            if lo is not None:
                above = above | (lod > hid)
            ghi = g * above
        return gx, glo, ghi


def clamp(input: Tensor, min=None, max=None, *, out=None) -> Tensor:  # noqa: A002
    """Clamp every element into [min, max]."""
    if out is not None:
        return write_out(out, clamp(input, min, max), "clamp", exact=_SAME_DTYPE)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    operands = [input] + [m for m in (min, max) if m is not None]
    res = D.result_type(*operands)
    x = cast_operand(input, res)
    lo = cast_operand(min, res) if min is not None else None
    hi = cast_operand(max, res) if max is not None else None
    try:
        return Clamp.apply(x, lo, hi)
    except ValueError:  # NumPy's broadcasting failure, re-raised as PyTorch's
        check_broadcast(*(shape_of(v) for v in (x, lo, hi) if v is not None))
        raise


clip = clamp


def clamp_min(input: Tensor, min, *, out=None) -> Tensor:  # noqa: A002
    if out is not None:
        return write_out(out, clamp_min(input, min), "clamp_min", exact="Found dtype {got} but expected {want}")
    return clamp(input, min=min)


def clamp_max(input: Tensor, max, *, out=None) -> Tensor:  # noqa: A002
    if out is not None:
        return write_out(out, clamp_max(input, max), "clamp_max", exact="Found dtype {got} but expected {want}")
    return clamp(input, max=max)


class Maximum(BinaryOp):
    """y = max(a, b);  the gradient goes to the larger input, split evenly on ties; where either
    is NaN (no order) both inputs get it all, as in PyTorch."""

    ufunc, wins = "maximum", staticmethod(operator.gt)

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.saved_tensors
        ad, bd = _data(a), _data(b)
        tie = 0.5 * (ad == bd)
        return g * (1 - cls.wins(bd, ad) - tie), g * (1 - cls.wins(ad, bd) - tie)


class Minimum(Maximum):
    """y = min(a, b);  the gradient goes to the smaller input, split evenly on ties."""

    ufunc, wins = "minimum", staticmethod(operator.lt)


class Fmax(Maximum):
    """y = fmax(a, b), a NaN losing to a number;  dy/da = 1 where a >= b or b is NaN (ties all to a), else dy/db = 1."""

    ufunc, wins = "fmax", staticmethod(operator.ge)

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.saved_tensors
        ad, bd = _data(a), _data(b)
        wa = (cls.wins(ad, bd) | array_module(ad, bd).isnan(bd)) + 0.0
        return g * wa, g * (1 - wa)


class Fmin(Fmax):
    """y = fmin(a, b), a NaN losing to a number;  dy/da = 1 where a <= b or b is NaN, else dy/db = 1."""

    ufunc, wins = "fmin", staticmethod(operator.le)


def _elementwise_extremum(op):
    """``name(input, other, *, out=None)`` for maximum, minimum, fmax and fmin: two tensors, as torch requires."""
    name = op.ufunc

    def fn(input, other, *, out=None) -> Tensor:
        _require_tensors(name, input, other)
        if out is not None:
            return write_out(out, fn(input, other), name)
        return _binary(op, input, other)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = op.__doc__
    return fn


maximum, minimum, fmax, fmin = map(_elementwise_extremum, (Maximum, Minimum, Fmax, Fmin))


def _require_tensors(name, *xs):
    for x in xs:
        if not (isinstance(x, Tensor) or is_array(x)):
            raise TypeError(f"{name}(): argument 'other' must be Tensor, not {type(x).__name__}")


class Where(Op):
    """y = cond ? a : b;  dy/da = cond, dy/db = not cond."""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return array_module(cond, a, b).where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        c = _data(cond)
        xp = array_module(c, g)
        zero = xp.zeros((), dtype=_data(g).dtype)
        need = ctx.needs_input_grad
        return None, (xp.where(c, g, zero) if need[1] else None), (xp.where(c, zero, g) if need[2] else None)


def where(condition, input=None, other=None, *, out=None):
    """Elements of ``input`` where ``condition`` holds, else of ``other``. One argument: ``nonzero(as_tuple=True)``."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if out is not None:
        return write_out(out, where(condition, input, other), "where", exact="Expected out type to be {want} but got {got}")
    cond = condition._data if isinstance(condition, Tensor) else array_module(condition).asarray(condition)
    if cond.dtype is not _BOOL:
        if cond.dtype == np.uint8:
            cond = cond.astype(bool)
        else:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {type_name(D.from_numpy_dtype(cond.dtype))}")
    a, b = as_tensor_operand(input), as_tensor_operand(other)
    check_broadcast(cond.shape, shape_of(a), shape_of(b))
    res = D.result_type(a, b)
    if isinstance(condition, Tensor) and cond is condition._data:
        cond = condition  # the tensor itself, so a tracer sees which value the mask is
    return Where.apply(cond, cast_operand(a, res), cast_operand(b, res))


class Lerp(Op):
    """y = a + w (b - a);  dy/da = 1 - w, dy/db = w, dy/dw = b - a."""

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.save_for_backward(a, b, w)
        return as_array(array_module(a, b, w), a + w * (b - a))

    @staticmethod
    def backward(ctx, g):
        a, b, w = ctx.saved_tensors
        need_a, need_b, need_w = ctx.needs_input_grad
        return (g * (1 - w) if need_a else None), (g * w if need_b else None), (g * (b - a) if need_w else None)


def lerp(input: Tensor, end: Tensor, weight, *, out=None) -> Tensor:
    """input + weight * (end - input), one node."""
    if out is not None:
        return write_out(out, lerp(input, end, weight), "lerp")
    if input._data.dtype != end._data.dtype:
        raise RuntimeError(f"expected dtype {c_type_name(input.dtype)} for `end` but got dtype {c_type_name(end.dtype)}")
    check_broadcast(input._data.shape, end._data.shape, shape_of(weight))
    w = weight if isinstance(weight, Tensor) else input._data.dtype.type(weight)
    if isinstance(w, Tensor) and w._data.dtype != input._data.dtype:
        raise RuntimeError(f"expected dtype {c_type_name(input.dtype)} for `weight` but got dtype {c_type_name(w.dtype)}")
    return Lerp.apply(input, end, w)


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1, out=None) -> Tensor:
    """input + value * tensor1 * tensor2."""
    if out is not None:
        return write_out(out, addcmul(input, tensor1, tensor2, value=value), "addcmul")
    return add(input, mul(mul(tensor1, tensor2), value) if value != 1 else mul(tensor1, tensor2))


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1, out=None) -> Tensor:
    """input + value * tensor1 / tensor2."""
    if out is not None:
        return write_out(out, addcdiv(input, tensor1, tensor2, value=value), "addcdiv")
    return add(input, mul(div(tensor1, tensor2), value) if value != 1 else div(tensor1, tensor2))


exp, exp2, expm1 = map(unary_function, (Exp, Exp2, Expm1))
log, log2, log10, log1p = map(unary_function, (Log, Log2, Log10, Log1p))
sqrt, rsqrt, reciprocal = map(unary_function, (Sqrt, Rsqrt, Reciprocal))
sin, cos, tan, tanh, sigmoid, erf = map(unary_function, (Sin, Cos, Tan, Tanh, Sigmoid, Erf))


def square(input: Tensor, *, out=None) -> Tensor:
    """x ** 2 (keeps integer dtypes, like PyTorch; bool becomes int64 as in pow(x, 2))."""
    if out is not None:
        return write_out(out, square(input), "square")
    if input._data.dtype.kind == "b":
        input = _wrap(input._data.astype(np.int64))
    return Square.apply(input)


def relu(input: Tensor) -> Tensor:
    """max(x, 0)."""
    if input._data.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    return Relu.apply(input)


def abs(input: Tensor, *, out=None) -> Tensor:  # noqa: A001
    _refuse_bool(input, "abs_cpu")
    if out is not None:
        return write_out(out, abs(input), "abs", exact=_SAME_DTYPE)
    return Abs.apply(input)


def _refuse_bool(input: Tensor, kernel: str, ints: bool = False) -> None:
    """PyTorch has no bool (or, with ``ints``, no integer) kernel for some ops."""
    kind = input._data.dtype.kind
    if kind == "b" or (ints and kind in "iu"):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(input.dtype)}\'')


absolute = abs




def _no_grad_unary(array_fn, name, bool_kernel=None):
    """Piecewise-constant functions: zero gradient almost everywhere, like PyTorch's."""

    def fn(input: Tensor, *, out=None) -> Tensor:
        if bool_kernel is not None:
            _refuse_bool(input, bool_kernel)
        if out is not None:
            return write_out(out, fn(input), name, exact=_SAME_DTYPE)
        return _ZeroGrad.apply(input, array_fn)

    fn.__name__ = name
    fn.__doc__ = f"{name} elementwise; its gradient is zero almost everywhere."
    return fn


class _ZeroGrad(Op):
    """y = step function of x;  dy/dx = 0."""

    _node_name = "ZeroGradBackward0"

    @staticmethod
    def forward(ctx, x, fn):
        return fn(array_module(x), x)

    @staticmethod
    def backward(ctx, g):
        return g * 0, None


def _sign(xp, a):
    if a.dtype is _BOOL:
        return a.copy()  # NumPy has no bool sign; PyTorch keeps bool
    s = xp.sign(a)
    if s.dtype.kind == "f":
        s = xp.where(xp.isnan(s), s.dtype.type(0), s)  # PyTorch's sign(NaN) is 0
    return s


sign = _no_grad_unary(_sign, "sign")
floor = _no_grad_unary(lambda xp, a: xp.floor(a), "floor", "floor_vml_cpu")
ceil = _no_grad_unary(lambda xp, a: xp.ceil(a), "ceil", "ceil_vml_cpu")
trunc = _no_grad_unary(lambda xp, a: xp.trunc(a), "trunc", "trunc_vml_cpu")
fix = trunc


def round(input: Tensor, *, decimals: int = 0, out=None) -> Tensor:  # noqa: A001
    """Round half to even, like PyTorch."""
    if out is not None:
        return write_out(out, round(input, decimals=decimals), "round", exact="Found dtype {got} but expected {want}")
    _refuse_bool(input, "round_vml_cpu")
    return _ZeroGrad.apply(input, lambda xp, a: xp.round(a, decimals))


def frac(input: Tensor, *, out=None) -> Tensor:
    """x - trunc(x);  gradient 1 (floating tensors only, like PyTorch)."""
    if out is not None:
        return write_out(out, frac(input), "frac", exact="Found dtype {got} but expected {want}")
    _refuse_bool(input, "frac_cpu", ints=True)
    return sub(input, trunc(input).detach())


def sgn(input: Tensor) -> Tensor:
    return sign(input)


def nan_to_num(input: Tensor, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
    """Replace NaN and infinities by finite numbers (gradient passes where finite)."""
    d = input._data
    if d.dtype.kind != "f":
        return _wrap(d.copy())
    info = np.finfo(d.dtype)
    xp = array_module(d)
    fixed = xp.nan_to_num(d, nan=nan, posinf=info.max if posinf is None else posinf, neginf=info.min if neginf is None else neginf)
    if input._requires_grad:
        return where(_wrap(xp.isfinite(d)), input, _wrap(fixed))
    return _wrap(fixed)


# -- comparisons and logic (never differentiable) ---------------------------------------------------


def _wrap_int_scalar(input, other):
    """The Python int operand taken modulo the other operand's integer dtype (two's complement)."""
    t = input if isinstance(input, Tensor) else other
    wrap = (lambda v: int(np.int64(v).astype(t._data.dtype)) if type(v) is int else v)  # noqa: E731
    return wrap(input), wrap(other)


def _compare(ufunc, name):
    def fn(input, other, *, out=None) -> Tensor:
        if out is not None:
            return write_out(out, fn(input, other), fn.__name__)
        try:
            x, y, _ = binary_operands(input, other)
        except OverflowError:  # an int scalar outside an integer tensor's range: PyTorch compares it wrapped
            x, y, _ = binary_operands(*_wrap_int_scalar(input, other))
        a, b = _data(x), _data(y)
        xp = array_module(a, b)
        try:
            return emit(name, (input, other), xp.asarray(getattr(xp, ufunc)(a, b)))
        except ValueError:
            check_broadcast(shape_of(x), shape_of(y))
            raise

    fn.__name__ = ufunc
    return fn


eq, ne = _compare("equal", "eq"), _compare("not_equal", "ne")
lt, le = _compare("less", "lt"), _compare("less_equal", "le")
gt, ge = _compare("greater", "gt"), _compare("greater_equal", "ge")
less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne


def _logical(name):
    def fn(input, other=None, *, out=None) -> Tensor:
        if out is not None:
            return write_out(out, fn(input, other), fn.__name__)
        if other is None:
            d = _data(input)
            return emit(name, (input,), getattr(array_module(d), name)(d))
        a, b = _data(as_tensor_operand(input)), _data(as_tensor_operand(other))
        try:
            return emit(name, (input, other), getattr(array_module(a, b), name)(a, b))
        except ValueError:
            check_broadcast(shape_of(a), shape_of(b))
            raise

    fn.__name__ = name
    return fn


logical_and, logical_or, logical_xor = _logical("logical_and"), _logical("logical_or"), _logical("logical_xor")


def logical_not(input: Tensor, *, out=None) -> Tensor:
    if out is not None:
        return write_out(out, logical_not(input), "logical_not")
    return emit("logical_not", (input,), array_module(input._data).logical_not(input._data))


def invert_operator(input: Tensor) -> Tensor:
    """``~x``: PyTorch refuses floats with a TypeError here (``bitwise_not`` raises NotImplementedError)."""
    if input._data.dtype.kind == "f":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(input)


def _predicate(name):
    """``name(input)``: the array module's elementwise test of the same name, never differentiable."""

    def fn(input: Tensor) -> Tensor:
        d = input._data
        return emit(name, (input,), getattr(array_module(d), name)(d))

    fn.__name__ = fn.__qualname__ = name
    return fn


isnan, isinf, isposinf, isneginf, isfinite = map(_predicate, ("isnan", "isinf", "isposinf", "isneginf", "isfinite"))
signbit = _predicate("signbit")


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol * |other|, elementwise."""
    for tol_name, tol in (("rtol", rtol), ("atol", atol)):
        if tol < 0:
            raise RuntimeError(f"{tol_name} must be greater than or equal to zero, but got {tol}")
    if isinstance(other, Tensor) and input._data.dtype != other._data.dtype:
        raise RuntimeError(f"{type_name(input.dtype)} did not match {type_name(other.dtype)}")
    if isinstance(other, Tensor):
        check_broadcast(input._data.shape, other._data.shape)
    close = array_module(input._data).isclose(input._data, _data(other), rtol=rtol, atol=atol, equal_nan=equal_nan)
    return emit("isclose", (input, other), close)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both have the same shape and elements."""
    return input._data.shape == other._data.shape and bool(array_module(input._data).array_equal(input._data, other._data))


_INTERNAL = {'erf_array', 'stable_sigmoid', 'to_dtype', 'invert_operator'}  # array-level helpers other op modules use; not PyTorch names
__all__ = [
    _n for _n, _v in list(globals().items())
    if not _n.startswith("_") and _n not in _INTERNAL and callable(_v) and not isinstance(_v, type)
    and getattr(_v, "__module__", None) == __name__
]
