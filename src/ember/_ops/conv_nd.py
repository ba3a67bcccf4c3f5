"""N-d convolution Ops on the channels-last kernels of ``conv_nd_kernels.py``: ``ConvNd`` (every 3-D
convolution, and the 1-D/2-D ones with many channels per group) and ``ConvTransposeNd``, with their
double backward written as differentiable ops."""

from __future__ import annotations

from .._backend import array_module, is_array
from .._tensor import Tensor
from ..autograd.function import Op
from .conv_nd_kernels import GeomN, conv_backward_full, conv_forward, conv_input_grad, conv_weight_grad, full_geom, w_rows
from .index import getitem
from .reduce import sum as _sum
from .shape import reshape, transpose

__all__ = ["ConvNd", "ConvOp", "ConvTransposeNd", "GeomN", "bias_grad", "double_backward", "weight_grad"]


class ConvOp(Op):
    """What every convolution Op shares (ConvNd and ConvTransposeNd here, conv.py's 2-D pair): forward(ctx, x,
    w, b, geom) keeps x, w and the geometry, and ``ctx.kept``, what it computed that the first backward reuses;
    backward gives db, and under create_graph all three gradients as the pair's differentiable ops
    (``double_backward``). A subclass names ``pair`` (its convolution and transposed convolution), whether it
    is the ``transposed`` one, and gives ``grads``: dx and dW on arrays."""

    transposed = False
    pair: tuple = ()

    @staticmethod
    def _keep(ctx, x, w, geom, kept=None):
        ctx.geom, ctx.kept = geom, kept
        ctx.save_for_backward(x, w)

    @classmethod
    def backward(cls, ctx, dy):
        x, w = ctx.saved_tensors
        g = ctx.geom
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        kept, ctx.kept = ctx.kept, None  # for one backward only; another rebuilds it
        if not is_array(dy):
            return double_backward(g, x, w, dy, (need_x, need_w, need_b), cls.transposed, *cls.pair)
        gx, gw = cls.grads(dy, x, w, g, kept, need_x, need_w)
        return gx, gw, (bias_grad(dy) if need_b else None), None


class ConvNd(ConvOp):
    """y = conv(x, w) + b (channels-last im2col + GEMM);  dx = col2im(dy W), dW = dy^T cols, db = sum dy."""

    _node_name = "ConvolutionBackward0"  # a node name is a class's own, never inherited

    @staticmethod
    def forward(ctx, x, w, b, geom):
        wr = w_rows(w, geom)  # kept for dx (one strided transpose of the weight less)
        ConvOp._keep(ctx, x, w, geom, wr)
        return conv_forward(x, w, b, geom, wt=array_module(wr).swapaxes(wr, 1, 2))

    @staticmethod
    def grads(dy, x, w, g, wr, need_x, need_w):
        full = full_geom(g) if need_x and need_w and g.n else None
        if full is not None:
            return conv_backward_full(x, dy, wr if wr is not None else w_rows(w, g), g, full, w.shape)
        gx = conv_input_grad(dy, w, g, wr) if need_x else None
        gw = conv_weight_grad(x, dy, g, w.shape) if need_w else None
        return gx, gw


class ConvTransposeNd(ConvOp):
    """y = col2im(x W) + b, the adjoint of the convolution ``geom`` (from y to x);  dx = conv(dy, w),
    dW = x^T im2col(dy)."""

    _node_name = "ConvolutionBackward0"
    transposed = True

    @staticmethod
    def forward(ctx, x, w, b, geom):
        ConvOp._keep(ctx, x, w, geom)
        y = conv_input_grad(x, w, geom)
        if b is not None:
            y += b.reshape((1, -1) + (1,) * geom.nd)
        return y

    @staticmethod
    def grads(dy, x, w, g, kept, need_x, need_w):
        gx = conv_forward(dy, w, None, g) if need_x else None
        gw = conv_weight_grad(dy, x, g, w.shape) if need_w else None
        return gx, gw


ConvNd.pair = ConvTransposeNd.pair = (ConvNd, ConvTransposeNd)


def bias_grad(dy):
    """db = sum of dy over every axis but the channels: one einsum pass (faster than sum over axes)."""
    return array_module(dy).einsum("nc" + "dhw"[3 - (dy.ndim - 2):] + "->c", dy)


# -- double backward (create_graph): the first-order gradients written as differentiable ops ------------


def double_backward(g, x, w, dy, needs, transposed: bool, conv, conv_t):
    """The first-order gradients of a convolution (``conv``) or of its adjoint (``conv_t``, when
    ``transposed``) written with differentiable ops, for a backward under create_graph. ``g`` is the
    geometry both Ops take (``GeomN`` here, the 2-D ``Geom`` for conv.py's), ``needs`` the three
    needs_input_grad flags."""
    need_x, need_w, need_b = needs
    x, w = _tensor(x), _tensor(w)
    gb = _sum(dy, (0, *range(2, dy.ndim))) if need_b else None
    gx = gw = None
    if transposed:  # y = convT(x): dx = conv(dy), dW as the weight gradient of conv(dy) with output x
        if need_x:
            gx = conv.apply(dy, w, None, g)
        if need_w:
            gw = weight_grad(dy, x, g, tuple(w.shape), conv)
    else:
        if need_x:
            gx = conv_t.apply(dy, w, None, g)
        if need_w:
            gw = weight_grad(x, dy, g, tuple(w.shape), conv)
    return gx, gw, gb, None


def _tensor(a):
    return a if isinstance(a, Tensor) else Tensor._wrap(a)


def weight_grad(x, dy, g, wshape, conv=ConvNd):
    """dW[o, c, k] = sum_{n, i} dy[n, o, i] xp[n, c, i s + k d], differentiable in x and dy: a
    convolution ``conv`` of x (channels as batch) with dy (batch as channels), stride and dilation
    swapped (``g.weight_grad_geom()``)."""
    groups, n, c = g.groups, g.n, g.c
    cg = c // groups
    sp = tuple(x.shape[2:])
    xt = transpose(reshape(x, (n, groups, cg, *sp)), 0, 2)  # (cg, G, n, *S)
    xt = reshape(xt, (cg, groups * n, *sp))
    dyt = transpose(dy, 0, 1)  # (O, n, *out): group k of O pairs with input channels (k, n)
    out = conv.apply(xt, dyt, None, g.weight_grad_geom())  # (cg, O, *K') with K' >= K
    out = getitem(out, (slice(None), slice(None)) + tuple(slice(0, k) for k in wshape[2:]))
    return transpose(out, 0, 1)
