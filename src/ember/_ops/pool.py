"""Pooling: max/avg pooling (1-D, 2-D), adaptive average/max pooling, lp pooling.

Every pool is written for (N, C, H, W); 1-D pools run with H = 1. Windows are strided
views of the (padded) input, one per kernel position, so the loops run over the KH*KW
kernel offsets only, never over pixels. When the stride equals the kernel and there is no
padding or dilation, the input is reshaped to (N, C, OH, KH, OW, KW) instead: no padding
copy, and the window max is found one axis at a time.

Max pooling keeps, per output, the offset of the first maximum in row-major window order
(PyTorch's tie-break), so ``dx`` gets ``dy`` at that one position.
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Op
from ._common import LinearOp, first_order_only

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "lp_pool1d",
    "lp_pool2d",
    "max_unpool1d",
    "max_unpool2d",
]


class _PoolGeom:
    """Sizes of one 2-D pooling: kernel, stride, padding, dilation, output size."""

    __slots__ = ("n", "c", "h", "w", "kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "oh", "ow", "reshape")

    def __init__(self, shape, kernel, stride, padding, dilation, ceil_mode):
        self.n, self.c, self.h, self.w = shape
        self.kh, self.kw = kernel
        self.sh, self.sw = stride
        self.ph, self.pw = padding
        self.dh, self.dw = dilation
        self.oh = _out_size(self.h, self.kh, self.sh, self.ph, self.dh, ceil_mode)
        self.ow = _out_size(self.w, self.kw, self.sw, self.pw, self.dw, ceil_mode)
        # non-overlapping windows that tile the input from the top-left corner
        self.reshape = (
            self.sh == self.kh and self.sw == self.kw and self.ph == 0 and self.pw == 0
            and self.dh == 1 and self.dw == 1 and self.oh * self.kh <= self.h and self.ow * self.kw <= self.w
        )

    def padded(self):
        """Height and width of the padded input that holds every window."""
        hp = max(self.h + 2 * self.ph, (self.oh - 1) * self.sh + self.dh * (self.kh - 1) + 1)
        wp = max(self.w + 2 * self.pw, (self.ow - 1) * self.sw + self.dw * (self.kw - 1) + 1)
        return hp, wp

    def window(self, p, q):
        """Slices of the padded input seen by kernel offset (p, q) at every output position."""
        h0, w0 = p * self.dh, q * self.dw
        return (
            slice(None),
            slice(None),
            slice(h0, h0 + self.sh * (self.oh - 1) + 1, self.sh),
            slice(w0, w0 + self.sw * (self.ow - 1) + 1, self.sw),
        )


def _out_size(size, k, s, p, d, ceil_mode):
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pad(x, g: _PoolGeom, value):
    xp = array_module(x)
    hp, wp = g.padded()
    if hp == g.h and wp == g.w:
        return x
    buf = xp.full((g.n, g.c, hp, wp), value, dtype=x.dtype)
    buf[:, :, g.ph : g.ph + g.h, g.pw : g.pw + g.w] = x
    return buf


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _first_max(views):
    """Running max over a list of same-shaped arrays; returns (max, index of the first maximum).

    NaN propagates into the max like PyTorch's; the index keeps the earlier position on ties
    (strict ``>``), which is PyTorch's "first maximum in window order".
    """
    xp = array_module(*views)
    if len(views) == 2:
        # The common 2-wide window: two passes (max, compare) instead of copy/compare/max/putmask;
        # a bool array is a valid uint8 index array without a copy.
        a, b = views
        return xp.maximum(a, b), xp.greater(b, a).view(np.uint8)
    m = xp.array(views[0], copy=True)
    idx = xp.zeros(m.shape, dtype=np.uint8 if len(views) < 256 else np.int32)
    gt = xp.empty(m.shape, dtype=bool)
    for k in range(1, len(views)):
        v = views[k]
        xp.greater(v, m, out=gt)
        xp.maximum(m, v, out=m)  # propagates NaN like PyTorch
        xp.putmask(idx, gt, k)
    return m, idx


def _tiles_input(x, g: _PoolGeom):
    """The part of x covered by the non-overlapping windows, C-contiguous (N, C, OH*KH, OW*KW)."""
    xp = array_module(x)
    hh, ww = g.oh * g.kh, g.ow * g.kw
    if hh != g.h or ww != g.w:
        x = x[:, :, :hh, :ww]
    return x if x.flags.c_contiguous else xp.ascontiguousarray(x)


def _crop_tiles(x, g: _PoolGeom):
    """The part of x covered by the non-overlapping windows, as (N, C, OH, KH, OW, KW)."""
    return _tiles_input(x, g).reshape(g.n, g.c, g.oh, g.kh, g.ow, g.kw)


class _TileArgmax:
    """Where the maxima of non-overlapping windows are, in the separable form the tiled path finds them.

    ``iq`` (N*C*OH*KH*OW,): per window row, the column of its first maximum;
    ``ip`` (N*C*OH*OW,): per window, the row whose maximum is the window's. ``None`` for a 1-wide axis.
    """

    __slots__ = ("ip", "iq")

    def __init__(self, ip, iq):
        self.ip, self.iq = ip, iq


def _max_tiles_forward(x, g: _PoolGeom):
    """Max over non-overlapping windows, one kernel axis at a time.

    Why not the (N, C, OH, KH, OW, KW) view directly: its window slices have inner runs of OW
    elements, and NumPy pays per run, so every pass over them costs several times a pass over
    flat memory. Here the columns of a window are reduced on the flat input seen as
    (pixels / KW, KW) -- each column is one long 1-D strided run -- and the rows on the
    (N*C*OH, KH, OW) result, whose slices are runs of OW. Row-major first-maximum tie-break as
    PyTorch: the best column within each row first, then the first row holding the best value.
    """
    xp = array_module(x)
    t = _tiles_input(x, g)
    if g.kw > 1:
        flat = t.reshape(-1, g.kw)
        a, iq = _first_max([flat[:, q] for q in range(g.kw)])
    else:
        a, iq = t.reshape(-1), None
    rows = a.reshape(g.n * g.c * g.oh, g.kh, g.ow)
    if g.kh > 1:
        m, ip = _first_max([rows[:, p] for p in range(g.kh)])
    else:
        m, ip = xp.array(rows[:, 0], copy=True), None
    return m.reshape(g.n, g.c, g.oh, g.ow), _TileArgmax(ip, iq)


def _max_tiles_backward(dy, where: _TileArgmax, g: _PoolGeom, dtype):
    """dy routed to each window's argmax: spread over the rows, then over the columns (the
    adjoint of the two reductions in ``_max_tiles_forward``, with the same long runs)."""
    xp = array_module(dy)
    hh, ww = g.oh * g.kh, g.ow * g.kw
    dy2 = xp.asarray(dy, dtype=dtype).reshape(g.n * g.c * g.oh, g.ow)
    if g.kh > 1:
        rows = xp.empty((g.n * g.c * g.oh, g.kh, g.ow), dtype=dtype)
        for p in range(g.kh):
            xp.multiply(dy2, where.ip == p, out=rows[:, p])
    else:
        rows = dy2
    full = hh == g.h and ww == g.w
    tiles = xp.empty((g.n, g.c, hh, ww), dtype=dtype)
    if g.kw > 1:
        flat_rows = rows.reshape(-1)
        cols = tiles.reshape(-1, g.kw)
        for q in range(g.kw):
            xp.multiply(flat_rows, where.iq == q, out=cols[:, q])
    else:
        xp.copyto(tiles.reshape(rows.shape), rows)
    if full:
        return tiles
    dx = xp.zeros((g.n, g.c, g.h, g.w), dtype=dtype)
    dx[:, :, :hh, :ww] = tiles
    return dx


def _tile_rows_cols(where: _TileArgmax, g: _PoolGeom):
    """The (row, column) within its window of every window's maximum, each (N, C, OH, OW)."""
    xp = array_module(where.ip, where.iq)
    shape = (g.n, g.c, g.oh, g.ow)
    rows = where.ip.reshape(shape) if where.ip is not None else xp.zeros(shape, np.uint8)
    if where.iq is None:
        return rows, xp.zeros(shape, np.uint8)
    iq = where.iq.reshape(g.n * g.c * g.oh, g.kh, g.ow)
    cols = xp.take_along_axis(iq, rows.reshape(g.n * g.c * g.oh, 1, g.ow).astype(np.intp), axis=1)
    return rows, cols.reshape(shape)


def _max_forward(x, g: _PoolGeom):
    """Returns the pooled max and what backward needs to route dy: a ``_TileArgmax`` or (rows, cols)."""
    xp = array_module(x)
    if g.reshape:
        return _max_tiles_forward(x, g)
    xpad = _pad(x, g, _lowest(x.dtype))
    views = [xpad[g.window(p, q)] for p in range(g.kh) for q in range(g.kw)]
    m, idx = _first_max(views)
    return m, (xp.divmod(idx, g.kw) if g.kw > 1 else (idx, xp.zeros_like(idx)))


def _max_backward(dy, where, g: _PoolGeom, dtype):
    xp = array_module(dy)
    if isinstance(where, _TileArgmax):
        return _max_tiles_backward(dy, where, g, dtype)
    rows, cols = where
    hp, wp = g.padded()
    dxp = xp.zeros((g.n, g.c, hp, wp), dtype=dtype)
    overlap = g.sh < g.dh * (g.kh - 1) + 1 or g.sw < g.dw * (g.kw - 1) + 1
    for p in range(g.kh):
        gp = dy * (rows == p) if g.kh > 1 else dy
        for q in range(g.kw):
            contrib = gp * (cols == q) if g.kw > 1 else gp
            view = dxp[g.window(p, q)]
            if overlap:
                view += contrib
            else:  # every input pixel is in at most one window
                xp.copyto(view, contrib)
    if hp == g.h and wp == g.w:
        return dxp
    return xp.ascontiguousarray(dxp[:, :, g.ph : g.ph + g.h, g.pw : g.pw + g.w])


def _flat_indices(where, g: _PoolGeom):
    """Flat (h * W + w) index into each unpadded input plane of every chosen maximum."""
    rows, cols = _tile_rows_cols(where, g) if isinstance(where, _TileArgmax) else where
    xp = array_module(rows, cols)
    oh = xp.arange(g.oh).reshape(g.oh, 1) * g.sh - g.ph
    ow = xp.arange(g.ow).reshape(1, g.ow) * g.sw - g.pw
    h = oh + rows.astype(np.int64) * g.dh
    w = ow + cols.astype(np.int64) * g.dw
    return h * g.w + w


class MaxPool2d(Op):
    """y = max over each window;  dx = dy at the (first) argmax of each window, 0 elsewhere."""

    _node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, geom, return_indices):
        y, where = _max_forward(x, geom)
        ctx.geom, ctx.where, ctx.dtype = geom, where, x.dtype
        if return_indices:
            idx = _flat_indices(where, geom)
            ctx.mark_non_differentiable(idx)
            return y, idx
        return y

    @staticmethod
    def backward(ctx, dy, didx=None):
        return _SelectWindows.of(dy, ctx.where, ctx.geom, ctx.dtype), None, None


class _SelectWindows(LinearOp):
    """The backward of max pooling as an op of its own (for double backward): dy scattered to the argmaxes."""

    f = staticmethod(_max_backward)

    @staticmethod
    def adjoint(h, dy_shape, where, geom, dtype):
        # gather h at the argmax positions: the adjoint of the scatter (linear, so no graph needed)
        flat = _flat_indices(where, geom).reshape(geom.n, geom.c, -1)
        h_data = h._data if isinstance(h, Tensor) else h
        xp = array_module(h_data)
        out = xp.take_along_axis(h_data.reshape(geom.n, geom.c, -1), flat, axis=2)
        return out.reshape(geom.n, geom.c, geom.oh, geom.ow)


# -- average pooling ---------------------------------------------------------------------------------------


def _avg_divisor(g: _PoolGeom, count_include_pad, divisor_override, dtype, xp=None):
    """PyTorch's divisor per output position: a scalar or an (OH, OW) array of array module ``xp``
    (that of the input; NumPy by default)."""
    if divisor_override:
        return dtype.type(divisor_override)

    def counts(out, size, k, s, p):
        starts = [i * s - p for i in range(out)]
        if count_include_pad:
            return [min(a + k, size + p) - a for a in starts]
        return [min(a + k, size + p, size) - max(a, 0) for a in starts]

    ch = counts(g.oh, g.h, g.kh, g.sh, g.ph)
    cw = counts(g.ow, g.w, g.kw, g.sw, g.pw)
    if len(set(ch)) <= 1 and len(set(cw)) <= 1:  # one divisor for every window (also an empty output)
        return dtype.type(ch[0] * cw[0] if ch and cw else 1)
    xp = array_module() if xp is None else xp
    return xp.asarray([[a * b for b in cw] for a in ch], dtype=dtype)


class AvgPool2d(Op):
    """y = sum over each window / divisor;  dx = dy / divisor spread over each window."""

    _node_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, geom, divisor):
        xp = array_module(x)
        ctx.geom, ctx.divisor, ctx.dtype = geom, divisor, x.dtype
        if geom.reshape:
            t = _crop_tiles(x, geom)
            acc = t[..., 0].copy() if geom.kw > 1 else t[..., 0]
            for q in range(1, geom.kw):
                acc += t[..., q]
            s = acc[:, :, :, 0].copy()
            for p in range(1, geom.kh):
                s += acc[:, :, :, p]
        else:
            xpad = _pad(x, geom, 0)
            s = xpad[geom.window(0, 0)].copy()
            for p in range(geom.kh):
                for q in range(geom.kw):
                    if p or q:
                        s += xpad[geom.window(p, q)]
        if x.dtype.kind != "f":  # integer pooling truncates, like C++ integer division
            return xp.trunc(s / divisor).astype(x.dtype)
        if xp.ndim(divisor) == 0:
            s *= x.dtype.type(1.0 / divisor)
        else:
            s /= divisor
        return s

    @staticmethod
    def backward(ctx, dy):
        return _SpreadWindows.of(dy, ctx.geom, ctx.divisor, ctx.dtype), None, None


def _avg_backward(dy, geom: _PoolGeom, divisor, dtype):
    xp = array_module(dy)
    share = dy / divisor if xp.ndim(divisor) else dy * dtype.type(1.0 / divisor)
    if geom.reshape:
        hh, ww = geom.oh * geom.kh, geom.ow * geom.kw
        tiles = xp.broadcast_to(share[:, :, :, None, :, None], (geom.n, geom.c, geom.oh, geom.kh, geom.ow, geom.kw))
        if hh == geom.h and ww == geom.w:
            return xp.ascontiguousarray(tiles).reshape(geom.n, geom.c, hh, ww)
        dx = xp.zeros((geom.n, geom.c, geom.h, geom.w), dtype=dtype)
        dx[:, :, :hh, :ww] = tiles.reshape(geom.n, geom.c, hh, ww)
        return dx
    hp, wp = geom.padded()
    dxp = xp.zeros((geom.n, geom.c, hp, wp), dtype=dtype)
    for p in range(geom.kh):
        for q in range(geom.kw):
            dxp[geom.window(p, q)] += share
    if hp == geom.h and wp == geom.w:
        return dxp
    return xp.ascontiguousarray(dxp[:, :, geom.ph : geom.ph + geom.h, geom.pw : geom.pw + geom.w])


class _SpreadWindows(LinearOp):
    """The backward of average pooling as an op (for double backward): its adjoint is avg pooling."""

    f = staticmethod(_avg_backward)

    @staticmethod
    def adjoint(h, dy_shape, geom, divisor, dtype):
        return AvgPool2d.apply(h if isinstance(h, Tensor) else Tensor._wrap(h), geom, divisor)


# -- adaptive pooling -----------------------------------------------------------------------------------------


def _adaptive_bounds(size, out):
    """Per output position i, the input window [start_i, end_i) of adaptive pooling (Python ints)."""
    start = [(i * size) // out for i in range(out)]
    end = [-((-(i + 1) * size) // out) for i in range(out)]  # ceil
    return start, end


def _adaptive_matrix(size, out, dtype, xp=None):
    """A (out, size) averaging matrix of array module ``xp`` (NumPy by default): row i averages
    input[start_i:end_i]."""
    xp = array_module() if xp is None else xp
    start, end = _adaptive_bounds(size, out)
    cols = xp.arange(size)
    lo, hi = xp.asarray(start)[:, None], xp.asarray(end)[:, None]
    inside = (cols >= lo) & (cols < hi)
    return (inside / (hi - lo)).astype(dtype)


class _Separable(Op):
    """y = A_h x A_w^T over the last two dims (A_h (OH, H), A_w (OW, W));  dx = A_h^T dy A_w."""

    _node_name = "AdaptiveAvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, ah, aw):
        xp = array_module(x)
        ctx.mats = (ah, aw)
        y = x
        if ah is not None:
            y = xp.matmul(ah, y)
        if aw is not None:
            y = xp.matmul(y, aw.T)
        return y if y is not x else x.copy()

    @staticmethod
    def backward(ctx, dy):
        xp = array_module(dy)
        ah, aw = ctx.mats
        g = dy
        if ah is not None:
            g = xp.matmul(ah.T, g)
        if aw is not None:
            g = xp.matmul(g, aw)
        return g, None, None


def _adaptive_sizes(output_size, spatial, nd):
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != nd:
            raise RuntimeError(f"adaptive pool: output_size must have {nd} elements, got {len(output_size)}")
        sizes = tuple(s if o is None else int(o) for o, s in zip(output_size, spatial))
    else:
        sizes = (int(output_size),) * nd
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"adaptive pool: elements of output_size must be greater than or equal to 0 but received {list(sizes)}")
    return sizes


def _to4d(input: Tensor, nd: int):
    """(N, C, *spatial) or unbatched (C, *spatial) -> a 4-D tensor, plus how to undo it."""
    from .shape import reshape

    x = input._data
    batched = x.ndim == nd + 2
    shape = x.shape if batched else (1,) + x.shape
    if nd == 1:
        four = (shape[0], shape[1], 1, shape[2])
    else:
        four = shape
    out4 = reshape(input, four) if four != x.shape else input

    def undo(t: Tensor) -> Tensor:
        s = t._data.shape
        target = s if nd == 2 else (s[0], s[1], s[3])
        if not batched:
            target = target[1:]
        return reshape(t, target) if target != s else t

    return out4, undo


def _check_dims(input: Tensor, nd: int, name: str, style: str):
    x = input._data
    if x.ndim not in (nd + 1, nd + 2):
        if style == "range":
            raise RuntimeError(
                f"Expected {nd + 1} to {nd + 2} dimensions, but got {x.ndim}-dimensional tensor for argument #1 'self' (while checking arguments for {name})"
            )
        if style == "adaptive":
            raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got{':' if 'max' in name else ''} {list(x.shape)}")
        if nd == 1:
            raise RuntimeError(
                f"{name}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:{list(x.shape)}"
            )
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    nonbatch = x.shape[1:] if x.ndim == nd + 2 else x.shape
    if any(s == 0 for s in nonbatch):
        raise RuntimeError(
            f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 dim batch size for input, but got:{list(x.shape)}"
        )


def _adaptive_avg(input: Tensor, output_size, nd: int, name: str) -> Tensor:
    _check_dims(input, nd, name, "adaptive" if nd == 2 else "range")
    x4, undo = _to4d(input, nd)
    h, w = x4._data.shape[2:]
    oh, ow = (1,) + _adaptive_sizes(output_size, (w,), 1) if nd == 1 else _adaptive_sizes(output_size, (h, w), 2)
    dtype = x4._data.dtype
    if oh and ow and h % oh == 0 and w % ow == 0:
        geom = _PoolGeom(x4._data.shape, (h // oh, w // ow), (h // oh, w // ow), (0, 0), (1, 1), False)
        return undo(AvgPool2d.apply(x4, geom, dtype.type(geom.kh * geom.kw)))
    xp = array_module(x4._data)
    ah = None if oh == h else _adaptive_matrix(h, oh, dtype, xp)
    aw = None if ow == w else _adaptive_matrix(w, ow, dtype, xp)
    return undo(_Separable.apply(x4, ah, aw))


class _AdaptiveMax(Op):
    """y = max over each adaptive window;  dx = dy at the (first) argmax. Loops over output positions."""

    _node_name = "AdaptiveMaxPool2DBackward0"

    @staticmethod
    def forward(ctx, x, oh, ow, return_indices):
        xp = array_module(x)
        n, c, h, w = x.shape
        hs, he = _adaptive_bounds(h, oh)
        ws, we = _adaptive_bounds(w, ow)
        y = xp.empty((n, c, oh, ow), dtype=x.dtype)
        idx = xp.empty((n, c, oh, ow), dtype=np.int64)
        for i in range(oh):
            for j in range(ow):
                win = x[:, :, hs[i] : he[i], ws[j] : we[j]].reshape(n, c, (he[i] - hs[i]) * (we[j] - ws[j]))
                k = xp.argmax(win, axis=2)  # the first maximum, like PyTorch
                y[:, :, i, j] = xp.take_along_axis(win, k[..., None], axis=2)[..., 0]
                lw = we[j] - ws[j]
                idx[:, :, i, j] = (hs[i] + k // lw) * w + ws[j] + k % lw
        ctx.shape, ctx.idx = x.shape, idx
        if return_indices:
            ctx.mark_non_differentiable(idx)
            return y, idx
        return y

    @staticmethod
    def backward(ctx, dy, didx=None):
        first_order_only("adaptive_max_pool", dy)
        xp = array_module(ctx.idx)
        n, c, h, w = ctx.shape
        dx = xp.zeros((n, c, h * w), dtype=dy.dtype)
        plane = ctx.idx.shape[2] * ctx.idx.shape[3]
        rows = xp.arange(n * c)[:, None]
        xp.add.at(dx.reshape(n * c, h * w), (rows, ctx.idx.reshape(n * c, plane)), dy.reshape(n * c, plane))
        return dx.reshape(n, c, h, w), None, None, None


def _adaptive_max(input: Tensor, output_size, return_indices: bool, nd: int, name: str):
    _check_dims(input, nd, name, "adaptive" if nd == 2 else "range")
    x4, undo = _to4d(input, nd)
    h, w = x4._data.shape[2:]
    oh, ow = (1,) + _adaptive_sizes(output_size, (w,), 1) if nd == 1 else _adaptive_sizes(output_size, (h, w), 2)
    if oh and ow and h % oh == 0 and w % ow == 0:
        geom = _PoolGeom(x4._data.shape, (h // oh, w // ow), (h // oh, w // ow), (0, 0), (1, 1), False)
        out = MaxPool2d.apply(x4, geom, return_indices)
    else:
        out = _AdaptiveMax.apply(x4, oh, ow, return_indices)
    if return_indices:
        return undo(out[0]), undo(out[1])
    return undo(out)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average over adaptive windows: (N, C, L) -> (N, C, output_size)."""
    return _adaptive_avg(input, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average over adaptive windows: (N, C, H, W) -> (N, C, *output_size); None keeps a size."""
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d")


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max over adaptive windows: (N, C, L) -> (N, C, output_size)."""
    return _adaptive_max(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max over adaptive windows: (N, C, H, W) -> (N, C, *output_size)."""
    return _adaptive_max(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = True):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = True):
    return adaptive_max_pool2d(input, output_size, True)


# -- functional max / avg pooling --------------------------------------------------------------------------------


def _pair_arg(value, nd: int, name: str, default=None):
    if value is None or (isinstance(value, (list, tuple)) and len(value) == 0):
        return default
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return (int(value[0]),) * nd
        if len(value) != nd:
            raise RuntimeError(f"{name} must either be a single int, or a tuple of {nd} ints")
        return tuple(int(v) for v in value)
    return (int(value),) * nd


def check_window(k, s, p, d, axes: str, max_pool: bool = False) -> None:
    """torch's checks of a pooling window (kernel, stride, padding, dilation tuples), in its order and words;
    ``axes`` names the spatial axes ("HW", "THW"). Max pooling also keeps the padding within half the undilated
    kernel."""

    def got(prefix, v):
        return " ".join(f"{prefix}{a}: {x}" for a, x in zip(axes, v if len(v) == len(axes) else v * len(axes)))

    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got {got('k', k)}")
    if any(v < 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got {got('d', s)}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got {got('dilation', d)}")
    if any(v < 0 for v in p):
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(p)}")
    for kk, pp, dd in zip(k, p, d):
        if pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={pp}, kernel_size={kk} and dilation={dd}"
            )
    if max_pool and any(pp > kk // 2 for kk, pp in zip(k, p)):
        sizes = dict(zip(axes, k))
        pads = dict(zip(axes, p))
        if axes == "HW":
            got = f"padW = {pads['W']}, padH = {pads['H']}, kW = {sizes['W']}, kH = {sizes['H']}"
        else:
            got = " ".join([f"k{a}: {sizes[a]}" for a in "TWH"] + [f"pad{a}: {pads[a]}" for a in "TWH"])
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got {got}")


def _check_max_pool1d(k: int, s: int, p: int, d: int) -> None:
    """torch's checks of max_pool1d without indices (its own 1-d kernel), in its order and words."""
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:  # the undilated kernel, as torch's
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={p} and kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")


def _geometry(input4: Tensor, nd, kernel_size, stride, padding, dilation, ceil_mode, kind: str) -> _PoolGeom:
    """The pooling geometry of a 4-d input, after torch's checks. 1-d pooling runs as 2-d over (1, L) windows and
    reports as torch's 2-d path does (H of size 1), except ``kind='max1d'``: max_pool1d without indices, which
    torch runs on its own 1-d kernel with its own checks."""
    k = _pair_arg(kernel_size, nd, "kernel_size" if nd == 2 else "max_pool1d() kernel_size")
    s = _pair_arg(stride, nd, "stride", default=k)
    p = _pair_arg(padding, nd, "padding")
    d = _pair_arg(dilation, nd, "dilation")
    if nd == 1:
        if kind == "max1d":
            _check_max_pool1d(k[0], s[0], p[0], d[0])
        k, s, p, d = (1,) + k, (1,) + s, (0,) + p, (1,) + d
    check_window(k, s, p, d, "HW", max_pool=kind == "max")
    geom = _PoolGeom(input4._data.shape, k, s, p, d, ceil_mode)
    if geom.oh < 1 or geom.ow < 1:
        if kind == "max1d":
            raise RuntimeError(f"max_pool1d() Invalid computed output size: {geom.ow}")
        c, h, w = input4._data.shape[1:]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{geom.oh}x{geom.ow}). Output size is too small")
    return geom


def _max_pool(input, nd, kernel_size, stride, padding, dilation, ceil_mode, return_indices, name):
    _check_dims(input, nd, name, "max")
    x4, undo = _to4d(input, nd)
    kind = "max1d" if nd == 1 and not return_indices else "max"
    geom = _geometry(x4, nd, kernel_size, stride, padding, dilation, ceil_mode, kind)
    out = MaxPool2d.apply(x4, geom, bool(return_indices))
    if return_indices:
        return undo(out[0]), undo(out[1])
    return undo(out)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False, return_indices: bool = False):
    """Max over sliding windows of (N, C, L); ``return_indices`` also gives each argmax's position."""
    return _max_pool(input, 1, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool1d")


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False, return_indices: bool = False):
    """Max over sliding windows of (N, C, H, W); padding counts as -inf."""
    return _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool2d")


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False, return_indices: bool = True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False, return_indices: bool = True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _avg_pool(input, nd, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, name):
    _check_dims(input, nd, name, "range" if nd == 1 else "max")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    x4, undo = _to4d(input, nd)
    geom = _geometry(x4, nd, kernel_size, stride, padding, 1, ceil_mode, "avg")
    dtype = x4._data.dtype
    divisor = _avg_divisor(geom, count_include_pad, divisor_override, dtype if dtype.kind == "f" else np.dtype(np.int64),
                           array_module(x4._data))
    return undo(AvgPool2d.apply(x4, geom, divisor))


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Mean over sliding windows of (N, C, L)."""
    return _avg_pool(input, 1, kernel_size, stride, padding, ceil_mode, count_include_pad, None, "avg_pool1d")


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over sliding windows of (N, C, H, W); ``divisor_override`` replaces the window size."""
    return _avg_pool(input, 2, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, "avg_pool2d")


def lp_pool1d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """(sum over windows of x^p)^(1/p), composed from avg pooling like PyTorch."""
    from .pointwise import abs as _abs, mul, pow as _pow, relu, sign

    k = kernel_size if isinstance(kernel_size, int) else kernel_size[0]
    out = avg_pool1d(_pow(input, norm_type), kernel_size, stride, 0, ceil_mode)
    return _pow(mul(mul(sign(out), relu(_abs(out))), k), 1.0 / norm_type)


def lp_pool2d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """(sum over windows of x^p)^(1/p), composed from avg pooling like PyTorch."""
    from .pointwise import abs as _abs, mul, pow as _pow, relu, sign

    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    out = avg_pool2d(_pow(input, norm_type), kernel_size, stride, 0, ceil_mode)
    return _pow(mul(mul(sign(out), relu(_abs(out))), kh * kw), 1.0 / norm_type)


# -- max unpooling -------------------------------------------------------------------------------------------------


class _Unpool(Op):
    """y[idx] = x (scatter into zeros);  dx = dy[idx] (gather)."""

    _node_name = "MaxUnpool2DBackward0"

    @staticmethod
    def forward(ctx, x, idx, out_plane):
        xp = array_module(x, idx)
        n, c = x.shape[:2]
        y = xp.zeros((n, c, out_plane), dtype=x.dtype)
        flat = idx.reshape(n, c, -1)
        if flat.size and (flat.min() < 0 or flat.max() >= out_plane):
            raise RuntimeError(f"Found an invalid max index: {int(flat.max() if flat.max() >= out_plane else flat.min())} (output volumes are of size {out_plane}")
        xp.put_along_axis(y, flat, x.reshape(n, c, -1), axis=2)
        ctx.flat, ctx.xshape = flat, x.shape
        return y

    @staticmethod
    def backward(ctx, dy):
        xp = array_module(dy)
        g = dy._data if isinstance(dy, Tensor) else dy
        out = xp.take_along_axis(g, ctx.flat, axis=2).reshape(ctx.xshape)
        return out, None, None


def _max_unpool(input, indices, nd, kernel_size, stride, padding, output_size):
    from .shape import reshape

    k = _pair_arg(kernel_size, nd, "kernel_size")
    s = _pair_arg(stride, nd, "stride", default=k)
    p = _pair_arg(padding, nd, "padding")
    x = input._data
    spatial = x.shape[-nd:]
    default = tuple((i - 1) * ss - 2 * pp + kk for i, ss, pp, kk in zip(spatial, s, p, k))
    if output_size is None:
        out = default
    else:
        out = tuple(int(v) for v in output_size)[-nd:]
    lead = x.shape[:-nd]
    flat_in = reshape(input, (math.prod(lead[:-1]) if len(lead) > 1 else 1, lead[-1], -1))
    plane = math.prod(out)
    y = _Unpool.apply(flat_in, indices._data.reshape(flat_in._data.shape), plane)
    return reshape(y, lead + out)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Partial inverse of max_pool1d: values scattered back to their argmax positions, zeros elsewhere."""
    return _max_unpool(input, indices, 1, kernel_size, stride, padding, output_size)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Partial inverse of max_pool2d: values scattered back to their argmax positions, zeros elsewhere."""
    return _max_unpool(input, indices, 2, kernel_size, stride, padding, output_size)
