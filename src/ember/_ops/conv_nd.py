"""N-d convolution Ops on the channels-last kernels of ``conv_nd_kernels.py``: ``ConvNd`` (every 3-D
convolution, and the 1-D/2-D ones with many channels per group) and ``ConvTransposeNd``, with their
double backward written as differentiable ops."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Op
from .conv_nd_kernels import GeomN, conv_backward_full, conv_forward, conv_input_grad, conv_weight_grad, full_geom, w_rows
from .index import getitem
from .reduce import sum as _sum
from .shape import reshape, transpose

__all__ = ["ConvNd", "ConvTransposeNd", "GeomN", "weight_grad"]


class ConvNd(Op):
    """y = conv(x, w) + b (channels-last im2col + GEMM);  dx = col2im(dy W), dW = dy^T cols, db = sum dy."""
    _node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        ctx.geom = geom
        ctx.save_for_backward(x, w)
        ctx.wr = w_rows(w, geom)  # reused by dx (one strided transpose of the weight less)
        return conv_forward(x, w, b, geom, wt=np.swapaxes(ctx.wr, 1, 2))

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        g = ctx.geom
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if not isinstance(dy, np.ndarray):
            return _double_backward(g, x, w, dy, need_x, need_w, need_b, transposed=False)
        wr, ctx.wr = ctx.wr, None
        gb = dy.sum(axis=(0, *range(2, dy.ndim))) if need_b else None
        full = full_geom(g) if need_x and need_w and g.n else None
        if full is not None:
            gx, gw = conv_backward_full(x, dy, wr if wr is not None else w_rows(w, g), g, full, w.shape)
            return gx, gw, gb, None
        gx = conv_input_grad(dy, w, g, wr) if need_x else None
        gw = conv_weight_grad(x, dy, g, w.shape) if need_w else None
        return gx, gw, gb, None


class ConvTransposeNd(Op):
    """y = col2im(x W) + b, the adjoint of the convolution ``geom`` (from y to x);  dx = conv(dy, w),
    dW = x^T im2col(dy)."""
    _node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        ctx.geom = geom
        ctx.save_for_backward(x, w)
        y = conv_input_grad(x, w, geom)
        if b is not None:
            y += b.reshape((1, -1) + (1,) * geom.nd)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        g = ctx.geom
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if not isinstance(dy, np.ndarray):
            return _double_backward(g, x, w, dy, need_x, need_w, need_b, transposed=True)
        gb = dy.sum(axis=(0, *range(2, dy.ndim))) if need_b else None
        gx = conv_forward(dy, w, None, g) if need_x else None
        gw = conv_weight_grad(dy, x, g, w.shape) if need_w else None
        return gx, gw, gb, None


# -- double backward (create_graph): the first-order gradients written as differentiable ops ------------


def _double_backward(g, x, w, dy, need_x, need_w, need_b, transposed: bool):
    def t(a):
        return a if isinstance(a, Tensor) else Tensor._wrap(a)

    gb = _sum(dy, (0, *range(2, 2 + g.nd))) if need_b else None
    gx = gw = None
    if transposed:  # y = convT(x): dx = conv(dy), dW as the weight gradient of conv(dy) with output x
        if need_x:
            gx = ConvNd.apply(dy, t(w), None, g)
        if need_w:
            gw = weight_grad(dy, t(x), g, tuple(w.shape))
    else:
        if need_x:
            gx = ConvTransposeNd.apply(dy, t(w), None, g)
        if need_w:
            gw = weight_grad(t(x), dy, g, tuple(w.shape))
    return gx, gw, gb, None


def weight_grad(x, dy, g: GeomN, wshape):
    """dW[o, c, k] = sum_{n, i} dy[n, o, i] xp[n, c, i s + k d], differentiable in x and dy: a
    convolution of x (channels as batch) with dy (batch as channels), stride and dilation swapped."""
    groups, n, c, o = g.groups, g.n, g.c, g.o
    cg = c // groups
    xt = transpose(reshape(x, (n, groups, cg, *g.sp)), 0, 2)  # (cg, G, n, *S)
    xt = reshape(xt, (cg, groups * n, *g.sp))
    dyt = transpose(dy, 0, 1)  # (O, n, *out)
    geom = GeomN((cg, groups * n, *g.sp), g.out, g.d, g.pads, g.s, groups, o)
    out = ConvNd.apply(xt, dyt, None, geom)  # (cg, O, *K') with K' >= K
    out = getitem(out, (slice(None), slice(None)) + tuple(slice(0, k) for k in wshape[2:]))
    return transpose(out, 0, 1)
