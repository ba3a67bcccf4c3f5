"""Activation functions: the elementwise nonlinearities of ``torch.nn.functional`` and the
fused, numerically stable softmax / log-softmax.

Each Op states its derivative in the docstring. Forward passes never overflow for large
|x| (exponents are taken of non-positive numbers only), and backward passes are written
with operators and NumPy ufuncs so that they differentiate again under ``create_graph``.
The lowercase functions are what ``ember.nn.functional`` exports.
"""

from __future__ import annotations

import math
import operator
import warnings

import numpy as np

from .. import _dtype as D
from .._backend import array_module, errstate, is_array
from .._random import _rng
from .._tensor import Tensor, _wrap_dim
from .._tensor import data_of as _d
from .._tensor_surface import define
from ..autograd.function import Op
from . import pointwise as P
from .inplace import write_inplace
from ._specfun import ndtr32
from .pointwise import erf_array, stable_sigmoid
from ._common import type_name
from ._unary import UnaryOp, as_array, kept_like, scratch_like

__all__ = [
    "celu",
    "celu_",
    "elu",
    "elu_",
    "gelu",
    "glu",
    "gumbel_softmax",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hardtanh_",
    "leaky_relu",
    "leaky_relu_",
    "log_softmax",
    "logsigmoid",
    "mish",
    "prelu",
    "relu",
    "relu6",
    "relu_",
    "rrelu",
    "rrelu_",
    "selu",
    "selu_",
    "sigmoid",
    "silu",
    "softmax",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "tanh",
    "tanhshrink",
    "threshold",
    "threshold_",
]

_wrap = Tensor._wrap

# SELU's constants (Klambauer et al. 2017), as PyTorch uses them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT1_2 = 1 / math.sqrt(2)
_GELU_TANH_CLIP = 20.0  # tanh(sqrt(2/pi) (x + 0.044715 x^3)) == +-1 in float64 for |x| >= 20


def _sigmoid(x):
    """Stable logistic function of an array, or a differentiable one of a Tensor."""
    return P.sigmoid(x) if isinstance(x, Tensor) else stable_sigmoid(x)


# PyTorch's kernels of these units are floating-only: an integer or bool input is refused, naming the kernel.
_FLOAT_KERNELS = {
    "elu": "elu_cpu", "selu": "elu_cpu", "celu": "elu_cpu", "gelu": "GeluKernelImpl", "silu": "silu_cpu",
    "mish": "mish_cpu", "hardsigmoid": "hardsigmoid_cpu", "hardswish": "hardswish_cpu", "leaky_relu": "leaky_relu_cpu",
    "softplus": "softplus_cpu", "hardshrink": "hardshrink_cpu", "softshrink": "softshrink_check",
    "log_sigmoid": "log_sigmoid_cpu", "glu": "glu_cpu", "rrelu": "rrelu_with_noise_out_cpu",
}


def _float(x: Tensor, name: str) -> Tensor:
    """Activations need a floating input: the floating-only kernels refuse others as PyTorch does, the rest
    promote integers like PyTorch's float ops."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    if x._data.dtype.kind != "f":
        if name in _FLOAT_KERNELS:
            raise NotImplementedError(f'"{_FLOAT_KERNELS[name]}" not implemented for \'{type_name(x.dtype)}\'')
        return _wrap(x._data.astype(D.get_default_dtype().np))
    return x


def _no_bool(x: Tensor, name: str) -> None:
    """relu and hardtanh take integers but refuse bool, with PyTorch's words."""
    if isinstance(x, Tensor) and x._data.dtype == np.bool_:
        raise RuntimeError(f"{'Boolean' if name == 'relu' else 'Bool'} inputs not supported for {name}")


def _refuse_bool(x, kernel: str) -> None:
    """The kernels that take integers but not bool refuse it, naming the kernel as PyTorch does."""
    if isinstance(x, Tensor) and x._data.dtype == np.bool_:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _inplace(fn, input: Tensor, *args, name: str | None = None) -> Tensor:
    """Run ``fn(input, *args)`` and write the result into ``input`` (autograd-aware); a floating-only unit
    (``name``) refuses an integer input before anything is written."""
    if name is not None:
        _float(input, name)
    return write_inplace(input, lambda t: fn(t, *args))


# -- piecewise-linear units ---------------------------------------------------------------------------


class LeakyRelu(Op):
    """y = x (x > 0), a x (x <= 0);  dy/dx = 1 (x > 0), a (x <= 0)."""

    _node_name = "LeakyReluBackward0"

    @staticmethod
    def forward(ctx, x, slope):
        ctx.slope = slope
        ctx.save_for_backward(x)
        return array_module(x).where(x > 0, x, x * slope)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xd = _d(x)
        return array_module(xd, g).where(xd > 0, g, g * ctx.slope), None


class _Gate(Op):
    """y = f(x; params) piecewise with slope 1 or 0: dy/dx = 1 where ``passes(x; params)``, else 0. Only x is
    saved; backward is the upstream gradient times that 0/1 mask (operators only: it differentiates again)."""

    @classmethod
    def forward(cls, ctx, x, *params):
        ctx.params = params
        ctx.save_for_backward(x)
        return cls.f(array_module(x), x, *params)

    @classmethod
    def backward(cls, ctx, g):
        (x,) = ctx.saved_tensors
        xd = _d(x)
        return (g * cls.passes(array_module(xd), xd, *ctx.params), *(None,) * len(ctx.params))


class Hardtanh(_Gate):
    """y = min(max(x, lo), hi);  dy/dx = 1 for lo < x < hi, else 0 (PyTorch's strict inequality)."""

    _node_name = "HardtanhBackward0"

    @staticmethod
    def f(xp, x, lo, hi):
        return xp.clip(x, lo, hi).astype(x.dtype, copy=False)

    @staticmethod
    def passes(xp, x, lo, hi):
        return ~((x <= lo) | (x >= hi))  # written as PyTorch's test so that NaN passes its gradient


class Threshold(_Gate):
    """y = x (x > t), v (x <= t);  dy/dx = 1 (x > t), 0 (x <= t)."""

    _node_name = "ThresholdBackward0"

    @staticmethod
    def f(xp, x, threshold, value):
        return xp.where(x <= threshold, xp.asarray(value, dtype=x.dtype), x)  # NaN is kept, as in PyTorch

    @staticmethod
    def passes(xp, x, threshold, value):
        return ~(x <= threshold)


class Hardshrink(_Gate):
    """y = 0 (-l <= x <= l), x otherwise;  dy/dx = 0 (-l <= x <= l), 1 otherwise (NaN passes, as in PyTorch)."""

    _node_name = "HardshrinkBackward0"

    @staticmethod
    def f(xp, x, lambd):
        return xp.where((x >= -lambd) & (x <= lambd), xp.zeros((), x.dtype), x)

    @staticmethod
    def passes(xp, x, lambd):
        return ~((x >= -lambd) & (x <= lambd))


class Softshrink(Hardshrink):
    """y = x - l (x > l), x + l (x < -l), 0 otherwise;  dy/dx = 0 (-l <= x <= l), 1 otherwise."""

    _node_name = "SoftshrinkBackward0"

    @staticmethod
    def f(xp, x, lambd):
        with errstate(xp, invalid="ignore"):  # inf * 0 of the unused branch
            return xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, xp.abs(x) * 0))  # NaN stays NaN


class Hardsigmoid(UnaryOp):
    """y = min(max(x/6 + 1/2, 0), 1);  dy/dx = 1/6 for -3 < x < 3, else 0."""

    _node_name = "HardsigmoidBackward0"

    @staticmethod
    def f(xp, x):
        return xp.clip(x / 6 + 0.5, 0, 1).astype(x.dtype, copy=False)

    @staticmethod
    def df(xp, g, x):
        xd = _d(x)
        return g * ((xd > -3) & (xd < 3)) / 6


class Hardswish(UnaryOp):
    """y = x min(max(x + 3, 0), 6) / 6;  dy/dx = 0 (x <= -3), x/3 + 1/2 (-3 < x < 3), 1 (x >= 3 or NaN), PyTorch's
    choice at the kinks."""

    _node_name = "HardswishBackward0"

    @staticmethod
    def f(xp, x):
        with errstate(xp, invalid="ignore"):  # -inf * 0: NaN, quietly as in PyTorch
            return (x * (xp.clip(x + 3, 0, 6) / 6)).astype(x.dtype, copy=False)  # the factor is <= 1: no overflow

    @staticmethod
    def df(xp, g, x):
        xd = _d(x)
        middle = (xd > -3) & (xd < 3)
        return xp.where(middle, g * (x / 3 + 0.5), g * ~(xd <= -3))


class Prelu(Op):
    """y = x (x > 0), w x (x <= 0);  dy/dx = 1 or w, dy/dw = 0 or x (summed over broadcast dims)."""

    _node_name = "PreluKernelBackward0"

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return array_module(x, w).where(x > 0, x, x * w)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        pos = _d(x) > 0
        xp = array_module(pos, g)
        need_x, need_w = ctx.needs_input_grad
        gx = xp.where(pos, g, g * w) if need_x else None
        gw = xp.where(pos, 0, g * x) if need_w else None
        return gx, gw


# -- smooth units --------------------------------------------------------------------------------------


class Elu(Op):
    """y = s x (x > 0), s a (e^(c x) - 1) (x <= 0);  dy/dx = s (x > 0), c s a e^(c x) (x <= 0).

    ELU is (a, s=1, c=1); SELU fixes a and s; CELU is (a, s=1, c=1/a). The exponential is
    only ever taken of min(x, 0), so nothing overflows.
    """

    _node_name = "EluBackward0"

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        ctx.consts = (alpha, scale, input_scale)
        ctx.save_for_backward(x)
        xp = array_module(x)
        neg = xp.expm1(xp.where(x > 0, 0, x) * input_scale) * (alpha * scale)  # keeps -0.0 (-> -0.0) as torch
        return xp.where(x > 0, x * scale, neg).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        alpha, scale, input_scale = ctx.consts
        pos = ~(_d(x) <= 0)  # NaN takes the linear branch's gradient, as in PyTorch
        xp = array_module(pos, g)
        e = xp.exp(xp.where(pos, 0, x) * input_scale)
        return xp.where(pos, g * scale, g * e * (input_scale * scale * alpha)), None, None, None


class Gelu(Op):
    """y = x Phi(x), Phi the standard normal CDF;  dy/dx = Phi(x) + x phi(x).

    With approximate='tanh': y = x (1 + tanh u) / 2, u = sqrt(2/pi) (x + 0.044715 x^3);
    dy/dx = (1 + tanh u) / 2 + x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2) / 2.

    Forward keeps Phi(x) (and, for 'tanh', the clipped x) so that backward evaluates no erf or
    tanh again; both sides work in place on the buffer they return (a few passes over memory).
    """

    _node_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.approximate = approximate
        ctx.save_for_backward(x)
        xp = array_module(x)
        cdf = kept_like(xp, "gelu_cdf", x)  # memory reused across steps (see kept_like)
        if approximate == "tanh":
            ctx.clipped = kept_like(xp, "gelu_clip", x)
            cdf = _gelu_tanh_cdf(xp, x, ctx.clipped, cdf)
        else:
            cdf = _ndtr(xp, x, cdf)
        ctx.cdf = cdf
        with errstate(xp, invalid="ignore"):  # -inf * Phi(-inf) = -inf * 0: NaN, quietly
            return as_array(xp, x * cdf)

    @staticmethod
    def infer(x, approximate):
        xp = array_module(x)
        if approximate == "tanh":
            y = _gelu_tanh_cdf(xp, x, scratch_like(xp, "gelu_clip", x), xp.empty_like(x))
        else:
            y = _ndtr(xp, x)
        with errstate(xp, invalid="ignore"):
            y *= x
        return y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if isinstance(x, Tensor):  # create_graph: Phi(x) and the rest must be differentiable
            return g * _gelu_grad_graph(x, ctx.approximate), None
        xp = array_module(g, x)
        cdf = ctx.cdf
        d = kept_like(xp, "gelu_grad", x)  # the engine adds it into .grad and lets go: reused next step
        with errstate(xp, over="ignore", invalid="ignore"):
            if ctx.approximate == "tanh":
                # (1 - tanh^2 u) / 2 = 2 Phi (1 - Phi); beyond the clip it is exactly 0
                xc = ctx.clipped
                w = xp.multiply(xc, xc, out=scratch_like(xp, "gelu_w", x))
                w *= 6 * 0.044715 * _SQRT_2_OVER_PI
                w += 2 * _SQRT_2_OVER_PI
                xp.subtract(1, cdf, out=d)
                d *= cdf
                d *= w
                d *= xc
            else:
                xp.multiply(x, x, out=d)  # x^2 = inf gives phi = 0; the product with x then is 0 (NaN at inf)
                d *= -0.5
                xp.exp(d, out=d)
                d *= x
                d *= _INV_SQRT_2PI
            d += cdf
            d *= g
        return d, None


def _ndtr(xp, x, out=None):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2 in x's dtype (float32: ndtr32's fit, into ``out`` if given)."""
    if x.dtype == np.float32:
        return ndtr32(x, out)
    cdf = xp.asarray(erf_array(x * _SQRT1_2))
    cdf += 1
    cdf *= 0.5
    return cdf


def _gelu_tanh_cdf(xp, x, clipped, out):
    """``out`` = (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2, with ``clipped`` = x clipped to +-20:
    beyond the clip tanh is exactly +-1, so the clip only keeps x^3 from overflowing."""
    xc = xp.clip(x, -_GELU_TANH_CLIP, _GELU_TANH_CLIP, out=clipped)
    t = xp.multiply(xc, xc, out=out)
    t *= 0.044715 * _SQRT_2_OVER_PI
    t += _SQRT_2_OVER_PI
    t *= xc
    xp.tanh(t, out=t)
    t *= 0.5
    t += 0.5
    return t


def _gelu_grad_graph(x, approximate):
    """dy/dx as differentiable Tensor ops (second order)."""
    if approximate == "tanh":
        x2 = x * x
        t = P.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x2 * x))
        du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x2)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du
    cdf = 0.5 * (1 + P.erf(x * _SQRT1_2))
    return cdf + x * (P.exp(-0.5 * (x * x)) * _INV_SQRT_2PI)


class Silu(UnaryOp):
    """y = x s(x), s the logistic sigmoid;  dy/dx = s (1 + x (1 - s))."""

    _node_name = "SiluBackward0"

    @staticmethod
    def f(xp, x):
        return x * stable_sigmoid(x)

    @staticmethod
    def df(xp, g, x):
        s = _sigmoid(x)
        return g * (s * (1 + x * (1 - s)))


def _softplus_array(x):
    """log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|)."""
    xp = array_module(x)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


class Mish(UnaryOp):
    """y = x tanh(softplus(x));  dy/dx = t + x s (1 - t^2), t = tanh(softplus(x)), s = sigmoid(x)."""

    _node_name = "MishBackward0"

    @staticmethod
    def f(xp, x):
        return x * xp.tanh(_softplus_array(x))

    @staticmethod
    def df(xp, g, x):
        t = xp.tanh(_softplus_array(x))
        return g * (t + x * _sigmoid(x) * (1 - t * t))


class Softplus(Op):
    """y = log(1 + e^(b x)) / b, or x where b x > threshold;  dy/dx = sigmoid(b x), or 1 there.

    b x is formed from x clipped to [-1e4/|b|, threshold/b] (softplus and sigmoid are exactly
    0 or linear beyond), so a huge x never overflows the product.
    """

    _node_name = "SoftplusBackward0"

    @staticmethod
    def _scaled(x, beta, threshold):
        if is_array(x) and beta > 0:
            return array_module(x).clip(x, -1e4 / beta, threshold / beta) * beta
        return x * beta

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.consts = (beta, threshold)
        ctx.save_for_backward(x)
        linear = x * beta > threshold if beta <= 0 else x > threshold / beta
        bx = Softplus._scaled(x, beta, threshold)
        return array_module(x).where(linear, x, _softplus_array(bx) / beta).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        beta, threshold = ctx.consts
        xd = _d(x)
        linear = xd * beta > threshold if beta <= 0 else xd > threshold / beta
        xp = array_module(linear, g)
        return xp.where(linear, g, g * _sigmoid(Softplus._scaled(x, beta, threshold))), None, None


class Softsign(UnaryOp):
    """y = x / (1 + |x|);  dy/dx = 1 / (1 + |x|)^2."""

    _node_name = "SoftsignBackward0"

    @staticmethod
    def f(xp, x):
        return x / (1 + xp.abs(x))

    @staticmethod
    def df(xp, g, x):
        d = 1 + xp.abs(x)
        return g / d / d  # (not d*d, which overflows for |x| > 1e19 in float32)


class LogSigmoid(UnaryOp):
    """y = log(1 / (1 + e^-x)) = min(x, 0) - log1p(e^-|x|);  dy/dx = 1 - sigmoid(x) = sigmoid(-x)."""

    _node_name = "LogSigmoidBackward0"

    @staticmethod
    def f(xp, x):
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    @staticmethod
    def df(xp, g, x):
        return g * _sigmoid(-x)


# -- softmax family -----------------------------------------------------------------------------------


class Softmax(Op):
    """y_i = e^(x_i - m) / sum_j e^(x_j - m), m = max_j x_j;  dx = y (dy - sum_j dy_j y_j)."""

    _node_name = "SoftmaxBackward0"

    @classmethod
    def forward(cls, ctx, x, axis):
        ctx.axis = axis
        if x.size == 0:
            y = x.copy()
        else:
            xp = array_module(x)
            with errstate(xp, invalid="ignore", divide="ignore", over="ignore"):  # rows of all -inf: nan, like PyTorch
                y = cls.normalize(xp, x, axis)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def normalize(xp, x, axis):
        y = xp.exp(x - x.max(axis=axis, keepdims=True))
        y /= y.sum(axis=axis, keepdims=True)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        gy = g * y
        return gy - y * gy.sum(axis=ctx.axis, keepdims=True), None


class LogSoftmax(Softmax):
    """y_i = x_i - m - log sum_j e^(x_j - m);  dx = dy - e^y sum_j dy_j."""

    _node_name = "LogSoftmaxBackward0"

    @staticmethod
    def normalize(xp, x, axis):
        shifted = x - x.max(axis=axis, keepdims=True)
        return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g - array_module(g, y).exp(y) * g.sum(axis=ctx.axis, keepdims=True), None


def _get_softmax_dim(name: str, ndim: int, stacklevel: int = 3) -> int:
    """PyTorch's legacy rule when ``dim`` is omitted: 0 for 0-, 1- and 3-d inputs, else 1."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        UserWarning,
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_input(input: Tensor, dim, dtype, name: str, stacklevel: int):
    if name == "softmin" and input._data.dtype == np.bool_:  # PyTorch negates first
        raise RuntimeError(P.BOOL_NEGATION_ERROR)
    fname = "softmax" if name == "softmin" else name  # softmin is softmax(-x): PyTorch's words name softmax
    if dtype is not None:
        if isinstance(dtype, str):
            raise TypeError(f"{fname}(): argument 'dtype' must be torch.dtype, not str")
        input = input.to(D.as_dtype(dtype))
    if dim is None:
        dim = _get_softmax_dim(name, input._data.ndim, stacklevel + 1)
    try:
        dim = operator.index(dim)  # ints and 0-d integer tensors; not floats, strings or tuples
    except TypeError:
        raise TypeError(f"{fname}(): argument 'dim' (position 1) must be int, not {type(dim).__name__}") from None
    axis = _wrap_dim(dim, input._data.ndim)
    if input._data.dtype.kind != "f" and input._data.size:
        kernel = f"{fname}_{'lastdim_' if axis == input._data.ndim - 1 or input._data.ndim == 0 else ''}kernel_impl"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{type_name(input.dtype)}'")
    if input._data.dtype.kind == "f" or input._data.size:  # an empty integer input comes back as it is, as in PyTorch
        input = _float(input, name)
    return input, axis


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim``: one fused, max-shifted op."""
    x, axis = _softmax_input(input, dim, dtype, "softmax", _stacklevel)
    return Softmax.apply(x, axis)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log(softmax(x)) along ``dim`` computed as x - logsumexp(x): never log(0) for finite x."""
    x, axis = _softmax_input(input, dim, dtype, "log_softmax", _stacklevel)
    return LogSoftmax.apply(x, axis)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along ``dim``."""
    x, axis = _softmax_input(input, dim, dtype, "softmin", _stacklevel)
    return Softmax.apply(P.neg(x), axis)


def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10, dim: int = -1, *, generator=None) -> Tensor:
    """Samples from the Gumbel-softmax distribution; ``hard=True`` gives one-hot samples with
    the soft sample's gradient (straight-through)."""
    rng = _rng(generator)
    u = rng.exponential(size=logits._data.shape).astype(logits._data.dtype)
    gumbels = (logits - _wrap(array_module(u).log(u))) / tau  # -log(Exp(1)) is Gumbel(0, 1)
    y_soft = softmax(gumbels, dim)
    if not hard:
        return y_soft
    axis = _wrap_dim(dim, logits._data.ndim)
    index = y_soft._data.argmax(axis=axis)
    xp = array_module(y_soft._data)
    y_hard = xp.zeros_like(y_soft._data)
    xp.put_along_axis(y_hard, xp.expand_dims(index, axis), 1, axis=axis)
    return P.add(P.sub(_wrap(y_hard), y_soft.detach()), y_soft)


# -- the functional API ------------------------------------------------------------------------------


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    _no_bool(input, "relu")
    if inplace:
        return relu_(input)
    return P.Relu.apply(input)


def relu_(input: Tensor) -> Tensor:
    _no_bool(input, "relu")
    return write_inplace(input, P.relu)


def _check_hardtanh_bounds(min_val, max_val):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """Clamp x into [min_val, max_val] (zero gradient at and beyond the bounds)."""
    _check_hardtanh_bounds(min_val, max_val)
    _no_bool(input, "hardtanh")
    if inplace:
        return hardtanh_(input, min_val, max_val)
    return Hardtanh.apply(input, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    _check_hardtanh_bounds(min_val, max_val)
    _no_bool(input, "hardtanh")
    return _inplace(lambda t: Hardtanh.apply(t, min_val, max_val), input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    if inplace:
        return leaky_relu_(input, negative_slope)
    return LeakyRelu.apply(_float(input, "leaky_relu"), negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _inplace(lambda t: LeakyRelu.apply(t, negative_slope), input, name="leaky_relu")


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, weight * x otherwise; ``weight`` has one slope, or one per channel (dim 1)."""
    n = weight._data.size
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {type_name(input.dtype)} and {type_name(weight.dtype)}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"prelu_cpu\" not implemented for '{type_name(input.dtype)}'")
    if weight._data.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight._data.ndim}")
    if n != 1:
        channels = input._data.shape[1] if input._data.ndim >= 2 else 1
        if input._data.ndim == 0 or n != channels:
            raise RuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers = {n} "
                f"and channel size = {channels}."
            )
        weight = weight.reshape((n,) + (1,) * (input._data.ndim - 2))
    elif weight._data.ndim == 1 and input._data.ndim == 0:
        weight = weight.reshape(())
    return Prelu.apply(input, weight)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False, inplace: bool = False, *, generator=None) -> Tensor:
    """Randomized leaky ReLU: slope ~ U(lower, upper) per element when training, (lower+upper)/2 in eval."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    _float(input, "rrelu")
    x = input._data
    slopes = _rng(generator).uniform(lower, upper, size=x.shape).astype(x.dtype)
    xp = array_module(x)
    noise = _wrap(xp.where(x > 0, xp.ones((), x.dtype), slopes))
    if inplace:
        return write_inplace(input, lambda t: P.mul(t, noise))
    return P.mul(input, noise)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    if inplace:
        return elu_(input, alpha)
    return Elu.apply(_float(input, "elu"), alpha, 1.0, 1.0)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _inplace(lambda t: Elu.apply(t, alpha, 1.0, 1.0), input, name="elu")


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants."""
    if inplace:
        return selu_(input)
    return Elu.apply(_float(input, "selu"), SELU_ALPHA, SELU_SCALE, 1.0)


def selu_(input: Tensor) -> Tensor:
    return _inplace(lambda t: Elu.apply(t, SELU_ALPHA, SELU_SCALE, 1.0), input, name="selu")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    if inplace:
        return celu_(input, alpha)
    return Elu.apply(_float(input, "celu"), alpha, 1.0, 1.0 / alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _inplace(lambda t: Elu.apply(t, alpha, 1.0, 1.0 / alpha), input, name="celu")


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), exact (erf) or with the tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return Gelu.apply(_float(input, "gelu"), approximate)


def _unit(op, name: str, doc: str):
    """``name(input, inplace=False)`` for a unary unit ``op``."""

    def fn(input: Tensor, inplace: bool = False) -> Tensor:
        if inplace:
            return _inplace(op.apply, input, name=name)
        return op.apply(_float(input, name))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


silu = _unit(Silu, "silu", "x * sigmoid(x) (also called swish).")
mish = _unit(Mish, "mish", "x * tanh(softplus(x)).")
hardsigmoid = _unit(Hardsigmoid, "hardsigmoid", "relu6(x + 3) / 6.")
hardswish = _unit(Hardswish, "hardswish", "x * relu6(x + 3) / 6.")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, linear where beta * x > threshold."""
    return Softplus.apply(_float(input, "softplus"), beta, threshold)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    _refuse_bool(input, "abs_cpu")  # PyTorch's softsign divides by 1 + abs(x)
    return Softsign.apply(_float(input, "softsign"))


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return P.sub(input, P.tanh(input))


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else ``value``."""
    if inplace:
        return threshold_(input, threshold, value)
    _refuse_bool(input, "threshold_cpu")
    return Threshold.apply(input, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    _refuse_bool(input, "threshold_cpu")
    return _inplace(lambda t: Threshold.apply(t, threshold, value), input)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    return Hardshrink.apply(_float(input, "hardshrink"), lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd * sign(x) where |x| > lambd, else 0."""
    x = _float(input, "softshrink")
    top = np.finfo(x._data.dtype).max
    if not 0 <= lambd <= top:
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype {type_name(x.dtype)}, but found {lambd:g}")
    return Softshrink.apply(x, lambd)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), stable for large |x|."""
    return LogSigmoid.apply(_float(input, "log_sigmoid"))


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of ``input`` along ``dim``."""
    from .shape import chunk

    if input._data.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    axis = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[axis]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {axis} is size {size}")
    _float(input, "glu")
    a, b = chunk(input, 2, axis)
    return P.mul(a, P.sigmoid(b))


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)) (``torch.nn.functional.sigmoid``, kept by PyTorch as an alias)."""
    return P.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """tanh(x) (``torch.nn.functional.tanh``, kept by PyTorch as an alias)."""
    return P.tanh(input)


# Tensor methods PyTorch has for these functions (``Tensor.relu_`` is the in-place method of _tensor_methods).
define("softmax", lambda self, dim=None, dtype=None: softmax(self, dim, dtype=dtype))
define("log_softmax", lambda self, dim=None, dtype=None: log_softmax(self, dim, dtype=dtype))
define("hardshrink", lambda self, lambd=0.5: hardshrink(self, lambd))
define("prelu", prelu)
