"""Fractional max pooling (Graham, 2014): ``fractional_max_pool2d``.

Each plane draws u = (u_w, u_h) in [0, 1); along an axis of input size n, output size m and pool
size k, window i starts at floor((i + u) a) - floor(u a) with a = (n - k) / (m - 1) (computed in the
input's dtype, as torch does), the last window at n - k. y = max over each k_h x k_w window;
dx = dy routed to the window's argmax (first maximum; a NaN wins, the last one).
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import array_module
from .._creation import rand
from .._tensor import Tensor
from ..autograd.function import Op
from ._common import first_order_only

__all__ = ["fractional_max_pool2d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
           "fractional_max_pool3d_with_indices"]


def _starts(u, n_in, n_out, k):
    """Window starts per plane: u (P,) -> (P, n_out) int64."""
    xp = array_module(u)
    dt = u.dtype.type
    seq = xp.empty(u.shape + (n_out,), dtype=np.int64)
    if n_out > 1:
        alpha = dt(n_in - k) / dt(n_out - 1)
        i = xp.arange(n_out - 1, dtype=u.dtype)
        seq[..., :-1] = ((i + u[..., None]) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)[..., None]
    seq[..., -1] = n_in - k
    return seq


class FractionalMaxPool(Op):
    """y[p, o] = max of x[p] over the window starting at (starts[p, o]) (2-D or 3-D);
    dx = dy scattered to each window's argmax."""

    _node_name = "FractionalMaxPool2DBackward0"

    @staticmethod
    def forward(ctx, x, kernel, out_size, samples, sample_axis):
        xp = array_module(x, samples)
        n, c = x.shape[:2]
        spatial = x.shape[2:]
        k = len(spatial)
        p = n * c
        u = samples[:n].reshape(p, k)
        strides = [math.prod(spatial[d + 1 :]) for d in range(k)]
        flat = xp.zeros((p,) + tuple(out_size) + tuple(kernel), dtype=np.int64)
        for d in range(k):  # window offsets along axis d, broadcast into (P, *out, *kernel)
            pos = _starts(u[:, sample_axis[d]], spatial[d], out_size[d], kernel[d])[:, :, None] + xp.arange(kernel[d])
            shape = [p] + [1] * (2 * k)
            shape[1 + d], shape[1 + k + d] = out_size[d], kernel[d]
            flat = flat + pos.reshape(shape) * strides[d]
        flat = flat.reshape((p,) + tuple(out_size) + (-1,))
        size = math.prod(spatial)
        windows = xp.take_along_axis(x.reshape(p, size), flat.reshape(p, -1), axis=1).reshape(flat.shape)
        nan = xp.isnan(windows)
        pick = xp.argmax(windows, axis=-1)
        if nan.any():
            last_nan = flat.shape[-1] - 1 - xp.argmax(nan[..., ::-1], axis=-1)
            pick = xp.where(nan.any(-1), last_nan, pick)
        index = xp.take_along_axis(flat, pick[..., None], axis=-1)[..., 0]  # (P, *out) into the flat plane
        y = xp.take_along_axis(windows, pick[..., None], axis=-1)[..., 0]
        ctx.meta = (x.shape, index)
        return y.reshape((n, c) + tuple(out_size)), index.reshape((n, c) + tuple(out_size))

    @staticmethod
    def backward(ctx, g, _gi=None):
        xp = array_module(g, ctx.meta[1])
        first_order_only("fractional_max_pool", g)
        shape, index = ctx.meta
        size = math.prod(shape[2:])
        p = index.shape[0]
        planes = xp.arange(p).reshape((p,) + (1,) * (index.ndim - 1)) * size
        gx = xp.bincount((planes + index).ravel(), weights=g.reshape(index.shape).ravel(), minlength=p * size)
        return gx.astype(g.dtype).reshape(shape), None, None, None, None


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _check_samples(s, x, k):
    if s.dim() != 3 or s.shape[2] != k:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {k}; got {s.shape[2] if s.dim() == 3 else s.dim()}.")
    if s.shape[0] < x.shape[0]:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if s.shape[1] != x.shape[1]:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if s.dtype != x.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")


def _samples(x, k: int, given):
    """The per-plane offsets u (N, C, k): drawn uniformly in [0, 1) unless ``given`` (then checked)."""
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f"\"check_uniform_bounds\" not implemented for '{x.dtype.name.capitalize()}'")
    if given is None:
        return rand(x.shape[0], x.shape[1], k, dtype=x.dtype)
    _check_samples(given, x, k)
    return given


def _pool(x, kernel, out, samples, sample_axis, unbatched: bool):
    y, idx = FractionalMaxPool.apply(x, kernel, out, samples._data, sample_axis)
    return (y.squeeze(0), idx.squeeze(0)) if unbatched else (y, idx)


def _triple(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v, v)


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples: Tensor | None = None):
    """``fractional_max_pool2d`` returning ``(output, indices)`` always (indices flat into H * W)."""
    if output_size is None and output_ratio is None:
        raise ValueError("fractional_max_pool2d requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if not isinstance(output_ratio, (tuple, list)):
            raise TypeError(f"object of type '{type(output_ratio).__name__}' has no len()")
        ratio = _pair(output_ratio)
        output_size = [int(input.size(-2) * ratio[0]), int(input.size(-1) * ratio[1])]
    kh, kw = _pair(kernel_size)
    oh, ow = _pair(output_size)
    unbatched = input.dim() == 3
    if input.dim() not in (3, 4):
        raise RuntimeError(f"fractional_max_pool2d(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    x = input.unsqueeze(0) if unbatched else input
    h, w = x.shape[2:]
    s = _samples(x, 2, _random_samples)
    if oh + kh - 1 > h:
        raise RuntimeError(f"fractional_max_pool2d(): pool height {kh} too large relative to input height {h}")
    if ow + kw - 1 > w:
        raise RuntimeError(f"fractional_max_pool2d(): pool width {kw} too large relative to input width {w}")
    return _pool(x, (kh, kw), (oh, ow), s, (1, 0), unbatched)  # samples hold (u_w, u_h)


def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None, return_indices: bool = False,
                          _random_samples: Tensor | None = None):
    """Fractional max pooling over (N, C, H, W) or (C, H, W) to ``output_size`` (or ``output_ratio`` of the input)."""
    y, idx = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio, return_indices, _random_samples)
    return (y, idx) if return_indices else y


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples: Tensor | None = None):
    """``fractional_max_pool3d`` returning ``(output, indices)`` always (indices flat into T * H * W)."""
    if output_size is None and output_ratio is None:
        raise ValueError("fractional_max_pool3d requires specifying either an output_size or an output_ratio")
    if output_size is None:
        ratio = _triple(output_ratio)
        output_size = [int(input.size(-3) * ratio[0]), int(input.size(-2) * ratio[1]), int(input.size(-1) * ratio[2])]
    kernel = _triple(kernel_size)
    out = _triple(output_size)
    if input.dim() not in (4, 5):
        raise RuntimeError(f"fractional_max_pool3d_out(): Expected 4D or 5D tensor, but got: {list(input.shape)}")
    unbatched = input.dim() == 4
    x = input.unsqueeze(0) if unbatched else input
    spatial = x.shape[2:]
    s = _samples(x, 3, _random_samples)
    for name, kk, o, n in zip(("time", "height", "width"), kernel, out, spatial):
        if o + kk - 1 >= n:  # torch's 3-D check is strict (the 2-D one is not)
            raise RuntimeError(f"fractional_max_pool3d_out(): pool {name} {kk} too large relative to input {name} {n}")
    return _pool(x, kernel, out, s, (0, 1, 2), unbatched)  # samples hold (u_t, u_h, u_w)


def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None, return_indices: bool = False,
                          _random_samples: Tensor | None = None):
    """Fractional max pooling over (N, C, T, H, W) or (C, T, H, W)."""
    y, idx = fractional_max_pool3d_with_indices(input, kernel_size, output_size, output_ratio, return_indices, _random_samples)
    return (y, idx) if return_indices else y
