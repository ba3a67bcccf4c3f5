"""Activation functions: the elementwise nonlinearities of ``torch.nn.functional`` and the
fused, numerically stable softmax / log-softmax.

Each Op states its derivative in the docstring. Forward passes never overflow for large
|x| (exponents are taken of non-positive numbers only), and backward passes are written
with operators and NumPy ufuncs so that they differentiate again under ``create_graph``.
The lowercase functions are what ``ember.nn.functional`` exports.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _dtype as D
from .._random import _rng
from .._tensor import Tensor, _wrap_dim
from .._tensor import data_of as _d
from .._tensor_surface import define
from ..autograd.function import Op
from . import pointwise as P
from .inplace import write_inplace
from ._specfun import ndtr32
from .pointwise import erf_array, stable_sigmoid

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
_GELU_TANH_CLIP = 20.0  # tanh(sqrt(2/pi) (x + 0.044715 x^3)) == +-1 in float64 for |x| >= 20


def _sigmoid(x):
    """Stable logistic function of an array, or a differentiable one of a Tensor."""
    return P.sigmoid(x) if isinstance(x, Tensor) else stable_sigmoid(x)


def _erf(x):
    return P.erf(x) if isinstance(x, Tensor) else erf_array(x)


def _float(x: Tensor, name: str) -> Tensor:
    """Activations need a floating input; integers are promoted like PyTorch's float ops."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    if x._data.dtype.kind != "f":
        return _wrap(x._data.astype(D.get_default_dtype().np))
    return x


def _inplace(fn, input: Tensor, *args) -> Tensor:
    """Run ``fn(input, *args)`` and write the result into ``input`` (autograd-aware)."""
    return write_inplace(input, lambda t: fn(t, *args))


# -- piecewise-linear units ---------------------------------------------------------------------------


class LeakyRelu(Op):
    """y = x (x > 0), a x (x <= 0);  dy/dx = 1 (x > 0), a (x <= 0)."""

    _node_name = "LeakyReluBackward0"

    @staticmethod
    def forward(ctx, x, slope):
        ctx.slope = slope
        ctx.save_for_backward(x)
        return np.where(x > 0, x, x * slope)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return np.where(_d(x) > 0, g, g * ctx.slope), None


class Hardtanh(Op):
    """y = min(max(x, lo), hi);  dy/dx = 1 for lo < x < hi, else 0 (PyTorch's strict inequality)."""

    _node_name = "HardtanhBackward0"

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.bounds = (lo, hi)
        ctx.save_for_backward(x)
        return np.clip(x, lo, hi).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        xd = _d(x)
        return g * ((xd > lo) & (xd < hi)), None, None


class Threshold(Op):
    """y = x (x > t), v (x <= t);  dy/dx = 1 (x > t), 0 (x <= t)."""

    _node_name = "ThresholdBackward0"

    @staticmethod
    def forward(ctx, x, threshold, value):
        ctx.threshold = threshold
        ctx.save_for_backward(x)
        return np.where(x > threshold, x, np.asarray(value, dtype=x.dtype))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (_d(x) > ctx.threshold), None, None


class Hardshrink(Op):
    """y = x (|x| > l), 0 otherwise;  dy/dx = 1 (|x| > l), 0 otherwise."""

    _node_name = "HardshrinkBackward0"

    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        ctx.save_for_backward(x)
        return np.where(np.abs(x) > lambd, x, np.zeros((), x.dtype))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (np.abs(_d(x)) > ctx.lambd), None


class Softshrink(Op):
    """y = x - l (x > l), x + l (x < -l), 0 otherwise;  dy/dx = 1 (|x| > l), 0 otherwise."""

    _node_name = "SoftshrinkBackward0"

    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        ctx.save_for_backward(x)
        zero = np.zeros((), x.dtype)
        return np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, zero))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (np.abs(_d(x)) > ctx.lambd), None


class Hardsigmoid(Op):
    """y = min(max(x/6 + 1/2, 0), 1);  dy/dx = 1/6 for -3 < x < 3, else 0."""

    _node_name = "HardsigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.clip(x / 6 + 0.5, 0, 1).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xd = _d(x)
        return g * ((xd > -3) & (xd < 3)) / 6


class Hardswish(Op):
    """y = x min(max(x + 3, 0), 6) / 6;  dy/dx = 0 (x < -3), x/3 + 1/2 (-3 <= x <= 3), 1 (x > 3)."""

    _node_name = "HardswishBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x * (np.clip(x + 3, 0, 6) / 6)).astype(x.dtype, copy=False)  # the factor is <= 1: no overflow

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xd = _d(x)
        middle = (xd >= -3) & (xd <= 3)
        return np.where(middle, g * (x / 3 + 0.5), g * (xd > 3))


class Prelu(Op):
    """y = x (x > 0), w x (x <= 0);  dy/dx = 1 or w, dy/dw = 0 or x (summed over broadcast dims)."""

    _node_name = "PreluKernelBackward0"

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return np.where(x > 0, x, x * w)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        pos = _d(x) > 0
        need_x, need_w = ctx.needs_input_grad
        gx = np.where(pos, g, g * w) if need_x else None
        gw = np.where(pos, 0, g * x) if need_w else None
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
        neg = np.expm1(np.minimum(x, 0) * input_scale) * (alpha * scale)
        return np.where(x > 0, x * scale, neg).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        alpha, scale, input_scale = ctx.consts
        pos = _d(x) > 0
        e = np.exp(np.where(pos, 0, x) * input_scale)
        return np.where(pos, g * scale, g * e * (input_scale * scale * alpha)), None, None, None


class Gelu(Op):
    """y = x Phi(x), Phi the standard normal CDF;  dy/dx = Phi(x) + x phi(x).

    With approximate='tanh': y = x (1 + tanh u) / 2, u = sqrt(2/pi) (x + 0.044715 x^3);
    dy/dx = (1 + tanh u) / 2 + x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2) / 2.
    """

    _node_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.approximate = approximate
        ctx.save_for_backward(x)
        if approximate == "tanh":
            xc = np.clip(x, -_GELU_TANH_CLIP, _GELU_TANH_CLIP)  # tanh is exactly +-1 beyond: no x^3 overflow
            t = np.tanh(_SQRT_2_OVER_PI * (xc + 0.044715 * xc * xc * xc))
            return (0.5 * x * (1 + t)).astype(x.dtype, copy=False)
        if x.dtype == np.float32:
            cdf = ndtr32(x)
        else:
            cdf = erf_array(x * (1 / math.sqrt(2)))
            cdf += 1
            cdf *= 0.5
        ctx.cdf = cdf  # backward reuses Phi(x) instead of evaluating erf again
        return (x * cdf).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            # Beyond the clip tanh is exactly +-1, so the second term is exactly 0 there.
            xc = np.clip(x, -_GELU_TANH_CLIP, _GELU_TANH_CLIP) if isinstance(x, np.ndarray) else x
            x2 = xc * xc
            t = np.tanh(_SQRT_2_OVER_PI * (xc + 0.044715 * x2 * xc))
            du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x2)
            return g * (0.5 * (1 + t) + 0.5 * xc * (1 - t * t) * du), None
        # under create_graph x is a Tensor and Phi(x) must be differentiable: recompute it
        cdf = ctx.cdf if isinstance(x, np.ndarray) else 0.5 * (1 + _erf(x * (1 / math.sqrt(2))))
        if isinstance(x, np.ndarray):  # in place: one buffer for x phi(x) + Phi(x)
            d = np.clip(x, -60, 60)  # phi(x) underflows to 0 long before x*x overflows
            d *= d
            d *= -0.5
            d = np.exp(d, out=d)
            d *= x
            d *= _INV_SQRT_2PI
            d += cdf
            d *= g
            return d, None
        pdf = np.exp(-0.5 * (x * x)) * _INV_SQRT_2PI
        return g * (cdf + x * pdf), None


class Silu(Op):
    """y = x s(x), s the logistic sigmoid;  dy/dx = s (1 + x (1 - s))."""

    _node_name = "SiluBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * stable_sigmoid(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        s = _sigmoid(x)
        return g * (s * (1 + x * (1 - s)))


def _softplus_array(x):
    """log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|)."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


class Mish(Op):
    """y = x tanh(softplus(x));  dy/dx = t + x s (1 - t^2), t = tanh(softplus(x)), s = sigmoid(x)."""

    _node_name = "MishBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * np.tanh(_softplus_array(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        t = np.tanh(_softplus_array(x))
        return g * (t + x * _sigmoid(x) * (1 - t * t))


class Softplus(Op):
    """y = log(1 + e^(b x)) / b, or x where b x > threshold;  dy/dx = sigmoid(b x), or 1 there.

    b x is formed from x clipped to [-1e4/|b|, threshold/b] (softplus and sigmoid are exactly
    0 or linear beyond), so a huge x never overflows the product.
    """

    _node_name = "SoftplusBackward0"

    @staticmethod
    def _scaled(x, beta, threshold):
        if isinstance(x, np.ndarray) and beta > 0:
            return np.clip(x, -1e4 / beta, threshold / beta) * beta
        return x * beta

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.consts = (beta, threshold)
        ctx.save_for_backward(x)
        linear = x * beta > threshold if beta <= 0 else x > threshold / beta
        bx = Softplus._scaled(x, beta, threshold)
        return np.where(linear, x, _softplus_array(bx) / beta).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        beta, threshold = ctx.consts
        xd = _d(x)
        linear = xd * beta > threshold if beta <= 0 else xd > threshold / beta
        return np.where(linear, g, g * _sigmoid(Softplus._scaled(x, beta, threshold))), None, None


class Softsign(Op):
    """y = x / (1 + |x|);  dy/dx = 1 / (1 + |x|)^2."""

    _node_name = "SoftsignBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + np.abs(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        d = 1 + np.abs(x)
        return g / d / d  # (not d*d, which overflows for |x| > 1e19 in float32)


class LogSigmoid(Op):
    """y = log(1 / (1 + e^-x)) = min(x, 0) - log1p(e^-|x|);  dy/dx = 1 - sigmoid(x) = sigmoid(-x)."""

    _node_name = "LogSigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * _sigmoid(-x)


# -- softmax family -----------------------------------------------------------------------------------


class Softmax(Op):
    """y_i = e^(x_i - m) / sum_j e^(x_j - m), m = max_j x_j;  dx = y (dy - sum_j dy_j y_j)."""

    _node_name = "SoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        if x.size == 0:
            y = x.copy()
        else:
            with np.errstate(invalid="ignore", over="ignore"):  # rows of all -inf give nan, like PyTorch
                y = np.exp(x - x.max(axis=axis, keepdims=True))
                y /= y.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        gy = g * y
        return gy - y * gy.sum(axis=ctx.axis, keepdims=True), None


class LogSoftmax(Op):
    """y_i = x_i - m - log sum_j e^(x_j - m);  dx = dy - e^y sum_j dy_j."""

    _node_name = "LogSoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        if x.size == 0:
            y = x.copy()
        else:
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                shifted = x - x.max(axis=axis, keepdims=True)
                y = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g - np.exp(y) * g.sum(axis=ctx.axis, keepdims=True), None


def _get_softmax_dim(name: str, ndim: int, stacklevel: int = 3) -> int:
    """PyTorch's legacy rule when ``dim`` is omitted: 0 for 0-, 1- and 3-d inputs, else 1."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        UserWarning,
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_input(input: Tensor, dim, dtype, name: str, stacklevel: int):
    if dtype is not None:
        input = input.to(D.as_dtype(dtype))
    if dim is None:
        dim = _get_softmax_dim(name, input._data.ndim, stacklevel + 1)
    axis = _wrap_dim(int(dim), input._data.ndim)
    if input._data.dtype.kind != "f" and name in ("softmax", "log_softmax") and input._data.size:
        kernel = f"{name}_{'lastdim_' if axis == input._data.ndim - 1 or input._data.ndim == 0 else ''}kernel_impl"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{D.from_numpy_dtype(input._data.dtype)._legacy[:-6]}'")
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
    gumbels = (logits - _wrap(np.log(u))) / tau  # -log(Exp(1)) is Gumbel(0, 1)
    y_soft = softmax(gumbels, dim)
    if not hard:
        return y_soft
    axis = _wrap_dim(dim, logits._data.ndim)
    index = y_soft._data.argmax(axis=axis)
    y_hard = np.zeros_like(y_soft._data)
    np.put_along_axis(y_hard, np.expand_dims(index, axis), 1, axis=axis)
    return P.add(P.sub(_wrap(y_hard), y_soft.detach()), y_soft)


# -- the functional API ------------------------------------------------------------------------------


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    if inplace:
        return relu_(input)
    return P.Relu.apply(input)


def relu_(input: Tensor) -> Tensor:
    return write_inplace(input, P.relu)


def _check_hardtanh_bounds(min_val, max_val):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """Clamp x into [min_val, max_val] (zero gradient at and beyond the bounds)."""
    _check_hardtanh_bounds(min_val, max_val)
    if inplace:
        return hardtanh_(input, min_val, max_val)
    return Hardtanh.apply(input, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    _check_hardtanh_bounds(min_val, max_val)
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
    return _inplace(lambda t: LeakyRelu.apply(t, negative_slope), input)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, weight * x otherwise; ``weight`` has one slope, or one per channel (dim 1)."""
    n = weight._data.size
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
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    x = input._data
    slopes = _rng(generator).uniform(lower, upper, size=x.shape).astype(x.dtype)
    noise = _wrap(np.where(x > 0, np.ones((), x.dtype), slopes))
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
    return _inplace(lambda t: Elu.apply(t, alpha, 1.0, 1.0), input)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants."""
    if inplace:
        return selu_(input)
    return Elu.apply(_float(input, "selu"), SELU_ALPHA, SELU_SCALE, 1.0)


def selu_(input: Tensor) -> Tensor:
    return _inplace(lambda t: Elu.apply(t, SELU_ALPHA, SELU_SCALE, 1.0), input)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    if inplace:
        return celu_(input, alpha)
    return Elu.apply(_float(input, "celu"), alpha, 1.0, 1.0 / alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _inplace(lambda t: Elu.apply(t, alpha, 1.0, 1.0 / alpha), input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), exact (erf) or with the tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return Gelu.apply(_float(input, "gelu"), approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    if inplace:
        return _inplace(Silu.apply, input)
    return Silu.apply(_float(input, "silu"))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    if inplace:
        return _inplace(Mish.apply, input)
    return Mish.apply(_float(input, "mish"))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    if inplace:
        return _inplace(Hardsigmoid.apply, input)
    return Hardsigmoid.apply(_float(input, "hardsigmoid"))


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    if inplace:
        return _inplace(Hardswish.apply, input)
    return Hardswish.apply(_float(input, "hardswish"))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, linear where beta * x > threshold."""
    return Softplus.apply(_float(input, "softplus"), beta, threshold)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return Softsign.apply(_float(input, "softsign"))


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return P.sub(input, P.tanh(input))


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else ``value``."""
    if inplace:
        return threshold_(input, threshold, value)
    return Threshold.apply(input, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _inplace(lambda t: Threshold.apply(t, threshold, value), input)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    return Hardshrink.apply(_float(input, "hardshrink"), lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd * sign(x) where |x| > lambd, else 0."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return Softshrink.apply(_float(input, "softshrink"), lambd)


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
