"""Convolutions: ``conv1d``, ``conv2d``, ``conv_transpose1d``, ``conv_transpose2d``.

Every convolution is one GEMM per call on an im2col matrix (``as_strided`` view, one
copy). A 1-D convolution is the 2-D one with a height of 1.

Notation: input x (N, C, H, W), weight w (O, C/G, KH, KW), G groups, stride s, dilation d,
padded input xp. Output y[n, o, i, j] = b[o] + sum_{c,p,q} w[o, c, p, q] xp[n, c, i s + p d, j s + q d].
With cols[n, (c,p,q), (i,j)] = xp[n, c, i s + p d, j s + q d] (im2col):

    y  = W cols                (W = w reshaped (O, C KH KW); one batched GEMM)
    dW = sum_n dy_n cols_n^T   (one GEMM)
    dcols = W^T dy, dx = col2im(dcols)  (one GEMM, then KH*KW strided adds)
    db = sum dy over n, i, j

The "wide" layout (used whenever the horizontal stride is 1): the padded input is
flattened per channel and each output row is computed over the full padded width
``Wp`` instead of ``OW``; the extra ``(KW - 1) d`` columns per row are discarded. This
turns every im2col/col2im copy into long contiguous runs (3-4x faster than the
row-by-row copies of the compact layout) for ``Wp / OW`` more GEMM work.
"""

from __future__ import annotations

import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._tensor import Tensor
from ..autograd.function import Op

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]


def _tuple(value, n: int, name: str) -> tuple:
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return tuple(int(v) for v in value) * n
        if len(value) != n:
            raise RuntimeError(
                f"expected {name} to be a single integer value or a list of {n} values to match the "
                f"convolution dimensions, but got {name}={list(value)}"
            )
        return tuple(int(v) for v in value)
    return (int(value),) * n


class _Geom:
    """Sizes of one 2-D convolution (the forward direction x -> y).

    ``pads`` is (top, bottom, left, right); ``wide`` selects the wide layout (stride_w == 1).
    """

    __slots__ = ("n", "c", "h", "w", "o", "kh", "kw", "sh", "sw", "dh", "dw", "pt", "pb", "pl", "pr",
                 "groups", "hp", "wp", "oh", "ow", "wide", "ncols", "flat")

    def __init__(self, xshape, wshape, stride, pads, dilation, groups, out_channels):
        self.n, self.c, self.h, self.w = xshape
        self.o = out_channels
        self.kh, self.kw = wshape
        self.sh, self.sw = stride
        self.dh, self.dw = dilation
        self.pt, self.pb, self.pl, self.pr = pads
        self.groups = groups
        self.hp = self.h + self.pt + self.pb
        self.wp = self.w + self.pl + self.pr
        self.oh = (self.hp - self.dh * (self.kh - 1) - 1) // self.sh + 1
        self.ow = (self.wp - self.dw * (self.kw - 1) - 1) // self.sw + 1
        self.wide = self.sw == 1
        # columns per output row in the GEMM: the padded width in the wide layout
        self.ncols = self.oh * (self.wp if self.wide else self.ow)
        # length of the flat padded buffer: wide rows of the last output row read past
        # the end of the image by (KW - 1) d elements
        self.flat = self.hp * self.wp + (self.dw * (self.kw - 1) if self.wide else 0)

    def with_batch(self, n: int) -> "_Geom":
        """The same convolution over ``n`` images."""
        g = object.__new__(_Geom)
        for name in _Geom.__slots__:
            setattr(g, name, getattr(self, name))
        g.n = n
        return g

    def chunk(self, itemsize: int) -> int:
        """Images per chunk: the whole batch when its im2col matrix is small, else chunks whose
        im2col matrix stays cache-sized (about 2 MiB; measured best on the benchmark layers)."""
        per_image = max(self.c * self.kh * self.kw * self.ncols * itemsize, 1)
        if per_image * self.n <= 3 * _CHUNK_BYTES:
            return max(self.n, 1)
        return max(1, _CHUNK_BYTES // per_image)


_CHUNK_BYTES = 1 << 21


# -- scratch buffers ------------------------------------------------------------------------------------------
#
# A convolution's temporaries (padded input, im2col matrix, widened gradient, col2im
# accumulator) are large and short-lived. Fresh arrays of that size come straight from
# mmap and pay a page fault per 4 KiB on first touch, which costs as much as the copies
# themselves. Each temporary therefore lives in a per-thread buffer that is reused from
# call to call. A scratch array never escapes the function that asked for it: results and
# values saved for backward are always fresh arrays.

_SCRATCH_LIMIT = 1 << 24  # bytes (16 MiB); larger temporaries are allocated normally
_scratch_local = threading.local()


def _scratch(role: str, shape, dtype, zero: bool = False) -> np.ndarray:
    size = 1
    for s in shape:
        size *= s
    dtype = np.dtype(dtype)
    if size * dtype.itemsize > _SCRATCH_LIMIT:
        return np.zeros(shape, dtype) if zero else np.empty(shape, dtype)
    bufs = _scratch_local.__dict__.setdefault("bufs", {})
    key = (role, dtype.str)
    buf = bufs.get(key)
    if buf is None or buf.size < size:
        buf = bufs[key] = np.empty(size, dtype)
    out = buf[:size].reshape(shape)
    if zero:
        out.fill(0)
    return out


def _pad_input(x: np.ndarray, g: _Geom, role: str | None = "xpad") -> np.ndarray:
    """x (N, C, H, W) -> the zero-padded input, flat (N, C, flat) in the wide layout.

    Bottom/right paddings may be negative (transposed convolutions with output_padding):
    the input is then cropped. With a ``role`` the result is a scratch buffer.
    """
    hh, ww = min(g.h, g.hp - g.pt), min(g.w, g.wp - g.pl)
    if g.wide:
        if g.flat == g.h * g.w and x.flags.c_contiguous:
            return x.reshape(g.n, g.c, g.flat)
        shape = (g.n, g.c, g.flat)
        buf = _scratch(role, shape, x.dtype, zero=True) if role else np.zeros(shape, x.dtype)
        img = buf[:, :, : g.hp * g.wp].reshape(g.n, g.c, g.hp, g.wp)
        img[:, :, g.pt : g.pt + hh, g.pl : g.pl + ww] = x[:, :, :hh, :ww]
        return buf
    if g.hp == g.h and g.wp == g.w:
        return x
    shape = (g.n, g.c, g.hp, g.wp)
    buf = _scratch(role, shape, x.dtype, zero=True) if role else np.zeros(shape, x.dtype)
    buf[:, :, g.pt : g.pt + hh, g.pl : g.pl + ww] = x[:, :, :hh, :ww]
    return buf


def _crop(img: np.ndarray, g: _Geom, out=None) -> np.ndarray:
    """Adjoint of the padding: (N, C, Hp, Wp) -> a fresh contiguous (N, C, H, W) (or into ``out``)."""
    hh, ww = min(g.h, g.hp - g.pt), min(g.w, g.wp - g.pl)
    src = img[:, :, g.pt : g.pt + hh, g.pl : g.pl + ww]
    if hh == g.h and ww == g.w:
        if out is None:
            return np.array(src, copy=True)
        np.copyto(out, src)
        return out
    if out is None:
        out = np.zeros((g.n, g.c, g.h, g.w), dtype=img.dtype)
    else:
        out.fill(0)
    out[:, :, :hh, :ww] = src
    return out


def _im2col(xp: np.ndarray, g: _Geom, role: str | None = None) -> np.ndarray:
    """Padded input -> cols (N, C*KH*KW, ncols): one strided view, one copy (into scratch with a ``role``)."""
    n, c = g.n, g.c
    s0, s1 = xp.strides[:2]
    if g.wide:
        e = xp.strides[2]
        view = as_strided(xp, (n, c, g.kh, g.kw, g.oh, g.wp), (s0, s1, g.dh * g.wp * e, g.dw * e, g.sh * g.wp * e, e))
    else:
        s2, s3 = xp.strides[2:]
        view = as_strided(xp, (n, c, g.kh, g.kw, g.oh, g.ow), (s0, s1, g.dh * s2, g.dw * s3, g.sh * s2, g.sw * s3))
    if role is None:  # a fresh array, even where the view happens to be contiguous scratch memory
        return np.array(view, copy=True).reshape(n, c * g.kh * g.kw, g.ncols)
    cols = _scratch(role, view.shape, xp.dtype)
    np.copyto(cols, view)
    return cols.reshape(n, c * g.kh * g.kw, g.ncols)


def _col2im(cols: np.ndarray, g: _Geom, out=None) -> np.ndarray:
    """Adjoint of ``_im2col`` followed by the crop of the padding: (N, C*KH*KW, ncols) -> fresh (N, C, H, W).

    Loops over the KH*KW kernel positions only; each adds one strided block.
    """
    n, c = g.n, g.c
    cols = cols.reshape(n, c, g.kh, g.kw, g.oh, g.wp if g.wide else g.ow)
    if g.wide:
        buf = _scratch("fold", (n, c, g.flat), cols.dtype, zero=True)
        e = buf.itemsize
        s0, s1 = buf.strides[:2]
        for p in range(g.kh):
            for q in range(g.kw):
                off = p * g.dh * g.wp + q * g.dw
                block = as_strided(buf[:, :, off:], (n, c, g.oh, g.wp), (s0, s1, g.sh * g.wp * e, e))
                block += cols[:, :, p, q]
        img = buf[:, :, : g.hp * g.wp].reshape(n, c, g.hp, g.wp)
    else:
        img = _scratch("fold", (n, c, g.hp, g.wp), cols.dtype, zero=True)
        hspan = g.sh * (g.oh - 1) + 1
        wspan = g.sw * (g.ow - 1) + 1
        for p in range(g.kh):
            for q in range(g.kw):
                h0, w0 = p * g.dh, q * g.dw
                img[:, :, h0 : h0 + hspan : g.sh, w0 : w0 + wspan : g.sw] += cols[:, :, p, q]
    return _crop(img, g, out)


def _widen(y: np.ndarray, g: _Geom, role: str | None = "widen") -> np.ndarray:
    """(N, O, OH, OW) -> (N, O, ncols): zeros in the discarded columns of the wide layout."""
    n, o = y.shape[:2]
    if not g.wide or g.wp == g.ow:
        return np.ascontiguousarray(y).reshape(n, o, g.ncols)
    shape = (n, o, g.oh, g.wp)
    out = _scratch(role, shape, y.dtype) if role else np.empty(shape, y.dtype)
    out[..., : g.ow] = y
    out[..., g.ow :] = 0
    return out.reshape(n, o, g.ncols)


def _narrow(y: np.ndarray, g: _Geom, bias=None, out=None) -> np.ndarray:
    """(N, O, ncols) -> (N, O, OH, OW) contiguous, with the bias added on the way.

    Returns a fresh array (or ``out``) unless ``y`` itself is already the (fresh) result.
    """
    n, o = y.shape[:2]
    y = y.reshape(n, o, g.oh, g.wp if g.wide else g.ow)
    if g.wide and g.wp != g.ow:
        y = y[..., : g.ow]
        if bias is not None:
            return np.add(y, bias.reshape(o, 1, 1), out=out)
        if out is None:
            return np.array(y, copy=True)
        np.copyto(out, y)
        return out
    if bias is not None:
        y += bias.reshape(o, 1, 1)
    return y


def _gemm(w: np.ndarray, cols: np.ndarray, groups: int, out=None) -> np.ndarray:
    """w (O, K) grouped, cols (N, G*K', M) -> (N, O, M)."""
    if groups == 1:
        return np.matmul(w, cols, out=out)
    n, _, m = cols.shape
    o = w.shape[0]
    wg = w.reshape(groups, o // groups, -1)
    res = np.matmul(wg, cols.reshape(n, groups, -1, m), out=None if out is None else out.reshape(n, groups, o // groups, m))
    return res.reshape(n, o, m)


def _gemm_t(w: np.ndarray, dy: np.ndarray, groups: int, out=None) -> np.ndarray:
    """w^T (K, O) grouped times dy (N, O, M) -> (N, G*K, M)."""
    if groups == 1:
        return np.matmul(w.T, dy, out=out)
    n, o, m = dy.shape
    wg = w.reshape(groups, o // groups, -1)
    res = np.matmul(np.swapaxes(wg, 1, 2), dy.reshape(n, groups, o // groups, m),
                    out=None if out is None else out.reshape(n, groups, -1, m))
    return res.reshape(n, -1, m)


def _gemm_w(dy: np.ndarray, cols: np.ndarray, groups: int) -> np.ndarray:
    """sum_n dy_n cols_n^T, grouped: (N, O, M), (N, G*K, M) -> a fresh (O, K)."""
    n, o, m = dy.shape
    k = cols.shape[1] // groups
    if groups == 1 and n == 1:
        return np.matmul(dy[0], cols[0].T)
    per_sample = _scratch("gw", (n, groups, o // groups, k), dy.dtype)
    np.matmul(dy.reshape(n, groups, o // groups, m), np.swapaxes(cols.reshape(n, groups, k, m), 2, 3), out=per_sample)
    return per_sample.sum(axis=0).reshape(o, k)


def _conv_forward(x, w2, bias, g: _Geom, out=None):
    """y = W im2col(x) + b; the GEMM writes into scratch when the result still needs narrowing,
    else straight into ``out`` (when given)."""
    cols = _im2col(_pad_input(x, g), g, role="cols")
    if g.wide and g.wp != g.ow:
        y = _gemm(w2, cols, g.groups, out=_scratch("gemm", (g.n, g.o, g.ncols), x.dtype))
        return _narrow(y, g, bias, out=out)
    y = _gemm(w2, cols, g.groups, out=None if out is None else out.reshape(g.n, g.o, g.ncols))
    return _narrow(y, g, bias)


def _col2im_of_gemm_t(w2, dyw, g: _Geom, out=None) -> np.ndarray:
    """col2im(W^T dy): the input gradient of a convolution, dcols in scratch."""
    dcols = _scratch("dcols", (g.n, g.c * g.kh * g.kw, g.ncols), dyw.dtype)
    return _col2im(_gemm_t(w2, dyw, g.groups, out=dcols), g, out)


def _chunks(g: _Geom, itemsize: int):
    """(start, stop, geometry) over the batch in cache-sized chunks: the im2col matrix, the GEMM
    output and the col2im buffer of a chunk stay in cache between the steps that use them."""
    size = g.chunk(itemsize)
    if size >= g.n:
        yield 0, g.n, g
        return
    full = g.with_batch(size)
    for start in range(0, g.n, size):
        stop = min(start + size, g.n)
        yield start, stop, (full if stop - start == size else g.with_batch(stop - start))


class Conv2d(Op):
    """y = conv(x, w) + b as im2col + one GEMM;  dx = col2im(W^T dy), dW = dy cols^T, db = sum dy.

    The im2col matrix is not kept for backward (it is as large as the input times KH*KW);
    backward rebuilds it with one copy.
    """

    _node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        w2 = w.reshape(w.shape[0], -1)
        if geom.chunk(x.itemsize) >= geom.n:
            y = _conv_forward(x, w2, b, geom)
        else:
            y = np.empty((geom.n, geom.o, geom.oh, geom.ow), dtype=x.dtype)
            for start, stop, g in _chunks(geom, x.itemsize):
                _conv_forward(x[start:stop], w2, b, g, out=y[start:stop])
        ctx.geom = geom
        ctx.save_for_backward(x, w)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        g = ctx.geom
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if isinstance(dy, Tensor):
            return _conv_double_backward(ctx, x, w, dy)
        gx = gw = gb = None
        if need_b:
            gb = np.einsum("nchw->c", dy)  # one SIMD pass, faster than sum over three axes
        if need_x or need_w:
            w2 = w.reshape(w.shape[0], -1)
            gx = np.empty(x.shape, dtype=x.dtype) if need_x else None
            full = _full_correlation(g) if need_x else None
            for start, stop, gc in _chunks(g, x.itemsize):
                if need_w or full is None:
                    dyw = _widen(dy[start:stop], gc)
                if need_w:
                    cols = _im2col(_pad_input(x[start:stop], gc), gc, role="cols")
                    part = _gemm_w(dyw, cols, gc.groups)
                    gw = part if gw is None else np.add(gw, part, out=gw)
                if need_x and full is None:
                    _col2im_of_gemm_t(w2, dyw, gc, out=gx[start:stop])
            if full is not None:
                # stride 1: dx is dy correlated with the flipped, transposed kernel -- an im2col + GEMM
                # like the forward, cheaper than col2im's scattered adds
                wt = _flipped_transpose(w, g.groups)
                for start, stop, gc in _chunks(full, x.itemsize):
                    _conv_forward(dy[start:stop], wt, None, gc, out=gx[start:stop])
            if gw is not None:
                gw = gw.reshape(w.shape)
        return gx, gw, gb, None


def _full_correlation(g: _Geom) -> _Geom | None:
    """For a stride-1 convolution, the geometry of dx = correlate(pad(dy), flip(W)^T), or None
    when that does not apply (strides, or padding wider than the dilated kernel)."""
    if g.sh != 1 or g.sw != 1:
        return None
    eh, ew = g.dh * (g.kh - 1), g.dw * (g.kw - 1)
    pads = (eh - g.pt, eh - g.pb, ew - g.pl, ew - g.pr)
    if pads[0] < 0 or pads[2] < 0 or g.oh <= 0 or g.ow <= 0:
        return None
    full = _Geom((g.n, g.o, g.oh, g.ow), (g.kh, g.kw), (1, 1), pads, (g.dh, g.dw), g.groups, g.c)
    return full if (full.oh, full.ow) == (g.h, g.w) else None


def _flipped_transpose(w: np.ndarray, groups: int) -> np.ndarray:
    """(O, C/G, KH, KW) -> (C, O/G * KH * KW): per group, in/out channels swapped, kernel flipped."""
    o, cg, kh, kw = w.shape
    wg = w.reshape(groups, o // groups, cg, kh, kw)[:, :, :, ::-1, ::-1]
    return np.ascontiguousarray(wg.transpose(0, 2, 1, 3, 4)).reshape(groups * cg, -1)


class ConvTranspose2d(Op):
    """y = col2im(W^T x) + b, the adjoint of a convolution;  dx = W im2col(dy), dW = x im2col(dy)^T."""

    _node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        # geom describes the convolution this op is the adjoint of: from our output to our input.
        # Its weight layout (Cin, Cout/G, KH, KW) is that convolution's (O, C/G, KH, KW).
        y = _col2im_of_gemm_t(w.reshape(w.shape[0], -1), _widen(x, geom), geom)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        ctx.geom = geom
        ctx.save_for_backward(x, w)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        g = ctx.geom
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if isinstance(dy, Tensor):
            return _conv_transpose_double_backward(ctx, x, w, dy)
        gx = gw = gb = None
        if need_b:
            gb = np.einsum("nchw->c", dy)  # one SIMD pass, faster than sum over three axes
        if need_x or need_w:
            cols = _im2col(_pad_input(dy, g), g, role="cols")
            w2 = w.reshape(w.shape[0], -1)
            if need_x:
                narrowing = g.wide and g.wp != g.ow
                out = _scratch("gemm", (g.n, g.o, g.ncols), dy.dtype) if narrowing else None
                gx = _narrow(_gemm(w2, cols, g.groups, out=out), g)
            if need_w:
                gw = _gemm_w(_widen(x, g), cols, g.groups).reshape(w.shape)
        return gx, gw, gb, None


# -- double backward: the first-order gradients written with differentiable ops -------------------


def _conv_double_backward(ctx, x, w, dy):
    """Under create_graph: dx and dW as convolutions of Tensors (so they differentiate again)."""
    g = ctx.geom
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    from .reduce import sum as _sum

    gx = gw = gb = None
    if need_b:
        gb = _sum(dy, (0, 2, 3))
    if need_x:
        gx = _input_grad(dy, w, g)
    if need_w:
        gw = _weight_grad(x, dy, g, tuple(w.shape))
    return gx, gw, gb, None


def _conv_transpose_double_backward(ctx, x, w, dy):
    g = ctx.geom
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    from .reduce import sum as _sum

    gx = gw = gb = None
    if need_b:
        gb = _sum(dy, (0, 2, 3))
    if need_x:
        gx = Conv2d.apply(dy, w, None, g)
    if need_w:
        gw = _weight_grad(dy, x, g, tuple(w.shape))
    return gx, gw, gb, None


def _as_tensor(a):
    return a if isinstance(a, Tensor) else Tensor._wrap(a)


def _input_grad(dy, w, g: _Geom):
    """dx of a convolution as a transposed convolution (differentiable)."""
    return ConvTranspose2d.apply(_as_tensor(dy), _as_tensor(w), None, g)


def _weight_grad(x, dy, g: _Geom, wshape):
    """dW[o, c, p, q] = sum_{n,i,j} dy[n, o, i, j] xp[n, c, i s + p d, j s + q d], differentiable in
    x and dy: a convolution of x (channels as batch) with dy (batch as channels)."""
    from .shape import reshape, transpose
    from .index import getitem

    x, dy = _as_tensor(x), _as_tensor(dy)
    groups = g.groups
    n, c, o = g.n, g.c, g.o
    cg = c // groups
    # x -> (C/G, G*N, H, W): for group k, channels c of x in group k pair with dy channels of group k.
    xt = transpose(reshape(x, (n, groups, cg, g.h, g.w)), 0, 2)  # (cg, G, N, H, W)
    xt = reshape(xt, (cg, groups * n, g.h, g.w))
    dyt = transpose(dy, 0, 1)  # (O, N, OH, OW): group k of O pairs with input channels (k, n)
    geom = _Geom((cg, groups * n, g.h, g.w), (g.oh, g.ow), (g.dh, g.dw), (g.pt, g.pb, g.pl, g.pr), (g.sh, g.sw), groups, o)
    out = Conv2d.apply(xt, dyt, None, geom)  # (cg, O, KH', KW') with KH' >= KH
    out = getitem(out, (slice(None), slice(None), slice(0, wshape[2]), slice(0, wshape[3])))
    return transpose(out, 0, 1)


# -- functional API ---------------------------------------------------------------------------------------


def _check_float(input: Tensor, weight: Tensor, bias) -> None:
    """Dtype checks with PyTorch's messages."""
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(input)} but found {_scalar_name(weight)}")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f'"slow_conv2d_cpu" not implemented for \'{_scalar_name(input)}\'')
    if bias is not None and bias._data.dtype != weight._data.dtype:
        raise RuntimeError(
            f"Input type ({_scalar_name(input).lower()}) and bias type ({_scalar_name(bias).lower()}) should be the same"
        )


def _scalar_name(t: Tensor) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int"}.get(
        str(t._data.dtype), str(t._data.dtype)
    )


def _size_str(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _conv_nd(input, weight, bias, stride, padding, dilation, groups, nd: int, name: str):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}() argument 'input' must be Tensor, not {type(input).__name__}")
    x, w = input._data, weight._data
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of size: {_size_str(x.shape)}"
        )
    if w.ndim != nd + 2:
        raise RuntimeError(
            "weight should have at least three dimensions" if w.ndim < 3 else
            f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional input {_size_str(x.shape)}, but got {w.ndim}-dimensional weight of size {_size_str(w.shape)} instead"
        )
    stride = _tuple(stride, nd, "stride")
    dilation = _tuple(dilation, nd, "dilation")
    groups = int(groups)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    unbatched = x.ndim == nd + 1
    if unbatched:
        from .shape import unsqueeze

        input = unsqueeze(input, 0)
        x = input._data
    ksize = w.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for k, d in zip(ksize, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pad = _tuple(padding, nd, "padding")
        if any(p < 0 for p in pad):
            raise RuntimeError("negative padding is not supported")
        pads = [(p, p) for p in pad]
    if w.shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of size [{_size_str(w.shape)}] instead"
        )
    if x.shape[1] != w.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {_size_str(w.shape)}, expected input{_size_str(x.shape)} to have "
            f"{w.shape[1] * groups} channels, but got {x.shape[1]} channels instead"
        )
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != w.shape[0]):
        raise RuntimeError(
            f"Given weight of size {_size_str(w.shape)}, expected bias to be 1-dimensional with {w.shape[0]} elements, "
            f"but got bias of size {_size_str(bias._data.shape)} instead"
        )
    _check_float(input, weight, bias)
    padded = [s + a + b for s, (a, b) in zip(x.shape[2:], pads)]
    eff = [d * (k - 1) + 1 for k, d in zip(ksize, dilation)]
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
            f"({' x '.join(map(str, eff))}). Kernel size can't be greater than actual input size"
        )
    from .shape import reshape, squeeze

    if nd == 1:
        n, c, length = x.shape
        x4 = reshape(input, (n, c, 1, length))
        w4 = reshape(weight, (w.shape[0], w.shape[1], 1, w.shape[2]))
        geom = _Geom((n, c, 1, length), (1, w.shape[2]), (1, stride[0]), (0, 0) + pads[0], (1, dilation[0]), groups, w.shape[0])
        out = Conv2d.apply(x4, w4, bias, geom)
        out = reshape(out, (n, w.shape[0], out._data.shape[-1]))
    else:
        geom = _Geom(x.shape, w.shape[2:], stride, pads[0] + pads[1], dilation, groups, w.shape[0])
        out = Conv2d.apply(input, weight, bias, geom)
    return squeeze(out, 0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution over (N, C, L) (or unbatched (C, L)); ``padding`` may be 'same' or 'valid'."""
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution over (N, C, H, W) (or unbatched (C, H, W)); ``padding`` may be 'same' or 'valid'."""
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation, nd: int, name: str):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}() argument 'input' must be Tensor, not {type(input).__name__}")
    x, w = input._data, weight._data
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of size: {_size_str(x.shape)}"
        )
    if w.ndim != nd + 2:
        raise RuntimeError(
            f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional input {_size_str(x.shape)}, but got {w.ndim}-dimensional weight of size {_size_str(w.shape)} instead"
        )
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    stride = _tuple(stride, nd, "stride")
    pad = _tuple(padding, nd, "padding")
    opad = _tuple(output_padding, nd, "output_padding")
    dilation = _tuple(dilation, nd, "dilation")
    groups = int(groups)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if any(p < 0 for p in pad):
        raise RuntimeError("negative padding is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    for op, s, d in zip(opad, stride, dilation):
        if op >= s and op >= d:
            if nd == 2:
                raise RuntimeError(
                    f"output padding must be smaller than either stride or dilation, but got output_padding_height: {opad[0]} "
                    f"output_padding_width: {opad[1]} stride_height: {stride[0]} stride_width: {stride[1]} "
                    f"dilation_height: {dilation[0]} dilation_width: {dilation[1]}"
                )
            raise RuntimeError(
                f"output padding must be smaller than either stride or dilation, but got output_padding: {opad[0]} "
                f"stride: {stride[0]} dilation: {dilation[0]}"
            )
    unbatched = x.ndim == nd + 1
    from .shape import reshape, squeeze, unsqueeze

    if unbatched:
        input = unsqueeze(input, 0)
        x = input._data
    if w.shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of size [{_size_str(w.shape)}] instead"
        )
    if x.shape[1] != w.shape[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {_size_str(w.shape)}, expected input{_size_str(x.shape)} to have "
            f"{w.shape[0]} channels, but got {x.shape[1]} channels instead"
        )
    cout = w.shape[1] * groups
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != cout):
        raise RuntimeError(
            f"Given transposed=1, weight of size {_size_str(w.shape)}, expected bias to be 1-dimensional with {cout} elements, "
            f"but got bias of size {_size_str(bias._data.shape)} instead"
        )
    _check_float(input, weight, bias)
    ksize = w.shape[2:]
    spatial = x.shape[2:]
    outs = [(i - 1) * s - 2 * p + d * (k - 1) + op + 1 for i, s, p, d, k, op in zip(spatial, stride, pad, dilation, ksize, opad)]
    if any(o <= 0 for o in outs):
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, spatial))}). Calculated output size per channel: "
            f"({' x '.join(map(str, outs))}). Output size is too small"
        )
    if nd == 1:
        n, c, length = x.shape
        x4 = reshape(input, (n, c, 1, length))
        w4 = reshape(weight, (w.shape[0], w.shape[1], 1, w.shape[2]))
        # the forward convolution: y (N, Cout, 1, Lout) -> x, padded by p on the left and p - op on the right
        geom = _Geom((n, cout, 1, outs[0]), (1, ksize[0]), (1, stride[0]), (0, 0, pad[0], pad[0] - opad[0]), (1, dilation[0]), groups, c)
        out = ConvTranspose2d.apply(x4, w4, bias, geom)
        out = reshape(out, (n, cout, outs[0]))
    else:
        n, c = x.shape[:2]
        geom = _Geom((n, cout) + tuple(outs), ksize, stride, (pad[0], pad[0] - opad[0], pad[1], pad[1] - opad[1]), dilation, groups, c)
        out = ConvTranspose2d.apply(input, weight, bias, geom)
    return squeeze(out, 0) if unbatched else out


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution ("deconvolution") over (N, C_in, L); weight (C_in, C_out/groups, K)."""
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation, 1, "conv_transpose1d")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution over (N, C_in, H, W); weight (C_in, C_out/groups, KH, KW)."""
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation, 2, "conv_transpose2d")


# -- unfold / fold (im2col as a user-facing op) ------------------------------------------------------------


class _Unfold(Op):
    """cols = im2col(x);  dx = col2im(dcols)."""

    _node_name = "Im2ColBackward0"

    @staticmethod
    def forward(ctx, x, geom):
        ctx.geom = geom
        return _compact(_im2col(_pad_input(x, geom), geom), geom)

    @staticmethod
    def backward(ctx, g):
        geom = ctx.geom
        if isinstance(g, Tensor):
            return _Fold.apply(g, geom), None
        return _col2im(_widen(g.reshape(geom.n, -1, geom.oh, geom.ow), geom), geom), None


class _Fold(Op):
    """x = col2im(cols);  dcols = im2col(dx)."""

    _node_name = "Col2ImBackward0"

    @staticmethod
    def forward(ctx, cols, geom):
        ctx.geom = geom
        return _col2im(_widen(cols.reshape(geom.n, -1, geom.oh, geom.ow), geom), geom)

    @staticmethod
    def backward(ctx, g):
        geom = ctx.geom
        if isinstance(g, Tensor):
            return _Unfold.apply(g, geom), None
        return _compact(_im2col(_pad_input(g, geom), geom), geom), None


def _compact(cols, g: _Geom):
    n, k = cols.shape[:2]
    if g.wide and g.wp != g.ow:
        cols = cols.reshape(n, k, g.oh, g.wp)[..., : g.ow]
    return np.ascontiguousarray(cols).reshape(n, k, g.oh * g.ow)


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding local blocks (im2col): (N, C, H, W) -> (N, C*KH*KW, L)."""
    x = input._data
    if x.ndim not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {x.ndim}D)")
    from .shape import squeeze, unsqueeze

    unbatched = x.ndim == 3
    if unbatched:
        input = unsqueeze(input, 0)
        x = input._data
    k = _tuple(kernel_size, 2, "kernel_size")
    d = _tuple(dilation, 2, "dilation")
    p = _tuple(padding, 2, "padding")
    s = _tuple(stride, 2, "stride")
    geom = _Geom(x.shape, k, s, (p[0], p[0], p[1], p[1]), d, 1, x.shape[1])
    if geom.oh <= 0 or geom.ow <= 0:
        raise RuntimeError(
            f"Given input with spatial size ({x.shape[2]}, {x.shape[3]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), "
            f"padding=({p[0]}, {p[1]}), calculated shape of the array of sliding blocks as ({geom.oh}, {geom.ow}), but its components must be at least one."
        )
    out = _Unfold.apply(input, geom)
    return squeeze(out, 0) if unbatched else out


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Combine sliding local blocks (col2im, summing overlaps): (N, C*KH*KW, L) -> (N, C, H, W)."""
    x = input._data
    if x.ndim not in (2, 3):
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got {x.ndim}D)")
    from .shape import squeeze, unsqueeze

    unbatched = x.ndim == 2
    if unbatched:
        input = unsqueeze(input, 0)
        x = input._data
    osz = _tuple(output_size, 2, "output_size")
    k = _tuple(kernel_size, 2, "kernel_size")
    d = _tuple(dilation, 2, "dilation")
    p = _tuple(padding, 2, "padding")
    s = _tuple(stride, 2, "stride")
    kk = k[0] * k[1]
    if x.shape[1] % kk:
        raise RuntimeError(
            f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)={x.shape[1]} and kernel_size=({k[0]}, {k[1]})"
        )
    c = x.shape[1] // kk
    geom = _Geom((x.shape[0], c) + osz, k, s, (p[0], p[0], p[1], p[1]), d, 1, c)
    if geom.oh * geom.ow != x.shape[2]:
        raise RuntimeError(
            f"Given output_size=({osz[0]}, {osz[1]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), "
            f"stride=({s[0]}, {s[1]}), expected size of input's dimension 2 to match the calculated number of sliding blocks "
            f"{geom.oh} * {geom.ow} = {geom.oh * geom.ow}, but got input.size(2)={x.shape[2]}."
        )
    out = _Fold.apply(input, geom)
    return squeeze(out, 0) if unbatched else out
