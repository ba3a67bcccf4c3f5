"""Fractional max pooling (Graham, 2014): ``fractional_max_pool2d``.

Each plane draws u = (u_w, u_h) in [0, 1); along an axis of input size n, output size m and pool
size k, window i starts at floor((i + u) a) - floor(u a) with a = (n - k) / (m - 1) (computed in the
input's dtype, as torch does), the last window at n - k. y = max over each k_h x k_w window;
dx = dy routed to the window's argmax (first maximum; a NaN wins, the last one).
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Op

__all__ = ["fractional_max_pool2d", "fractional_max_pool2d_with_indices"]


def _starts(u, n_in, n_out, k):
    """Window starts per plane: u (P,) -> (P, n_out) int64."""
    dt = u.dtype.type
    seq = np.empty(u.shape + (n_out,), dtype=np.int64)
    if n_out > 1:
        alpha = dt(n_in - k) / dt(n_out - 1)
        i = np.arange(n_out - 1, dtype=u.dtype)
        seq[..., :-1] = ((i + u[..., None]) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)[..., None]
    seq[..., -1] = n_in - k
    return seq


class FractionalMaxPool2d(Op):
    """y[p, i, j] = max of x[p] over the window at (rows[p, i], cols[p, j]);  dx = dy scattered to the argmax."""

    _node_name = "FractionalMaxPool2DBackward0"

    @staticmethod
    def forward(ctx, x, kernel, out_size, samples):
        n, c, h, w = x.shape
        (kh, kw), (oh, ow) = kernel, out_size
        u = samples[:n].reshape(n * c, 2)
        rows = _starts(u[:, 1], h, oh, kh)[:, :, None] + np.arange(kh)  # (P, oh, kh)
        cols = _starts(u[:, 0], w, ow, kw)[:, :, None] + np.arange(kw)  # (P, ow, kw)
        flat = rows[:, :, None, :, None] * w + cols[:, None, :, None, :]  # (P, oh, ow, kh, kw)
        flat = flat.reshape(n * c, oh, ow, kh * kw)
        windows = np.take_along_axis(x.reshape(n * c, 1, 1, h * w), flat.reshape(n * c, 1, 1, -1), axis=3)
        windows = windows.reshape(flat.shape)
        nan = np.isnan(windows)
        pick = np.argmax(windows, axis=-1)
        if nan.any():
            last_nan = kh * kw - 1 - np.argmax(nan[..., ::-1], axis=-1)
            pick = np.where(nan.any(-1), last_nan, pick)
        index = np.take_along_axis(flat, pick[..., None], axis=-1)[..., 0]  # (P, oh, ow) into h * w
        y = np.take_along_axis(windows, pick[..., None], axis=-1)[..., 0]
        ctx.meta = (x.shape, index)
        return y.reshape(n, c, oh, ow), index.reshape(n, c, oh, ow)

    @staticmethod
    def backward(ctx, g, _gi=None):
        if isinstance(g, Tensor):
            raise RuntimeError("fractional_max_pool2d: double backward (create_graph=True) is not implemented in ember")
        shape, index = ctx.meta
        n, c, h, w = shape
        planes = np.arange(n * c)[:, None, None] * (h * w)
        gx = np.bincount((planes + index).ravel(), weights=g.reshape(index.shape).ravel(), minlength=n * c * h * w)
        return gx.astype(g.dtype).reshape(shape), None, None, None


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples: Tensor | None = None):
    """``fractional_max_pool2d`` returning ``(output, indices)`` always (indices flat into H * W)."""
    import ember

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
    _, c, h, w = x.shape
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f"\"check_uniform_bounds\" not implemented for '{x.dtype.name.capitalize()}'")
    if _random_samples is None:
        _random_samples = ember.rand(x.shape[0], c, 2, dtype=x.dtype)
    s = _random_samples
    if s.dim() != 3 or s.shape[2] != 2:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to 2; got {s.shape[2] if s.dim() == 3 else s.dim()}.")
    if s.shape[0] < x.shape[0]:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if s.shape[1] != c:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if s.dtype != x.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if oh + kh - 1 > h:
        raise RuntimeError(f"fractional_max_pool2d(): pool height {kh} too large relative to input height {h}")
    if ow + kw - 1 > w:
        raise RuntimeError(f"fractional_max_pool2d(): pool width {kw} too large relative to input width {w}")
    y, idx = FractionalMaxPool2d.apply(x, (kh, kw), (oh, ow), s._data)
    if unbatched:
        y, idx = y.squeeze(0), idx.squeeze(0)
    return y, idx


def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None, return_indices: bool = False,
                          _random_samples: Tensor | None = None):
    """Fractional max pooling over (N, C, H, W) or (C, H, W) to ``output_size`` (or ``output_ratio`` of the input)."""
    y, idx = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio, return_indices, _random_samples)
    return (y, idx) if return_indices else y
