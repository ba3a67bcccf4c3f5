"""Normalization: batch_norm, layer_norm, group_norm, instance_norm, local_response_norm, normalize.

Batch, layer and group norm are each one fused Op whose backward is the closed form

    xhat = (x - mean) / sqrt(var + eps),  y = xhat * w + b
    dx = w / sqrt(var + eps) * (dy - mean(dy) - xhat * mean(dy * xhat))   (means over the normalized set)
    dw = sum(dy * xhat),  db = sum(dy)

with per-channel reductions done by ``einsum`` (a single SIMD pass, no temporaries): each Op
names its normalized set by einsum subscripts (batch norm ``"ncl->c"``, layer norm ``"rd->r"``,
group norm ``"ngcl->ng"``) and shares ``_standardize`` / ``_dx`` below. Under ``create_graph``
the backward is recomposed from differentiable ops instead (``_graph_xhat`` / ``_graph_dx``).
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Op
from .pointwise import clamp_min, div as _div, rsqrt
from .pool import avg_pool2d
from .reduce import mean as _mean, norm as _vector_norm, sum as _sum
from .resample import pad
from .shape import reshape, squeeze, unsqueeze

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm", "normalize", "rms_norm"]


def _scalar(dtype, value):
    return dtype.type(value)


def _affine(xhat, w, b, shape):
    """y = xhat * w + b as a fresh array (either may be None), w and b reshaped to ``shape`` to
    broadcast over xhat."""
    w = None if w is None else w.reshape(shape)
    b = None if b is None else b.reshape(shape)
    if w is None:
        return xhat.copy() if b is None else xhat + b
    y = xhat * w
    if b is not None:
        y += b
    return y


def _stats_index(sub: str):
    """The index that broadcasts a statistic of einsum ``sub`` ("ngcl->ng") back over its input."""
    ins, out = sub.split("->")
    return tuple(slice(None) if a in out else None for a in ins)


def _standardize(x, eps, sub: str, scale: bool = True):
    """mean, biased var, 1/sqrt(var + eps) over the normalized set of einsum ``sub``, and xhat (a
    fresh array; without ``scale`` the centred x - mean, one pass less): two reductions and two or
    three passes over x, in x's dtype."""
    xp = array_module(x)
    ins, out = sub.split("->")
    dt = x.dtype
    idx = _stats_index(sub)
    mean = xp.einsum(sub, x)
    cnt = _scalar(dt, x.size // max(mean.size, 1))
    mean /= cnt
    xc = x - mean[idx]
    var = xp.einsum(f"{ins},{ins}->{out}", xc, xc) / cnt
    invstd = 1 / xp.sqrt(var + _scalar(dt, eps))
    return mean, var, invstd, xp.multiply(xc, invstd[idx], out=xc) if scale else xc


def _dx(g, xhat, invstd, sub: str):
    """dx = invstd * (g - mean(g) - xhat * mean(g * xhat)), means over the normalized set of einsum
    ``sub``; g = dy * w (the weight applied elementwise)."""
    xp = array_module(g, xhat)
    ins, out = sub.split("->")
    idx = _stats_index(sub)
    cnt = _scalar(xhat.dtype, xhat.size // max(invstd.size, 1))
    sg = xp.einsum(sub, g) / cnt
    sgx = xp.einsum(f"{ins},{ins}->{out}", g, xhat) / cnt
    gx = g - sg[idx]
    gx -= xhat * sgx[idx]
    gx *= invstd[idx]
    return gx


def _graph_xhat(x, dims, eps):
    """xhat and 1/std over ``dims`` as differentiable ops (for a backward under create_graph)."""
    xc = x - _mean(x, dims, keepdim=True)
    invstd = rsqrt(_mean(xc * xc, dims, keepdim=True) + eps)
    return xc * invstd, invstd


def _graph_dx(g, xhat, invstd, dims):
    """``_dx`` as differentiable ops."""
    return invstd * (g - _mean(g, dims, keepdim=True) - xhat * _mean(g * xhat, dims, keepdim=True))


def _param_shape(sub: str, params: str, shape) -> tuple:
    """The shape that broadcasts w or b (running along the ``params`` letters of einsum ``sub``) over a view of ``shape``."""
    return tuple(s if a in params else 1 for a, s in zip(sub.split("->")[0], shape))


class _Normalize(Op):
    """Batch, layer and group norm: x viewed so that the normalized set is einsum ``sub`` ("ngcl->ng"), w and b
    running along its ``params`` letters ("gc"). Backward is the closed form (``_grads``, per norm), or under
    create_graph the same gradients recomposed from differentiable ops."""

    sub = params = ""

    @classmethod
    def backward(cls, ctx, dy):
        x, w, b = ctx.saved_tensors
        needs = ctx.needs_input_grad[:3]
        rest = (None,) * (len(ctx.needs_input_grad) - 3)  # eps, shapes and the like
        if isinstance(dy, Tensor):
            return (*_graph_grads(dy, x, w, b, ctx.view, ctx.eps, cls.sub, cls.params, needs), *rest)
        return (*cls._grads(ctx, dy, x, w, b, needs), *rest)


def _graph_grads(dy, x, w, b, view, eps, sub: str, params: str, needs):
    """dx, dw, db of a ``_Normalize`` from differentiable ops (create_graph=True)."""
    ins, out = sub.split("->")
    norm_dims = tuple(i for i, a in enumerate(ins) if a not in out)
    sum_dims = tuple(i for i, a in enumerate(ins) if a not in params)
    need_x, need_w, need_b = needs
    dyv = dy.reshape(view)
    xhat, invstd = _graph_xhat(x.reshape(view), norm_dims, eps)
    gx = gw = gb = None
    if need_w:
        gw = _sum(dyv * xhat, sum_dims).reshape(w.shape)
    if need_b:
        gb = _sum(dyv, sum_dims).reshape(b.shape)
    if need_x:
        g = dyv * w.reshape(_param_shape(sub, params, view)) if w is not None else dyv
        gx = _graph_dx(g, xhat, invstd, norm_dims).reshape(x.shape)
    return gx, gw, gb


class _Standardized(_Normalize):
    """Layer and group norm: xhat kept for backward, dx from ``_dx``."""

    @classmethod
    def _forward(cls, ctx, x, w, b, eps, view):
        _, _, invstd, xhat = _standardize(x.reshape(view), eps, cls.sub)
        y = _affine(xhat, w, b, _param_shape(cls.sub, cls.params, xhat.shape))
        ctx.save_for_backward(x, w, b)
        ctx.xhat, ctx.invstd, ctx.view, ctx.eps = xhat, invstd, xhat.shape, eps
        return y.reshape(x.shape)

    @classmethod
    def _grads(cls, ctx, dy, x, w, b, needs):
        need_x, need_w, need_b = needs
        xhat, invstd = ctx.xhat, ctx.invstd
        dyv = dy.reshape(xhat.shape)
        xp = array_module(dyv, xhat)
        ins = cls.sub.split("->")[0]
        gx = gw = gb = None
        if need_w:
            gw = xp.einsum(f"{ins},{ins}->{cls.params}", dyv, xhat).reshape(w.shape)
        if need_b:
            gb = xp.einsum(f"{ins}->{cls.params}", dyv).reshape(b.shape)
        if need_x:
            g = dyv * w.reshape(_param_shape(cls.sub, cls.params, xhat.shape)) if w is not None else dyv
            gx = _dx(g, xhat, invstd, cls.sub).reshape(x.shape)
        return gx, gw, gb


class _EmptyNorm(Op):
    """Any normalization of an input with no elements: y = x (empty); dL/dw = dL/db = 0, as in PyTorch.

    Statistics of nothing are undefined (0/0); nothing reads them, and running statistics stay unchanged.
    """

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.shapes = tuple(None if a is None else (a.shape, a.dtype) for a in (x, w, b))
        return x.copy()

    @staticmethod
    def backward(ctx, dy):
        xp = array_module(dy._data if isinstance(dy, Tensor) else dy)
        grads = tuple(None if m is None else xp.zeros(*m) for m in ctx.shapes)
        if isinstance(dy, Tensor):
            return tuple(None if g is None else Tensor._wrap(g) for g in grads)
        return grads


def _empty_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    return _EmptyNorm.apply(input, weight, bias)


# -- batch norm -------------------------------------------------------------------------------------------


class BatchNorm(_Normalize):
    """Batch statistics over (N, *spatial) per channel; the closed-form backward above.

    forward(x3, w, b, eps) on x viewed as (N, C, L); returns y and keeps x - mean and 1/std: y is
    (x - mean) * (w / std) + b, so xhat = (x - mean) / std is never written out (one pass less).
    """

    _node_name = "NativeBatchNormBackward0"
    sub, params = "ncl->c", "c"

    @staticmethod
    def forward(ctx, x, w, b, eps, shape, running):
        n, c, l = x.shape
        m = n * l
        mean, var, invstd, xc = _standardize(x, eps, "ncl->c", scale=False)
        y = _affine(xc, invstd if w is None else invstd * w, b, (-1, 1))
        ctx.save_for_backward(x, w, b)
        ctx.xc, ctx.invstd, ctx.m, ctx.view, ctx.eps = xc, invstd, m, x.shape, eps
        if running is not None:
            _update_running(*running, mean, var, m)
        return y.reshape(shape)

    @staticmethod
    def _grads(ctx, dy, x, w, b, needs):
        need_x, need_w, need_b = needs
        xc, invstd, m = ctx.xc, ctx.invstd, ctx.m
        dy3 = dy.reshape(xc.shape)
        dt = xc.dtype
        xp = array_module(dy3, xc)
        sdy = xp.einsum("ncl->c", dy3)
        sdyx = xp.einsum("ncl,ncl->c", dy3, xc) * invstd  # sum dy * xhat
        gx = None
        if need_x:
            k = invstd if w is None else invstd * w
            gx = dy3 * k[:, None]
            gx -= xc * (k * invstd * sdyx / _scalar(dt, m))[:, None]
            gx -= (k * sdy / _scalar(dt, m))[:, None]
            gx = gx.reshape(x.shape)
        return gx, (sdyx if need_w else None), (sdy if need_b else None)


class _Affine(Op):
    """Evaluation-mode batch norm: y = x * scale + shift per channel, scale = w / sqrt(rv + eps)."""

    _node_name = "NativeBatchNormBackward0"

    @staticmethod
    def forward(ctx, x, w, b, rmean, rvar, eps):
        dt = x.dtype
        invstd = 1 / array_module(x, rvar).sqrt(rvar.astype(dt) + _scalar(dt, eps))
        scale = invstd if w is None else invstd * w
        shift = -rmean.astype(dt) * scale
        if b is not None:
            shift = shift + b
        y = x * scale[:, None]
        y += shift[:, None]
        ctx.save_for_backward(x, w)
        ctx.consts = (rmean.astype(dt), invstd, scale)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        rmean, invstd, scale = ctx.consts
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if isinstance(dy, Tensor):
            inv = Tensor._wrap(invstd.reshape(1, -1, 1))
            xhat = (x - Tensor._wrap(rmean.reshape(1, -1, 1))) * inv
            gx = dy * (inv if w is None else inv * w.reshape(1, -1, 1)) if need_x else None
            gw = _sum(dy * xhat, (0, 2)) if need_w else None
            gb = _sum(dy, (0, 2)) if need_b else None
            return gx, gw, gb, None, None, None
        xp = array_module(dy, x)
        gx = dy * scale[:, None] if need_x else None
        gw = gb = None
        if need_w:
            xhat = (x - rmean[:, None]) * invstd[:, None]
            gw = xp.einsum("ncl,ncl->c", dy, xhat)
        if need_b:
            gb = xp.einsum("ncl->c", dy)
        return gx, gw, gb, None, None, None


def _check_vector(name: str, t, c: int):
    if t is not None and t._data.size != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t._data.size}")


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float | None = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel (dim 1) over the batch and spatial dims.

    In training, batch statistics are used and the running statistics (if given) are
    updated in place: ``r = (1 - momentum) r + momentum * stat`` with the unbiased variance.
    Otherwise the running statistics are used.
    """
    x = input._data
    if x.ndim < 2:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    if training and x.shape[0] * math.prod(x.shape[2:]) == 1:  # checked first, from the shape alone
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {_size(x.shape)}")
    if x.size == 0:  # PyTorch checks nothing more for an empty input (not even the channel count)
        return _empty_norm(input, weight, bias)
    c = x.shape[1]
    _check_vector("running_mean", running_mean, c)
    _check_vector("running_var", running_var, c)
    _check_vector("weight", weight, c)
    _check_vector("bias", bias, c)
    n = x.shape[0]
    l = math.prod(x.shape[2:])
    if training:
        running = (running_mean, running_var, momentum) if running_mean is not None or running_var is not None else None
        return BatchNorm.apply(reshape(input, (n, c, l)), weight, bias, eps, x.shape, running)
    if running_mean is None or running_var is None:
        raise RuntimeError(f"running_{'mean' if running_mean is None else 'var'} must be defined in evaluation mode")
    x3 = reshape(input, (n, c, l))
    return reshape(_Affine.apply(x3, weight, bias, running_mean._data, running_var._data, eps), x.shape)


def _update_running(running_mean, running_var, momentum, mean, var, count):
    if momentum is None:
        momentum = 0.0
    mom = float(momentum)
    if running_mean is not None:
        rm = running_mean._data
        rm *= rm.dtype.type(1 - mom)
        rm += (mom * mean).astype(rm.dtype)
        running_mean._bump_version()
    if running_var is not None:
        rv = running_var._data
        unbiased = var * (count / (count - 1)) if count > 1 else var
        rv *= rv.dtype.type(1 - mom)
        rv += (mom * unbiased).astype(rv.dtype)
        running_var._bump_version()


def _size(shape) -> str:
    return f"torch.Size([{', '.join(str(s) for s in shape)}])"


# -- layer norm --------------------------------------------------------------------------------------------


class LayerNorm(_Standardized):
    """Statistics over the trailing normalized dims of each row; closed-form backward."""

    _node_name = "NativeLayerNormBackward0"
    sub, params = "rd->r", "d"

    @classmethod
    def forward(cls, ctx, x, w, b, eps, d):
        return cls._forward(ctx, x, w, b, eps, (-1, d))


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing ``normalized_shape`` dims, then scale and shift elementwise."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    x = input._data
    k = len(normalized_shape)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k :]) != normalized_shape:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape [*, {', '.join(map(str, normalized_shape))}], "
            f"but got input of size{list(x.shape)}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t._data.shape) != normalized_shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape {list(t._data.shape)} "
                f"and normalized_shape = {list(normalized_shape)}"
            )
    d = math.prod(normalized_shape)
    if x.size == 0:
        return _empty_norm(input, weight, bias)
    return LayerNorm.apply(input, weight, bias, eps, d)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """y = x / sqrt(mean(x^2) + eps) * w over the trailing dims (composed of differentiable ops)."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    k = len(normalized_shape)
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(-k, 0))
    out = input * rsqrt(_mean(input * input, dims, keepdim=True) + eps)
    return out * weight if weight is not None else out


# -- group norm -------------------------------------------------------------------------------------------------


class GroupNorm(_Standardized):
    """Statistics per (sample, group of channels); affine per channel; closed-form backward."""

    _node_name = "NativeGroupNormBackward0"
    sub, params = "ngcl->ng", "gc"

    @classmethod
    def forward(cls, ctx, x, w, b, groups, eps):
        n, c = x.shape[:2]
        return cls._forward(ctx, x, w, b, eps, (n, groups, c // groups, -1))


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over groups of channels of each sample, then scale and shift per channel."""
    x = input._data
    if x.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {x.ndim}")
    c = x.shape[1]
    # PyTorch's F.group_norm checks this first, as batch norm over (N*C/G, G, *spatial) would
    if num_groups > 0 and x.shape[0] * c // num_groups * math.prod(x.shape[2:]) == 1:
        raise ValueError("Expected more than 1 value per channel when training, got input size "
                         f"{[x.shape[0] * c // num_groups, num_groups, *x.shape[2:]]}")
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input of shape {list(x.shape)} and num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t._data.ndim != 1 or t._data.shape[0] != c):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in input, but got {name} of shape "
                f"{list(t._data.shape)} and input of shape {list(x.shape)}"
            )
    if x.size == 0:
        return _empty_norm(input, weight, bias)
    return GroupNorm.apply(input, weight, bias, int(num_groups), eps)


# -- instance norm -------------------------------------------------------------------------------------------


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel of each sample over its spatial dims (group norm with one channel
    per group); running statistics are averaged over the batch like PyTorch's."""
    x = input._data
    if x.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {x.ndim} dimensions)" if x.ndim < 2 else
                         f"Expected more than 1 spatial element when training, got input size {_size(x.shape)}")
    n, c = x.shape[:2]
    l = math.prod(x.shape[2:])
    if use_input_stats and l == 1:  # PyTorch's F.instance_norm checks this first
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {_size(x.shape)}")
    if n == 0 and (running_mean is not None or running_var is not None):
        # PyTorch repeats the running statistics per sample and fails selecting sample 0 of none
        raise IndexError(f"instance_norm: running statistics cannot be used with an empty batch, got input size "
                         f"{_size(x.shape)}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    if x.size == 0:
        return _empty_norm(input, weight, bias)
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        _check_vector(name, t, c)
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    out = GroupNorm.apply(input, weight, bias, c, eps)
    if running_mean is not None or running_var is not None:
        mean, var, _, _ = _standardize(x.reshape(n, c, l), eps, "ncl->nc")
        _update_running(running_mean, running_var, momentum, mean.mean(0), var.mean(0), l)
    return out


# -- local response norm and normalize (composed) -------------------------------------------------------------


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """x / (k + alpha/size * sum of x^2 over ``size`` neighbouring channels)^beta."""
    x = input._data
    if x.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {x.ndim} dimensions)")
    if x.size == 0:
        return input
    div = input * input
    n, c = x.shape[:2]
    div = reshape(div, (n, 1, c, -1)) if x.ndim > 3 else unsqueeze(div, 1)
    div = pad(div, (0, 0, size // 2, (size - 1) // 2))
    div = squeeze(avg_pool2d(div, (size, 1), stride=1), 1)
    div = reshape(div, x.shape)
    return input / (div * alpha + k) ** beta


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """x / max(||x||_p over ``dim``, eps)."""
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{ {'int64': 'Long', 'int32': 'Int', 'bool': 'Bool', 'uint8': 'Byte'}.get(str(input._data.dtype), str(input._data.dtype))}")
    denom = clamp_min(_vector_norm(input, p, dim, keepdim=True), eps)
    if out is not None:
        return _div(input, denom, out=out)
    return input / denom

