"""Trigonometric, hyperbolic and special functions: asin ... atanh, atan2, hypot, copysign,
logaddexp, xlogy, logit, sinc, erfc, erfinv, lgamma, digamma, polygamma, i0, heaviside, nextafter.

Each Op's docstring states the derivative. Backward code calls ``_fn`` helpers that take arrays
or (under create_graph) Tensors, so one derivative serves first and higher orders.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._backend import array_module, errstate
from .._tensor import Tensor, _wrap_dim
from .._tensor import data_of as _d
from ..autograd.function import Op
from . import _specfun as SF
from . import pointwise as P
from ._out import supports_out
from ._unary import INVALID, OVER, POLES, BinaryOp, UnaryOp, as_array, float_input, unary_function
from ._common import as_tensor_operand, binary_operands, check_broadcast, first_order_only, shape_of, type_name

_wrap = Tensor._wrap


def _cosh(x):
    """cosh of an array, or (under create_graph) the differentiable ember op."""
    return cosh(x) if isinstance(x, Tensor) else array_module(x).cosh(x)


def _sinh(x):
    return sinh(x) if isinstance(x, Tensor) else array_module(x).sinh(x)


def _digamma(x):
    return digamma(x) if isinstance(x, Tensor) else SF.digamma(x)


def _sigmoid(x):
    return P.sigmoid(x) if isinstance(x, Tensor) else P.stable_sigmoid(x)


def _where(mask, a, b):
    """where(mask, a, b) on arrays, or (under create_graph) differentiable in a and b."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return P.where(_wrap(mask), a, b)
    return array_module(mask, a, b).where(mask, a, b)


_float = float_input


# -- inverse trigonometric and hyperbolic ---------------------------------------------------------------


class Asin(UnaryOp):
    """y = asin x;  dy/dx = 1 / sqrt(1 - x^2)."""

    ufunc, quiet, quiet_grad = "arcsin", INVALID, POLES

    @staticmethod
    def df(xp, g, x):
        return g / xp.sqrt(1 - x * x)


class Acos(UnaryOp):
    """y = acos x;  dy/dx = -1 / sqrt(1 - x^2)."""

    ufunc, quiet, quiet_grad = "arccos", INVALID, POLES

    @staticmethod
    def df(xp, g, x):
        return -g / xp.sqrt(1 - x * x)


class Atan(UnaryOp):
    """y = atan x;  dy/dx = 1 / (1 + x^2)."""

    ufunc = "arctan"

    @staticmethod
    def df(xp, g, x):
        return g / (1 + x * x)


class Asinh(UnaryOp):
    """y = asinh x;  dy/dx = 1 / sqrt(x^2 + 1)."""

    ufunc = "arcsinh"

    @staticmethod
    def df(xp, g, x):
        return g / xp.sqrt(x * x + 1)


class Acosh(UnaryOp):
    """y = acosh x;  dy/dx = 1 / sqrt((x - 1)(x + 1))."""

    ufunc, quiet, quiet_grad = "arccosh", INVALID, POLES

    @staticmethod
    def df(xp, g, x):
        return g / xp.sqrt((x - 1) * (x + 1))


class Atanh(UnaryOp):
    """y = atanh x;  dy/dx = 1 / (1 - x^2)."""

    ufunc, quiet, quiet_grad = "arctanh", POLES, {"divide": "ignore"}

    @staticmethod
    def df(xp, g, x):
        return g / (1 - x * x)


class Sinh(UnaryOp):
    """y = sinh x;  dy/dx = cosh x."""

    ufunc, quiet, quiet_grad = "sinh", OVER, OVER

    @staticmethod
    def df(xp, g, x):
        return g * _cosh(x)


class Cosh(UnaryOp):
    """y = cosh x;  dy/dx = sinh x."""

    ufunc, quiet, quiet_grad = "cosh", OVER, OVER

    @staticmethod
    def df(xp, g, x):
        return g * _sinh(x)


asin, acos, atan, asinh, acosh, atanh = map(unary_function, (Asin, Acos, Atan, Asinh, Acosh, Atanh))
sinh, cosh = unary_function(Sinh), unary_function(Cosh)
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


class Deg2Rad(Op):
    """y = x pi / 180;  dy/dx = pi / 180."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * x.dtype.type(k)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.k, None


def deg2rad(input: Tensor) -> Tensor:
    """Degrees to radians."""
    return Deg2Rad.apply(_float(input), math.pi / 180)


def rad2deg(input: Tensor) -> Tensor:
    """Radians to degrees."""
    return Deg2Rad.apply(_float(input), 180 / math.pi)


class Sinc(UnaryOp):
    """y = sin(pi x) / (pi x), 1 at 0;  dy/dx = (cos(pi x) - y) / x, 0 at 0."""

    quiet = POLES

    @staticmethod
    def f(xp, x):
        px = x * math.pi
        return xp.where(x == 0, 1.0, xp.sin(px) / px).astype(x.dtype, copy=False)

    @staticmethod
    def df(xp, g, x):
        zero = _d(x) == 0
        safe = _where(zero, 1.0, x)
        px = safe * math.pi
        return g * _where(zero, 0.0, (xp.cos(px) * px - xp.sin(px)) / (px * safe))


sinc = unary_function(Sinc)


# -- error and gamma functions ----------------------------------------------------------------------------


class Erfc(UnaryOp):
    """y = erfc x = 1 - erf x;  dy/dx = -2/sqrt(pi) e^(-x^2)."""

    @staticmethod
    def f(xp, x):
        return SF.erfc(x)

    @staticmethod
    def df(xp, g, x):
        return g * (-2.0 / math.sqrt(math.pi)) * xp.exp(-(x * x))


class Erfinv(UnaryOp):
    """y = erfinv x;  dy/dx = sqrt(pi)/2 e^(y^2)."""

    saves_y, quiet_grad = True, OVER

    @staticmethod
    def f(xp, x):
        return SF.erfinv(x)

    @staticmethod
    def df(xp, g, y):
        return g * (math.sqrt(math.pi) / 2) * xp.exp(y * y)


class Lgamma(UnaryOp):
    """y = ln |Gamma(x)|;  dy/dx = digamma(x)."""

    @staticmethod
    def f(xp, x):
        return SF.lgamma(x)

    @staticmethod
    def df(xp, g, x):
        return g * _digamma(x)


class Polygamma(Op):
    """y = psi^(n)(x) (n = 0: digamma);  dy/dx = psi^(n+1)(x)."""

    @staticmethod
    def forward(ctx, x, n):
        ctx.n = n
        ctx.save_for_backward(x)
        return SF.polygamma(n, x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        d = polygamma(ctx.n + 1, x) if isinstance(x, Tensor) else SF.polygamma(ctx.n + 1, x)
        return g * d, None


class I0(UnaryOp):
    """y = I0(x);  dy/dx = I1(x) = sum (x/2)^(2k+1) / (k! (k+1)!)  (evaluated as d/dx of the series)."""

    @staticmethod
    def f(xp, x):
        return SF.i0(x)

    @staticmethod
    def df(xp, g, x):
        first_order_only("i0", x)
        return g * SF.i1(x)


erfc, erfinv, lgamma, i0 = map(unary_function, (Erfc, Erfinv, Lgamma, I0))


@supports_out("digamma")
def digamma(input: Tensor, *, out=None) -> Tensor:
    """psi(x) = d/dx ln Gamma(x)."""
    return Polygamma.apply(_float(input), 0)


@supports_out("polygamma")
def polygamma(n: int, input: Tensor, *, out=None) -> Tensor:
    """The n-th derivative of the digamma function."""
    if int(n) != n or n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return Polygamma.apply(_float(input), int(n))


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """Multivariate log-gamma: sum_{i<p} lgamma(x - i/2) + p(p-1)/4 ln pi."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = _float(input)
    if bool((x._data <= (p - 1) / 2).any()):
        raise RuntimeError("All elements must be greater than (p-1)/2")
    total = lgamma(x)
    for i in range(1, p):
        total = total + lgamma(x - i / 2)
    return total + p * (p - 1) / 4 * math.log(math.pi)


# -- logit ----------------------------------------------------------------------------------------------------


class Logit(Op):
    """y = ln(x / (1 - x)) of x clamped to [eps, 1 - eps];  dy/dx = 1 / (x (1 - x)), 0 outside the clamp."""

    @staticmethod
    def forward(ctx, x, eps):
        ctx.eps = eps
        ctx.save_for_backward(x)
        xp = array_module(x)
        z = x if eps is None else xp.clip(x, eps, 1 - eps)
        with errstate(xp, **POLES):
            return xp.log(z / (1 - z))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with errstate(array_module(g, x), **POLES):
            d = g / (x * (1 - x))
        if ctx.eps is None:
            return d, None
        xd = _d(x)
        outside = (xd < ctx.eps) | (xd > 1 - ctx.eps)
        return _where(outside, 0.0, d), None


def logit(input: Tensor, eps=None) -> Tensor:
    """log(p / (1 - p)); with ``eps``, p is first clamped to [eps, 1 - eps]."""
    x = _float(input)
    return Logit.apply(x, None if eps is None else x._data.dtype.type(eps))


# -- binary --------------------------------------------------------------------------------------------------


def _binary(op, a, b, name, ints=True, bools=True, float_result=True):
    x, y, res = binary_operands(a, b, float_result=float_result)
    kind = np.dtype(res).kind
    if (not ints and kind in "iu") or (not bools and kind == "b"):
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{type_name(D.from_numpy_dtype(res))}\'')
    try:
        return op.apply(x, y)
    except ValueError:
        check_broadcast(shape_of(x), shape_of(y))
        raise


class Atan2(BinaryOp):
    """y = atan2(a, b);  dy/da = b / (a^2 + b^2), dy/db = -a / (a^2 + b^2)."""

    ufunc = "arctan2"

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        with errstate(array_module(g, a, b), **POLES):
            r = g / (a * a + b * b)
        return (r * b if need_a else None), (-r * a if need_b else None)


class Hypot(Op):
    """y = sqrt(a^2 + b^2);  dy/da = a / y, dy/db = b / y."""

    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a, b)
        y = as_array(xp, xp.hypot(a, b))
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        with errstate(array_module(g, y), **POLES):
            r = g / y
        return (r * a if need_a else None), (r * b if need_b else None)


class Copysign(Op):
    """y = |a| sign(b);  dy/da = y / a (0 where a = 0), dy/db = 0."""

    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a, b)
        y = as_array(xp, xp.copysign(a, b))
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = None
        if need_a:
            ad = _d(a)
            xp = array_module(ad)
            ratio = xp.where(ad == 0, 0.0, xp.sign(_d(y)) * xp.sign(ad)).astype(ad.dtype, copy=False)
            ga = g * ratio
        return ga, (g * 0 if need_b else None)


class LogAddExp(BinaryOp):
    """y = ln(e^a + e^b);  dy/da = 1 / (1 + e^(b - a)), dy/db = 1 / (1 + e^(a - b))."""

    ufunc, ln_base = "logaddexp", None

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        with errstate(array_module(g, a, b), **INVALID):
            s = _sigmoid(a - b if cls.ln_base is None else (a - b) * cls.ln_base)
        return (g * s if need_a else None), (g * (1 - s) if need_b else None)


class LogAddExp2(LogAddExp):
    """y = log2(2^a + 2^b);  dy/da = 1 / (1 + 2^(b - a)), dy/db = 1 / (1 + 2^(a - b))."""

    ufunc, ln_base = "logaddexp2", math.log(2.0)


class Xlogy(Op):
    """y = a ln b (a ln(1 + b) for xlog1py), 0 where a = 0 and b is not NaN;
    dy/da = ln b (0 where a = 0 and b <= 0), dy/db = a / b."""

    @staticmethod
    def forward(ctx, a, b, log1p):
        ctx.log1p = log1p
        ctx.save_for_backward(a, b)
        xp = array_module(a, b)
        with errstate(xp, **POLES):
            lb = xp.log1p(b) if log1p else xp.log(b)
            y = xp.where((a == 0) & ~xp.isnan(b), xp.zeros((), lb.dtype), a * lb)
            return as_array(xp, y.astype(np.result_type(a, b), copy=False))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad[:2]
        ga = gb = None
        bound = -1.0 if ctx.log1p else 0.0
        xp = array_module(g, a, b)
        with errstate(xp, **POLES):
            if need_a:
                lb = xp.log1p(b) if ctx.log1p else xp.log(b)
                ga = g * lb
                mask = (_d(a) == 0) & (_d(b) <= bound)
                if mask.any():
                    ga = _where(mask, 0.0, ga)
            if need_b:
                gb = g * a / (b + 1 if ctx.log1p else b)
        return ga, gb, None


class _NoGrad(Op):
    """y = a step function of its inputs; PyTorch defines no derivative (it raises on backward)."""

    @staticmethod
    def forward(ctx, a, b, fn, name):
        ctx.name = name
        xp = array_module(a, b)
        return as_array(xp, fn(xp, a, b))

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(f"the derivative for '{ctx.name}' is not implemented.")


@supports_out("atan2")
def atan2(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Elementwise arctangent of input / other, in the quadrant of (other, input)."""
    return _binary(Atan2, input, other, "atan2")


arctan2 = atan2


@supports_out("hypot")
def hypot(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """sqrt(input^2 + other^2) without overflow."""
    return _binary(Hypot, input, other, "hypot", ints=False, bools=False, float_result=False)


@supports_out("copysign")
def copysign(input, other, *, out=None) -> Tensor:
    """|input| with the sign of other (the sign bit: -0.0 counts as negative)."""
    return _binary(Copysign, input, other, "copysign")


@supports_out("logaddexp")
def logaddexp(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """ln(e^input + e^other), without overflow."""
    return _binary(LogAddExp, input, other, "logaddexp", ints=False, bools=False, float_result=False)


@supports_out("logaddexp2")
def logaddexp2(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """log2(2^input + 2^other), without overflow."""
    return _binary(LogAddExp2, input, other, "logaddexp2", ints=False, bools=False, float_result=False)


def _xlogy(input, other, log1p):
    x, y, _ = binary_operands(input, other, float_result=True)
    try:
        return Xlogy.apply(x, y, log1p)
    except ValueError:
        check_broadcast(shape_of(x), shape_of(y))
        raise


@supports_out("xlogy")
def xlogy(input, other, *, out=None) -> Tensor:
    """input * log(other), 0 where input is 0 (unless other is NaN)."""
    return _xlogy(input, other, False)


@supports_out("xlog1py")
def xlog1py(input, other, *, out=None) -> Tensor:
    """input * log1p(other), 0 where input is 0 (unless other is NaN)."""
    return _xlogy(input, other, True)


@supports_out("heaviside")
def heaviside(input: Tensor, values: Tensor, *, out=None) -> Tensor:
    """0 where input < 0, 1 where input > 0, ``values`` where input == 0."""
    values = as_tensor_operand(values)
    if not isinstance(values, Tensor):
        raise TypeError(f"heaviside(): argument 'values' must be Tensor, not {type(values).__name__}")
    if input._data.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    check_broadcast(input._data.shape, values._data.shape)

    def step(xp, a, v):
        return xp.where(a == 0, v, (a > 0)).astype(a.dtype, copy=False)

    return _NoGrad.apply(input, values, step, "heaviside")


@supports_out("nextafter")
def nextafter(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """The next floating-point value after input towards other."""
    x, y, res = binary_operands(input, other)
    if np.dtype(res).kind != "f":
        raise NotImplementedError(f'"nextafter_cpu" not implemented for \'{type_name(D.from_numpy_dtype(res))}\'')
    check_broadcast(shape_of(x), shape_of(y))
    return _NoGrad.apply(x, y, lambda xp, a, b: xp.nextafter(a, b), "nextafter")


# -- cumulative log-sum-exp ------------------------------------------------------------------------------------


class LogCumSumExp(Op):
    """y_i = ln sum_{j<=i} e^(x_j);  dx_i = sum_{j>=i} g_j e^(x_i - y_j), by the backward recurrence
    r_i = g_i + e^(y_i - y_(i+1)) r_(i+1), dx_i = e^(x_i - y_i) r_i (every exponent <= 0)."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        xp = array_module(x)
        y = as_array(xp, xp.logaddexp.accumulate(x, axis=axis)) if x.ndim else x.copy()
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        first_order_only("logcumsumexp", x)
        if x.ndim == 0:
            return g, None
        ax = ctx.axis
        xp = array_module(g, x, y)
        gm, ym, xm = xp.moveaxis(g, ax, 0), xp.moveaxis(y, ax, 0), xp.moveaxis(x, ax, 0)
        r = xp.empty_like(gm)
        n = gm.shape[0]
        with errstate(xp, invalid="ignore", over="ignore"):
            if n:
                r[n - 1] = gm[n - 1]
            for i in range(n - 2, -1, -1):
                step = xp.exp(ym[i] - ym[i + 1])
                r[i] = gm[i] + xp.where(xp.isneginf(ym[i]), 0.0, step) * r[i + 1]
            dx = xp.where(xp.isneginf(xm), 0.0, xp.exp(xm - ym) * r)
        return xp.moveaxis(dx, 0, ax), None


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """ln of the cumulative sum of exp(input) along ``dim``, without overflow."""
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for \'{type_name(input.dtype)}\'')
    axis = _wrap_dim(dim, max(input._data.ndim, 1))
    return LogCumSumExp.apply(input, axis)


__all__ = [
    _n for _n, _v in list(globals().items())
    if not _n.startswith("_") and callable(_v) and not isinstance(_v, type)
    and getattr(_v, "__module__", None) == __name__ and _n not in ("Tensor",)
] + ["arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "arctan2"]
