"""Trigonometric, hyperbolic and special functions: asin ... atanh, atan2, hypot, copysign,
logaddexp, xlogy, logit, sinc, erfc, erfinv, lgamma, digamma, polygamma, i0, heaviside, nextafter.

Each Op's docstring states the derivative. Backward code calls ``_fn`` helpers that take arrays
or (under create_graph) Tensors, so one derivative serves first and higher orders.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from .._tensor import data_of as _d
from ..autograd.function import Op
from . import _specfun as SF
from . import pointwise as P
from ._out import supports_out, write_out
from ._common import as_tensor_operand, binary_operands, check_broadcast, shape_of, type_name

_wrap = Tensor._wrap


def _either(array_fn, name):
    """An elementwise function of an array, or (under create_graph) the differentiable ember op."""

    def fn(x):
        if isinstance(x, Tensor):
            return globals()[name](x)
        return array_fn(x)

    return fn


_sqrt = _either(np.sqrt, "_sqrt_t")
_sqrt_t = P.sqrt
_cosh = _either(np.cosh, "cosh")
_sinh = _either(np.sinh, "sinh")
_exp = _either(np.exp, "_exp_t")
_exp_t = P.exp
_log = _either(np.log, "_log_t")
_log_t = P.log
_log1p = _either(np.log1p, "_log1p_t")
_log1p_t = P.log1p
_sin = _either(np.sin, "_sin_t")
_sin_t = P.sin
_cos = _either(np.cos, "_cos_t")
_cos_t = P.cos
_digamma = _either(SF.digamma, "digamma")
_sigmoid = _either(P.stable_sigmoid, "_sigmoid_t")
_sigmoid_t = P.sigmoid


def _float(x: Tensor) -> Tensor:
    """Integer and bool tensors are promoted to the default float dtype (PyTorch's unary float ops)."""
    return x if x._data.dtype.kind == "f" else _wrap(x._data.astype(D.get_default_dtype().np))


def _unary(op, name):
    def fn(input: Tensor, *, out=None) -> Tensor:
        if out is not None:
            return write_out(out, op.apply(_float(input)), name, input)
        return op.apply(_float(input))

    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = op.__doc__
    return fn


# -- inverse trigonometric and hyperbolic ---------------------------------------------------------------


class Asin(Op):
    """y = asin x;  dy/dx = 1 / sqrt(1 - x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return np.arcsin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return g / _sqrt(1 - x * x)


class Acos(Op):
    """y = acos x;  dy/dx = -1 / sqrt(1 - x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return np.arccos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return -g / _sqrt(1 - x * x)


class Atan(Op):
    """y = atan x;  dy/dx = 1 / (1 + x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + x * x)


class Asinh(Op):
    """y = asinh x;  dy/dx = 1 / sqrt(x^2 + 1)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsinh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / _sqrt(x * x + 1)


class Acosh(Op):
    """y = acosh x;  dy/dx = 1 / sqrt((x - 1)(x + 1))."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return np.arccosh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return g / _sqrt((x - 1) * (x + 1))


class Atanh(Op):
    """y = atanh x;  dy/dx = 1 / (1 - x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.arctanh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (1 - x * x)


class Sinh(Op):
    """y = sinh x;  dy/dx = cosh x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(over="ignore"):
            return np.sinh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(over="ignore"):
            return g * _cosh(x)


class Cosh(Op):
    """y = cosh x;  dy/dx = sinh x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(over="ignore"):
            return np.cosh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(over="ignore"):
            return g * _sinh(x)


asin, acos, atan = _unary(Asin, "asin"), _unary(Acos, "acos"), _unary(Atan, "atan")
asinh, acosh, atanh = _unary(Asinh, "asinh"), _unary(Acosh, "acosh"), _unary(Atanh, "atanh")
sinh, cosh = _unary(Sinh, "sinh"), _unary(Cosh, "cosh")
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


class Sinc(Op):
    """y = sin(pi x) / (pi x), 1 at 0;  dy/dx = (cos(pi x) - y) / x, 0 at 0."""

    @staticmethod
    def forward(ctx, x):
        px = x * math.pi
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.where(x == 0, 1.0, np.sin(px) / px).astype(x.dtype, copy=False)
        ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        zero = _d(x) == 0
        safe = P.where(_wrap(zero), 1.0, x) if isinstance(x, Tensor) else np.where(zero, 1.0, x)
        px = safe * math.pi
        d = (_cos(px) * px - _sin(px)) / (px * safe)
        return g * (P.where(_wrap(zero), 0.0, d) if isinstance(d, Tensor) else np.where(zero, 0.0, d))


sinc = _unary(Sinc, "sinc")


# -- error and gamma functions ----------------------------------------------------------------------------


class Erfc(Op):
    """y = erfc x = 1 - erf x;  dy/dx = -2/sqrt(pi) e^(-x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return SF.erfc(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (-2.0 / math.sqrt(math.pi)) * _exp(-(x * x))


class Erfinv(Op):
    """y = erfinv x;  dy/dx = sqrt(pi)/2 e^(y^2)."""

    @staticmethod
    def forward(ctx, x):
        y = P._nd(SF.erfinv(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        with np.errstate(over="ignore"):
            return g * (math.sqrt(math.pi) / 2) * _exp(y * y)


class Lgamma(Op):
    """y = ln |Gamma(x)|;  dy/dx = digamma(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return SF.lgamma(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
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


class I0(Op):
    """y = I0(x);  dy/dx = I1(x) = sum (x/2)^(2k+1) / (k! (k+1)!)  (evaluated as d/dx of the series)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return SF.i0(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if isinstance(x, Tensor):
            raise RuntimeError("i0: second-order gradients are not implemented in ember")
        return g * _i1(x)


def _i1(x: np.ndarray) -> np.ndarray:
    """Modified Bessel I1 (the derivative of I0): series below |x| = 20, asymptotic expansion above."""
    w = np.asarray(x, dtype=np.float64)
    a = np.abs(w)
    s = np.minimum(a, 20.0)
    q = 0.25 * s * s
    term = 0.5 * s
    total = term.copy()
    for k in range(1, 60):
        term = term * q / (k * (k + 1))
        total += term
    b = np.maximum(a, 20.0)
    t = 1.0 / (8.0 * b)
    series = np.ones_like(b)
    term = np.ones_like(b)
    for k in range(1, 25):  # e^x/sqrt(2 pi x) sum_k (-1)^k prod_j (4 - (2j-1)^2) / (k! (8x)^k)
        term = term * -(4 - (2 * k - 1) ** 2) * t / k
        series += term
    with np.errstate(over="ignore", invalid="ignore"):
        big = np.exp(b) / np.sqrt(2 * math.pi * b) * series
    return np.copysign(np.where(a < 20.0, total, big), w).astype(x.dtype, copy=False)


@supports_out("erfc")
def erfc(input: Tensor, *, out=None) -> Tensor:
    """1 - erf(x), accurate for large x (no cancellation)."""
    if out is not None:
        return write_out(out, erfc(input), "erfc")
    return _unary(Erfc, "erfc")(input)


erfinv, lgamma, i0 = _unary(Erfinv, "erfinv"), _unary(Lgamma, "lgamma"), _unary(I0, "i0")


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
    if bool(np.any(x._data <= (p - 1) / 2)):
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
        z = x if eps is None else np.clip(x, eps, 1 - eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(z / (1 - z))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            d = g / (x * (1 - x))
        if ctx.eps is None:
            return d, None
        xd = _d(x)
        outside = (xd < ctx.eps) | (xd > 1 - ctx.eps)
        return (P.where(_wrap(outside), 0.0, d) if isinstance(d, Tensor) else np.where(outside, 0.0, d)), None


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


class Atan2(Op):
    """y = atan2(a, b);  dy/da = b / (a^2 + b^2), dy/db = -a / (a^2 + b^2)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            r = g / (a * a + b * b)
        return (r * b if need_a else None), (-r * a if need_b else None)


class Hypot(Op):
    """y = sqrt(a^2 + b^2);  dy/da = a / y, dy/db = b / y."""

    @staticmethod
    def forward(ctx, a, b):
        y = P._nd(np.hypot(a, b))
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            r = g / y
        return (r * a if need_a else None), (r * b if need_b else None)


class Copysign(Op):
    """y = |a| sign(b);  dy/da = y / a (0 where a = 0), dy/db = 0."""

    @staticmethod
    def forward(ctx, a, b):
        y = P._nd(np.copysign(a, b))
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = None
        if need_a:
            ad = _d(a)
            ratio = np.where(ad == 0, 0.0, np.sign(_d(y)) * np.sign(ad)).astype(ad.dtype, copy=False)
            ga = g * ratio
        return ga, (g * 0 if need_b else None)


class LogAddExp(Op):
    """y = ln(e^a + e^b) (base 2 when ``base2``);  dy/da = 1 / (1 + e^(b - a)), dy/db = 1 / (1 + e^(a - b))."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.logaddexp(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        with np.errstate(invalid="ignore"):
            s = _sigmoid(a - b)
        return (g * s if need_a else None), (g * (1 - s) if need_b else None)


class LogAddExp2(Op):
    """y = log2(2^a + 2^b);  dy/da = 1 / (1 + 2^(b - a)), dy/db = 1 / (1 + 2^(a - b))."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.logaddexp2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        with np.errstate(invalid="ignore"):
            s = _sigmoid((a - b) * math.log(2.0))
        return (g * s if need_a else None), (g * (1 - s) if need_b else None)


class Xlogy(Op):
    """y = a ln b (a ln(1 + b) for xlog1py), 0 where a = 0 and b is not NaN;
    dy/da = ln b (0 where a = 0 and b <= 0), dy/db = a / b."""

    @staticmethod
    def forward(ctx, a, b, log1p):
        ctx.log1p = log1p
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            lb = np.log1p(b) if log1p else np.log(b)
            return P._nd(np.where((a == 0) & ~np.isnan(b), np.zeros((), lb.dtype), a * lb).astype(np.result_type(a, b), copy=False))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad[:2]
        ga = gb = None
        bound = -1.0 if ctx.log1p else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            if need_a:
                lb = _log1p(b) if ctx.log1p else _log(b)
                ga = g * lb
                mask = (_d(a) == 0) & (_d(b) <= bound)
                if np.any(mask):
                    ga = P.where(_wrap(mask), 0.0, ga) if isinstance(ga, Tensor) else np.where(mask, 0.0, ga)
            if need_b:
                gb = g * a / (b + 1 if ctx.log1p else b)
        return ga, gb, None


class _NoGrad(Op):
    """y = a step function of its inputs; PyTorch defines no derivative (it raises on backward)."""

    @staticmethod
    def forward(ctx, a, b, fn, name):
        ctx.name = name
        return P._nd(fn(a, b))

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

    def step(a, v):
        return np.where(a == 0, v, (a > 0)).astype(a.dtype, copy=False)

    return _NoGrad.apply(input, values, step, "heaviside")


@supports_out("nextafter")
def nextafter(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """The next floating-point value after input towards other."""
    x, y, res = binary_operands(input, other)
    if np.dtype(res).kind != "f":
        raise NotImplementedError(f'"nextafter_cpu" not implemented for \'{type_name(D.from_numpy_dtype(res))}\'')
    check_broadcast(shape_of(x), shape_of(y))
    return _NoGrad.apply(x, y, np.nextafter, "nextafter")


# -- cumulative log-sum-exp ------------------------------------------------------------------------------------


class LogCumSumExp(Op):
    """y_i = ln sum_{j<=i} e^(x_j);  dx_i = sum_{j>=i} g_j e^(x_i - y_j), by the backward recurrence
    r_i = g_i + e^(y_i - y_(i+1)) r_(i+1), dx_i = e^(x_i - y_i) r_i (every exponent <= 0)."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        y = P._nd(np.logaddexp.accumulate(x, axis=axis)) if x.ndim else x.copy()
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        if isinstance(x, Tensor):
            raise RuntimeError("logcumsumexp: second-order gradients are not implemented in ember")
        if x.ndim == 0:
            return g, None
        ax = ctx.axis
        gm, ym, xm = np.moveaxis(g, ax, 0), np.moveaxis(y, ax, 0), np.moveaxis(x, ax, 0)
        r = np.empty_like(gm)
        n = gm.shape[0]
        with np.errstate(invalid="ignore", over="ignore"):
            if n:
                r[n - 1] = gm[n - 1]
            for i in range(n - 2, -1, -1):
                step = np.exp(ym[i] - ym[i + 1])
                r[i] = gm[i] + np.where(np.isneginf(ym[i]), 0.0, step) * r[i + 1]
            dx = np.where(np.isneginf(xm), 0.0, np.exp(xm - ym) * r)
        return np.moveaxis(dx, 0, ax), None


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """ln of the cumulative sum of exp(input) along ``dim``, without overflow."""
    from .._tensor import _wrap_dim

    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for \'{type_name(input.dtype)}\'')
    axis = _wrap_dim(dim, max(input._data.ndim, 1))
    return LogCumSumExp.apply(input, axis)


__all__ = [
    _n for _n, _v in list(globals().items())
    if not _n.startswith("_") and callable(_v) and not isinstance(_v, type)
    and getattr(_v, "__module__", None) == __name__ and _n not in ("Tensor",)
] + ["arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "arctan2"]
