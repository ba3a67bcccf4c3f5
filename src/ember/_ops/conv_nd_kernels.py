"""Kernels of the N-d convolutions (``conv_nd.py``): channels-last im2col, a few large GEMMs over the
whole batch. Pure array functions: no Tensor, no autograd.

Notation: input x (N, C, *S), weight w (O, C/G, *K), G groups, stride s, dilation d, pads
(lo, hi) per spatial dim (hi may be negative: the input is then cropped, which the transposed
convolutions' ``output_padding`` needs). P = N * prod(out) output pixels, Kg = prod(K) * C/G.

    cols[(n, i), g, (k, c)] = xp[n, i s + k d, g, c]     (im2col of the channels-last padded input)
    y[g]  = cols[:, g] @ W[g]^T          (P, Og)   one GEMM per group, batched over groups
    dW[g] = dy[g]^T @ cols[:, g]         (Og, Kg)  one GEMM over all pixels of the chunk
    dcols[:, g] = dy[g] @ W[g]           (P, Kg);  dx = col2im(dcols): one strided add per kernel offset

Why channels-last: every copy (padding, im2col, col2im) then moves runs of C/G contiguous
elements instead of runs of K, and the GEMMs see P (thousands of rows) as their long side --
OpenBLAS runs these 1.2-1.6x faster than the per-image (O, K) x (K, M) products on ResNet's
64-channel stage (benchmarks/gemm_peak.py has the ceiling). A 1x1 convolution without padding
skips im2col: its columns are the (strided) input itself, transposed.

The batch runs in chunks of images whose im2col matrix fits ``_CHUNK_BYTES``; chunks are
independent (forward and dx) or summed once each (dW), and run on ember's thread pool when
``ember.set_num_threads`` allows more than one thread (NumPy's GEMMs release the GIL).
"""

from __future__ import annotations

import itertools
import math

from .. import _threads
from .._backend import array_module
from ._bufpool import scratch

_CHUNK_BYTES = 1 << 24  # im2col bytes per chunk of images (16 MiB): big GEMMs, bounded temporaries


class GeomN:
    """Sizes of one N-d convolution x -> y (the forward direction)."""

    __slots__ = ("n", "c", "o", "groups", "sp", "k", "s", "d", "pads", "padded", "out", "nd", "kvol", "kg",
                 "m", "direct")

    def __init__(self, xshape, kshape, stride, pads, dilation, groups, out_channels):
        self.n, self.c = xshape[:2]
        self.sp = tuple(xshape[2:])
        self.nd = len(self.sp)
        self.o = out_channels
        self.groups = groups
        self.k, self.s, self.d = tuple(kshape), tuple(stride), tuple(dilation)
        self.pads = tuple(tuple(p) for p in pads)
        self.padded = tuple(n + lo + hi for n, (lo, hi) in zip(self.sp, self.pads))
        self.out = tuple((p - d * (k - 1) - 1) // s + 1 for p, k, s, d in zip(self.padded, self.k, self.s, self.d))
        self.kvol = math.prod(self.k)
        self.kg = self.kvol * (self.c // groups)
        self.m = math.prod(self.out)
        # columns straight from the input: no padding, so a strided view of x is the im2col matrix
        self.direct = self.kvol == 1 and all(lo == 0 and hi == 0 for lo, hi in self.pads)

    def weight_grad_geom(self) -> GeomN:
        """The convolution giving dW: x with channels as batch (C/G, G*N, *S) by dy with batch as
        channels, stride and dilation swapped."""
        cg = self.c // self.groups
        return GeomN((cg, self.groups * self.n, *self.sp), self.out, self.d, self.pads, self.s, self.groups, self.o)

    def chunk(self, itemsize: int) -> int:
        per_image = max(1, self.m * self.c * self.kvol * itemsize)
        size = max(1, min(self.n, _CHUNK_BYTES // per_image))
        workers = _threads.pool_size()
        if workers > 1 and self.n >= workers:  # at least one chunk per worker
            size = min(size, -(-self.n // workers))
        return size


# -- layout helpers (arrays only) ---------------------------------------------------------------------


def _copy_channels_last(dst, src) -> None:
    """dst (n, *S, C) = src (n, C, *S) moved channels-last. On large planes eight channels at a
    time: their rows then stay in cache while they are interleaved (measured 2.8x faster on
    64 x 32 x 32 images than one strided copy)."""
    xp = array_module(dst, src)
    c = src.shape[1]
    axes = (0, *range(2, src.ndim), 1)
    if c > 8 and math.prod(src.shape[2:]) >= 256:
        for j in range(0, c, 8):
            xp.copyto(dst[..., j : j + 8], src[:, j : j + 8].transpose(axes))
    else:
        xp.copyto(dst, src.transpose(axes))


def _pad_cl(x, g: GeomN, role: str):
    """x (n, C, *S) -> the zero-padded channels-last input (n, *padded, C) in scratch; negative
    trailing pads crop."""
    xp = array_module(x)
    n = x.shape[0]
    xpad = scratch(role, (n, *g.padded, g.c), x.dtype, xp)
    keep = tuple(min(size, p - lo) for size, p, (lo, _) in zip(g.sp, g.padded, g.pads))
    inner = tuple(slice(lo, lo + k) for (lo, _), k in zip(g.pads, keep))
    if any(lo or hi > 0 for lo, hi in g.pads) or any(k < size for k, size in zip(keep, g.sp)):
        xpad.fill(0)
    src = x[(slice(None), slice(None)) + tuple(slice(0, k) for k in keep)]
    _copy_channels_last(xpad[(slice(None),) + inner], src)
    return xpad


def _cols_view(xpad, g: GeomN, channels_last: bool):
    """The im2col matrix as a strided view (n, *out, G, *K, C/G) of xpad ((n, *padded, C) when
    ``channels_last``, else the unpadded (n, C, *S) input itself)."""
    xp = array_module(xpad)
    cg = g.c // g.groups
    if channels_last:
        sstr, cstr = xpad.strides[1:-1], xpad.strides[-1]
    else:
        sstr, cstr = xpad.strides[2:], xpad.strides[1]
    shape = (xpad.shape[0], *g.out, g.groups, *g.k, cg)
    strides = (xpad.strides[0], *(s * st for s, st in zip(g.s, sstr)), cg * cstr,
               *(d * st for d, st in zip(g.d, sstr)), cstr)
    return xp.lib.stride_tricks.as_strided(xpad, shape, strides)


def _im2col(x, g: GeomN, role: str):
    """x (n, C, *S) -> cols (G, n*M, Kg) as a view of a contiguous (n*M, G, Kg) scratch buffer."""
    xp = array_module(x)
    n = x.shape[0]
    view = _cols_view(x, g, False) if g.direct else _cols_view(_pad_cl(x, g, "pad"), g, True)
    cols = scratch(role, view.shape, x.dtype, xp)
    xp.copyto(cols, view)
    return cols.reshape(n * g.m, g.groups, g.kg).transpose(1, 0, 2)


def w_rows(w, g: GeomN):
    """w (O, C/G, *K) -> (G, Og, Kg) with Kg ordered (*K, C/G) like the columns."""
    xp = array_module(w)
    og = g.o // g.groups
    wg = w.reshape(g.groups, og, g.c // g.groups, g.kvol)
    return xp.ascontiguousarray(wg.transpose(0, 1, 3, 2)).reshape(g.groups, og, g.kg)


def _to_rows(dy, g: GeomN, role: str):
    """dy (n, O, *out) -> (G, n*M, Og): the output channels-last, one copy."""
    xp = array_module(dy)
    n = dy.shape[0]
    og = g.o // g.groups
    if g.groups == 1:
        rows = scratch(role, (n, g.m, og), dy.dtype, xp)
        _copy_channels_last(rows, dy.reshape(n, og, g.m))
    else:
        rows = scratch(role, (g.groups, n, g.m, og), dy.dtype, xp)
        xp.copyto(rows, dy.reshape(n, g.groups, og, g.m).transpose(1, 0, 3, 2))
    return rows.reshape(g.groups, n * g.m, og)


def _from_rows(rows, g: GeomN, out, bias) -> None:
    """rows (G, n*M, Og) -> out (n, O, *out), adding the bias in the same pass."""
    xp = array_module(rows, out)
    n = out.shape[0]
    og = g.o // g.groups
    src = rows.reshape(g.groups, n, g.m, og).transpose(1, 0, 3, 2)
    dst = out.reshape(n, g.groups, og, g.m)
    if bias is None:
        xp.copyto(dst, src)
    else:
        xp.add(src, bias.reshape(g.groups, og, 1), out=dst)


def _col2im(dcols, g: GeomN, out) -> None:
    """Adjoint of ``_im2col``: dcols (n*M, G, Kg) -> out (n, C, *S), one strided add per kernel offset."""
    xp = array_module(dcols, out)
    n = out.shape[0]
    cg = g.c // g.groups
    taps = dcols.reshape(n, *g.out, g.groups, g.kvol, cg)
    if g.direct and all(k == 1 for k in g.k):
        # 1x1: the columns are the input itself, strided; the unstrided part gets no gradient
        dst = out[(slice(None), slice(None)) + tuple(slice(0, (o - 1) * s + 1, s) for o, s in zip(g.out, g.s))]
        if any(s > 1 for s in g.s) or dst.shape[2:] != out.shape[2:]:
            out.fill(0)
        xp.copyto(dst, xp.moveaxis(taps[..., 0, :].reshape(n, *g.out, g.c), -1, 1))
        return
    acc = scratch("col2im", (n, *g.padded, g.c), dcols.dtype, xp)
    acc.fill(0)
    for t, offset in enumerate(itertools.product(*(range(k) for k in g.k))):
        sl = tuple(slice(q * d, q * d + (o - 1) * s + 1, s) for q, d, o, s in zip(offset, g.d, g.out, g.s))
        dst = acc[(slice(None),) + sl]
        dst += taps[..., t, :].reshape(n, *g.out, g.c)
    keep = tuple(min(size, p - lo) for size, p, (lo, _) in zip(g.sp, g.padded, g.pads))
    inner = acc[(slice(None),) + tuple(slice(lo, lo + k) for (lo, _), k in zip(g.pads, keep))]
    if any(k < size for k, size in zip(keep, g.sp)):  # pixels cropped by a negative pad: no gradient
        out.fill(0)
    xp.copyto(out[(slice(None), slice(None)) + tuple(slice(0, k) for k in keep)], xp.moveaxis(inner, -1, 1))


# -- the three products, over the batch in chunks ------------------------------------------------------


def _chunks(g: GeomN, itemsize: int):
    size = g.chunk(itemsize)
    return [(a, min(a + size, g.n)) for a in range(0, g.n, size)]


def conv_forward(x, w, bias, g: GeomN, wt=None):
    """y (N, O, *out) = conv(x, w) + bias; ``wt``: the weight already as (G, Kg, Og)."""
    xp = array_module(x)
    y = xp.empty((g.n, g.o, *g.out), x.dtype)
    if wt is None:
        wt = xp.swapaxes(w_rows(w, g), 1, 2)

    def run(a, b):
        cols = _im2col(x[a:b], g, "cols")
        rows = scratch("rows", (g.groups, (b - a) * g.m, g.o // g.groups), x.dtype, xp)
        xp.matmul(cols, wt, out=rows)
        _from_rows(rows, g, y[a:b], bias)

    _threads.run_chunks(run, _chunks(g, x.itemsize))
    return y


def full_geom(g: GeomN):
    """With stride 1, dx is itself a convolution: dy padded by d(K-1) - pad on each side, with the
    weight flipped and its in/out channels swapped. That replaces col2im (one strided add per kernel
    offset, as slow as the GEMM on ResNet's first stage) by im2col (one copy). None when a pad is
    wider than the dilated kernel (the leading side would need a crop)."""
    if any(s != 1 for s in g.s):
        return None
    pads = tuple((d * (k - 1) - lo, d * (k - 1) - hi) for (lo, hi), k, d in zip(g.pads, g.k, g.d))
    if any(lo < 0 for lo, _ in pads):
        return None
    return GeomN((g.n, g.o, *g.out), g.k, g.s, pads, g.d, g.groups, g.c)


def _w_flipped_t(wr, g: GeomN):
    """The weight rows (G, Og, Kg) -> (G, Kg', C/G) with Kg' ordered (*K, O/G), kernel flipped: the
    columns' weight of ``full_geom`` (a copy in runs of C/G)."""
    xp = array_module(wr)
    og, cg = g.o // g.groups, g.c // g.groups
    wg = wr.reshape(g.groups, og, g.kvol, cg)[:, :, ::-1]
    return xp.ascontiguousarray(wg.transpose(0, 2, 1, 3)).reshape(g.groups, g.kvol * og, cg)


def conv_input_grad(dy, w, g: GeomN, wr=None):
    """dx (N, C, *S) = col2im(dy W) (or, with stride 1, the full convolution of dy); ``wr``: the
    weight rows ``w_rows(w, g)`` when the caller has them."""
    xp = array_module(dy)
    if wr is None:
        wr = w_rows(w, g)  # (G, Og, Kg)
    full = full_geom(g)
    if full is not None:
        return conv_forward(dy, None, None, full, wt=_w_flipped_t(wr, g))
    dx = xp.empty((g.n, g.c, *g.sp), dy.dtype)

    def run(a, b):
        rows = _to_rows(dy[a:b], g, "rows")
        dcols = scratch("dcols", ((b - a) * g.m, g.groups, g.kg), dy.dtype, xp)
        xp.matmul(rows, wr, out=dcols.transpose(1, 0, 2))
        _col2im(dcols, g, dx[a:b])

    _threads.run_chunks(run, _chunks(g, dy.itemsize))
    return dx


def conv_weight_grad(x, dy, g: GeomN, wshape):
    """dW (O, C/G, *K) = dy^T cols, one GEMM per chunk of images (summed once per chunk)."""
    xp = array_module(x, dy)
    parts = []

    def run(a, b):
        cols = _im2col(x[a:b], g, "cols")
        rows = _to_rows(dy[a:b], g, "rows")
        parts.append(xp.matmul(xp.swapaxes(rows, 1, 2), cols))  # (G, Og, Kg)

    _threads.run_chunks(run, _chunks(g, x.itemsize))
    og, cg = g.o // g.groups, g.c // g.groups
    if not parts:  # empty batch
        return xp.zeros(wshape, x.dtype)
    gw = parts[0]
    for p in parts[1:]:
        gw += p
    gw = gw.reshape(g.groups, og, g.kvol, cg).transpose(0, 1, 3, 2)
    return xp.ascontiguousarray(gw).reshape(wshape)


def conv_backward_full(x, dy, wr, g: GeomN, full: GeomN, wshape):
    """dx and dW of a stride-1 convolution from one im2col matrix, that of dy for ``full`` (the
    full convolution giving dx): dx = dycols W', and dW (flipped) = x_rows^T dycols, because
    dW[o, c, k] = sum_h x[h, c] dy[h + pad - k d, o] reads dy exactly where dycols does at the
    flipped offset. Saves rebuilding the im2col matrix of x in backward (9 copies of x for 3x3)."""
    xp = array_module(x, dy)
    dx = xp.empty((g.n, g.c, *g.sp), dy.dtype)
    wt = _w_flipped_t(wr, g)  # (G, K*Og, Cg)
    cg = g.c // g.groups
    parts = []

    def run(a, b):
        cols = _im2col(dy[a:b], full, "cols")  # (G, n*M_in, K*Og)
        rows = scratch("rows", (g.groups, (b - a) * full.m, cg), dy.dtype, xp)
        xp.matmul(cols, wt, out=rows)
        _from_rows(rows, full, dx[a:b], None)
        xr = _to_rows(x[a:b], full, "xrows")  # (G, n*M_in, Cg): x channels-last
        parts.append(xp.matmul(xp.swapaxes(xr, 1, 2), cols))  # (G, Cg, K*Og), offsets flipped

    _threads.run_chunks(run, _chunks(full, dy.itemsize))
    gw = parts[0]
    for p in parts[1:]:
        gw += p
    og = g.o // g.groups
    gw = gw.reshape(g.groups, cg, g.kvol, og)[:, :, ::-1].transpose(0, 3, 1, 2)  # (G, Og, Cg, K)
    return dx, xp.ascontiguousarray(gw).reshape(wshape)
