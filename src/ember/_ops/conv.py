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

``Conv2d`` (every conv1d/conv2d) runs on the "planes" layout described above ``_Planes``:
channel-major, strides split into phases, the whole batch in one row per channel, so im2col
and col2im are a handful of long-run copies and adds. The transposed convolutions and
unfold/fold use the per-image layout below.

The per-image "wide" layout (used whenever the horizontal stride is 1): the padded input is
flattened per channel and each output row is computed over the full padded width
``Wp`` instead of ``OW``; the extra ``(KW - 1) d`` columns per row are discarded. This
turns every im2col/col2im copy into long contiguous runs (3-4x faster than the
row-by-row copies of the compact layout) for ``Wp / OW`` more GEMM work.
"""

from __future__ import annotations


import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._tensor import Tensor
from ..autograd.function import Op
from ._bufpool import pool, scratch

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "unfold", "fold"]


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
                 "groups", "hp", "wp", "oh", "ow", "wide", "ncols", "flat", "keep")

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
        # Conv2d may keep its im2col matrix for backward (set False when no gradient will be taken)
        self.keep = True


# -- scratch buffers ------------------------------------------------------------------------------------------
#
# A convolution's temporaries (padded input, im2col matrix, widened gradient, col2im
# accumulator) are large and short-lived. Fresh arrays of that size come straight from
# mmap and pay a page fault per 4 KiB on first touch, which costs as much as the copies
# themselves. Each temporary therefore lives in a per-thread buffer that is reused from
# call to call. A scratch array never escapes the function that asked for it: results are
# always fresh arrays, and an im2col matrix kept for backward comes from a small pool that
# backward hands it back to (``_take_cols`` / ``_give_cols``).

_SCRATCH_LIMIT = 1 << 24  # bytes (16 MiB); larger temporaries are allocated normally


def _scratch(role: str, shape, dtype, zero: bool = False) -> np.ndarray:
    size = 1
    for s in shape:
        size *= s
    dtype = np.dtype(dtype)
    if size * dtype.itemsize > _SCRATCH_LIMIT:
        return np.zeros(shape, dtype) if zero else np.empty(shape, dtype)
    out = scratch("conv2d." + role, shape, dtype)
    if zero:
        out.fill(0)
    return out


def _zeroed(role: str, shape, dtype, layout=()) -> np.ndarray:
    """A per-thread buffer for one exact shape and ``layout`` (whatever decides which part the
    caller writes), zero-filled once when created; kept in the bounded "zeroed" pool (LRU).

    For temporaries of which every call overwrites the same part and needs the rest zero
    (the discarded columns of a widened gradient, the rows of dcols below the output): the
    rest stays zero without zeroing it each call, which costs as much as the GEMM when those
    parts are many short runs. Callers must write nothing else into the buffer.
    """
    dtype = np.dtype(dtype)
    store = pool("zeroed")
    key = (role, tuple(shape), dtype.str, layout)
    buf = store.get(key)
    if buf is None:
        nbytes = dtype.itemsize * int(np.prod(shape))
        if nbytes > _SCRATCH_LIMIT:
            return np.zeros(shape, dtype)
        buf = np.zeros(shape, dtype)
        store.put(key, buf)
    return buf


def _take_cols(shape, dtype) -> np.ndarray:
    """A buffer for an im2col matrix that forward keeps for backward: a recycled one when backward
    has handed one of this shape back (``_give_cols``), else a fresh array. Recycling saves the
    page faults of a fresh multi-MiB array each step (they cost 2-3x the im2col copy itself)."""
    buf = pool("cols").pop((tuple(shape), np.dtype(dtype).str))
    return buf if buf is not None else np.empty(shape, dtype)


def _give_cols(buf: np.ndarray) -> None:
    """Hand a kept im2col matrix back once backward no longer needs it (one per shape, in the
    bounded "cols" pool: least recently used shapes are dropped first)."""
    if buf.nbytes <= _KEEP_COLS + (1 << 20):
        pool("cols").put((buf.shape, buf.dtype.str), buf)


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


def _col2im_of_gemm_t(w2, dyw, g: _Geom, out=None) -> np.ndarray:
    """col2im(W^T dy): the input gradient of a convolution, dcols in scratch."""
    dcols = _scratch("dcols", (g.n, g.c * g.kh * g.kw, g.ncols), dyw.dtype)
    return _col2im(_gemm_t(w2, dyw, g.groups, out=dcols), g, out)


# -- the planes layout (Conv2d forward and backward) ---------------------------------------------
#
# Conv2d runs on a layout built for NumPy's costs, measured on the benchmark layers
# (benchmarks/layers.py, benchmarks/compare.py lenet and course_cnn):
#
# * channel-major "planes": the zero-padded input of every image is stored per channel as one
#   long row, image after image (C, N * S), S = the padded image size. A kernel tap (p, q) is
#   then one shifted slice of that row, so im2col is one copy per tap with runs as long as the
#   whole batch, and col2im is one in-place add per tap with the same long runs. NumPy pays
#   per contiguous run; the per-image layout paid for N*C short runs per tap, which made col2im
#   3-4x slower than its arithmetic.
# * strides by phases: a stride-s convolution reads every s-th pixel. The padded input is split
#   once into its s*s phase images (rows i = a mod s, columns j = b mod s), and each tap is a
#   plain shifted slice of one phase -- a stride-2 convolution costs like a stride-1 one on a
#   quarter of the pixels, instead of strided gathers in every tap.
# * each output row is computed over the full width of its (phase) plane ("wide" rows): the
#   extra columns are discarded, in exchange for the contiguous slices above.
# * GEMMs one image at a time (np.matmul over a batch of strided views): per-image products
#   stay within OpenBLAS's small-matrix kernels (M*N*K <= 1e6 on AVX-512), which run these
#   skinny shapes 1.5-3x faster than one batch-wide GEMM; each orientation below was chosen by
#   timing the alternatives (dW as cols @ dy^T is 2x faster than dy @ cols^T for K >> O).
# * the im2col matrix of a small batch (<= _KEEP_COLS bytes) is kept from forward for backward
#   instead of rebuilt; larger batches go through in chunks of images and rebuild it.

_KEEP_COLS = 1 << 24  # bytes: up to this, one chunk for the whole batch and the columns are kept
_CHUNK_COLS = 1 << 22  # bytes of im2col matrix per chunk of images when the batch is larger
_PER_IMAGE_MIN_M = 128  # output columns per image from which im2col is laid out per image
_SMALL_GEMM = 1_000_000  # M*N*K bound of OpenBLAS's small-matrix SGEMM kernels (see _Planes.split)


class _Planes:
    """Sizes of one 2-D convolution in the planes layout (see above), from a ``_Geom``.

    ``hq, wq``: size of one phase plane; ``s = hq * wq``; ``m = oh * wq`` output columns per image
    (wide rows); ``taps``: per kernel position (p, q), its phase and its shift in the plane;
    ``tail``: how far the last image's taps read past its plane.
    """

    __slots__ = (
        "hq", "wq", "s", "m", "phases", "taps", "tail", "k", "affine", "chunk", "rows", "per_image", "split",
    )

    def __init__(self, g: _Geom, itemsize: int):
        self.hq = -(-g.hp // g.sh)
        self.wq = -(-g.wp // g.sw)
        self.s = self.hq * self.wq
        self.m = g.oh * self.wq
        self.phases = g.sh * g.sw
        taps = []
        for p in range(g.kh):
            u, a = divmod(p * g.dh, g.sh)
            for q in range(g.kw):
                v, b = divmod(q * g.dw, g.sw)
                taps.append((a * g.sw + b, u * self.wq + v))
        self.taps = taps
        self.tail = max(off for _, off in taps)
        self.k = g.c * g.kh * g.kw
        # one phase: the shifts are p*dh*wq + q*dw, so all taps are one strided view
        self.affine = self.phases == 1
        # The im2col matrix per image, (n, K, M), when its output rows are long: contiguous GEMM
        # operands and no copy of the plane rows below the output (S - M per image, up to 40%
        # of the bytes) -- measured 5-10% faster on LeNet's layers (M = 896, 140) in a training
        # loop, where these copies run from memory, not cache. With short rows (the stride-2
        # layers of course_cnn: M = 56, 20) the per-run cost of n*C runs per tap outweighs that,
        # and the matrix stays in the planes layout (K, n*S): one run per (channel, tap).
        self.per_image = self.m >= _PER_IMAGE_MIN_M
        # Column blocks per image for the GEMMs: OpenBLAS runs a product with M*N*K <= 1e6 in its
        # small-matrix kernels (AVX-512 builds), 1.2-1.6x faster on these skinny shapes than its
        # packed path; a layer just above that (e.g. 16 -> 32 channels, 3x3, 14x14: 1.04e6 per
        # image) is split into equal column blocks that fit. Below it, splitting only adds calls.
        self.split = _column_blocks(g.o, self.k + 1, self.m) if g.groups == 1 else 1
        per_image = self.k * self.s * itemsize
        if per_image * g.n <= _KEEP_COLS:
            self.chunk = max(g.n, 1)
        else:
            self.chunk = max(1, _CHUNK_COLS // per_image)
        # per phase of each axis: (first input index, count, first plane index), see _phase_ranges
        self.rows = (_phase_ranges(g.h, g.hp, g.pt, g.sh), _phase_ranges(g.w, g.wp, g.pl, g.sw))

    def row_length(self, n: int, itemsize: int) -> int:
        """Elements per channel row for ``n`` images: n*s plus the tail, padded so that the row
        stride is an odd number of 64-byte lines -- a power-of-two stride maps every row of a
        GEMM operand to the same cache sets (measured 5x slower on 64-wide planes)."""
        line = max(1, 64 // itemsize)
        length = -(-(n * self.s + self.tail) // line) * line
        if (length // line) % 2 == 0:
            length += line
        return length


def _column_blocks(o: int, k: int, m: int) -> int:
    """The fewest equal column blocks (at most 8) that bring an (o x k) @ (k x m) GEMM within
    OpenBLAS's small-matrix bound; 1 when none does (large products run well packed)."""
    for d in range(1, 9):
        if m % d == 0 and o * k * (m // d) <= _SMALL_GEMM:
            return d
    return 1


def _phase_ranges(size: int, padded: int, lead: int, stride: int):
    """Per phase a: (first input index, count, first plane index) of the input pixels that land in
    phase a of the padded axis; the input may be cropped by a negative trailing pad."""
    usable = min(size, padded - lead)
    out = []
    for a in range(stride):
        i0 = max(0, -(-(lead - a) // stride))  # first plane index whose padded position is inside
        r0 = i0 * stride + a - lead
        count = (usable - r0 + stride - 1) // stride if r0 < usable else 0
        out.append((r0, count, i0))
    return out


_planes_cache: dict = {}  # sizes only (a few hundred bytes each), cleared past 256 entries


def _planes(g: _Geom, itemsize: int) -> _Planes:
    key = (g.n, g.c, g.h, g.w, g.o, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pb, g.pl, g.pr, g.groups, itemsize)
    pl = _planes_cache.get(key)
    if pl is None:
        if len(_planes_cache) > 256:
            _planes_cache.clear()
        pl = _planes_cache[key] = _Planes(g, itemsize)
    return pl


def _to_planes(x: np.ndarray, g: _Geom, pl: _Planes, out: np.ndarray) -> np.ndarray:
    """x (n, C, H, W) -> out (C, phases, row): zero-padded phase planes, image after image."""
    n = x.shape[0]
    out.fill(0)
    body = out[:, :, : n * pl.s].reshape(g.c, pl.phases, n, pl.hq, pl.wq)
    xc = x.transpose(1, 0, 2, 3)
    rows, cols = pl.rows
    for a, (r0, nr, i0) in enumerate(rows):
        if nr <= 0:
            continue
        for b, (c0, nc, j0) in enumerate(cols):
            if nc <= 0:
                continue
            src = xc[:, :, r0 : r0 + (nr - 1) * g.sh + 1 : g.sh, c0 : c0 + (nc - 1) * g.sw + 1 : g.sw]
            body[:, a * g.sw + b, :, i0 : i0 + nr, j0 : j0 + nc] = src
    return out


def _from_planes(acc: np.ndarray, g: _Geom, pl: _Planes, out: np.ndarray) -> np.ndarray:
    """Adjoint of ``_to_planes``: acc (C, phases, row) -> out (n, C, H, W), padding dropped."""
    n = out.shape[0]
    body = acc[:, :, : n * pl.s].reshape(g.c, pl.phases, n, pl.hq, pl.wq)
    oc = out.transpose(1, 0, 2, 3)
    rows, cols = pl.rows
    covered = sum(nr for _, nr, _ in rows) == g.h and sum(nc for _, nc, _ in cols) == g.w
    if not covered:  # input pixels cropped away by a negative pad get no gradient
        out.fill(0)
    for a, (r0, nr, i0) in enumerate(rows):
        if nr <= 0:
            continue
        for b, (c0, nc, j0) in enumerate(cols):
            if nc <= 0:
                continue
            dst = oc[:, :, r0 : r0 + (nr - 1) * g.sh + 1 : g.sh, c0 : c0 + (nc - 1) * g.sw + 1 : g.sw]
            np.copyto(dst, body[:, a * g.sw + b, :, i0 : i0 + nr, j0 : j0 + nc])
    return out


def _planes_im2col(planes: np.ndarray, g: _Geom, pl: _Planes, n: int, extra: int = 0, role: str | None = "cols"):
    """planes (C, phases, row) -> the im2col matrix, plus ``extra`` rows left for the caller.

    Row (c, p, q) holds the input read through tap (p, q): a shifted slice of the planes. Laid
    out (n, K + extra, M) when ``pl.per_image`` (one copy per image and tap, or one in all with a
    single phase), else (K + extra, row) like the planes (one long-run copy per tap). A scratch
    buffer with a ``role``, else one from the pool of kept matrices (``_take_cols``).
    """
    row = planes.shape[-1]
    shape = (n, pl.k + extra, pl.m) if pl.per_image else (pl.k + extra, row)
    out = _scratch(role, shape, planes.dtype) if role else _take_cols(shape, planes.dtype)
    e = planes.itemsize
    if pl.per_image:
        dst = out[:, : pl.k].reshape(n, g.c, g.kh * g.kw, pl.m)
        if pl.affine:
            strides = (pl.s * e, planes.strides[0], g.dh * pl.wq * e, g.dw * e, e)
            view = as_strided(planes, (n, g.c, g.kh, g.kw, pl.m), strides)
            np.copyto(dst.reshape(n, g.c, g.kh, g.kw, pl.m), view)
        else:
            length = n * pl.s
            for t, (phase, off) in enumerate(pl.taps):
                src = planes[:, phase, off : off + length].reshape(g.c, n, pl.s)[:, :, : pl.m]
                np.copyto(dst[:, :, t], src.transpose(1, 0, 2))
        return out
    length = n * pl.s
    dst = out[: pl.k].reshape(g.c, g.kh * g.kw, row)
    if pl.affine:
        strides = (planes.strides[0], g.dh * pl.wq * e, g.dw * e, e)
        view = as_strided(planes, (g.c, g.kh, g.kw, length), strides)
        np.copyto(dst[:, :, :length].reshape(g.c, g.kh, g.kw, length), view)
    else:
        for t, (phase, off) in enumerate(pl.taps):
            np.copyto(dst[:, t, :length], planes[:, phase, off : off + length])
    return out


def _blocks(a: np.ndarray, d: int) -> np.ndarray:
    """(n, R, M) -> (n, d, R, M/d): each image's columns in ``d`` blocks (a view; see ``_Planes.split``)."""
    if d == 1:
        return a
    n, r, m = a.shape
    return a.reshape(n, r, d, m // d).transpose(0, 2, 1, 3)


def _cols_per_image(cols: np.ndarray, pl: _Planes, n: int) -> np.ndarray:
    """The im2col matrix as (n, rows, M), a view in either layout."""
    return cols if pl.per_image else _image_view(cols, pl, n, pl.m)


def _image_view(rows2d: np.ndarray, pl: _Planes, n: int, width: int) -> np.ndarray:
    """(R, row) -> (n, R, width): per image, the first ``width`` columns of its plane (a view)."""
    r = rows2d.shape[0]
    return rows2d[:, : n * pl.s].reshape(r, n, pl.s)[:, :, :width].transpose(1, 0, 2)


def _planes_forward(x, w2, bias, g: _Geom, pl: _Planes, out, keep: bool):
    """out (n, O, OH, OW) = conv(x) for one chunk of images; returns the im2col matrix when ``keep``.

    With a bias (and one group) the im2col matrix gets a row of ones and W a column of biases,
    so the GEMM adds the bias: the narrowing copy below is then a plain copy, about half the
    cost of an add that broadcasts the bias over short rows."""
    n = x.shape[0]
    row = pl.row_length(n, x.itemsize)
    planes = _to_planes(x, g, pl, _scratch("planes", (g.c, pl.phases, row), x.dtype))
    fold = bias is not None and g.groups == 1
    cols = _planes_im2col(planes, g, pl, n, extra=int(fold), role=None if keep else "cols")
    if fold:
        (cols[:, pl.k] if pl.per_image else cols[pl.k]).fill(1)
        w2 = np.concatenate((w2, bias.reshape(-1, 1)), axis=1)
    cv = _cols_per_image(cols, pl, n)  # (n, K, M): per image, its output rows
    if pl.wq == g.ow and fold:  # no discarded columns: the GEMM writes the result in place
        _gemm(w2, _blocks(cv, pl.split), g.groups, out=_blocks(out.reshape(n, g.o, pl.m), pl.split))
    else:
        y = _scratch("gemm", (n, g.o, pl.m), x.dtype)
        _gemm(w2, _blocks(cv, pl.split), g.groups, out=_blocks(y, pl.split))
        y = y.reshape(n, g.o, g.oh, pl.wq)[..., : g.ow]
        if bias is not None and not fold:
            np.add(y, bias.reshape(-1, 1, 1), out=out)
        else:
            np.copyto(out, y)
    return cols if keep else None


def _planes_backward(x, w2, dy, g: _Geom, pl: _Planes, cols, gx, need_w: bool):
    """One chunk of images: returns its dW^T part (G, K/G, O/G) and writes dx into ``gx``."""
    n = x.shape[0]
    row = pl.row_length(n, x.itemsize)
    kept = cols is not None
    if need_w and not kept:
        planes = _to_planes(x, g, pl, _scratch("planes", (g.c, pl.phases, row), x.dtype))
        cols = _planes_im2col(planes, g, pl, n)
    # dy in wide rows, zero in the discarded columns (they must not reach dW or dx); the
    # buffer's discarded columns are zero from its creation and never written
    if pl.wq == g.ow:
        dyw = np.ascontiguousarray(dy).reshape(n, g.o, pl.m)
    else:
        dyw = _zeroed("widen", (n, g.o, g.oh, pl.wq), dy.dtype, g.ow)
        dyw[..., : g.ow] = dy
        dyw = dyw.reshape(n, g.o, pl.m)
    part = None
    if need_w:
        cv = _cols_per_image(cols, pl, n)[:, : pl.k]
        part = _gemm_w_t(_blocks(cv, pl.split), _blocks(dyw, pl.split), g.groups)
    if kept:
        _give_cols(cols)
    if gx is not None:
        # dcols in the planes layout; per image, rows past the output rows stay zero (never
        # written), so they add nothing below
        dcols = _zeroed("dcols", (pl.k, row), dy.dtype, (pl.s, pl.m))
        _gemm_t(w2, _blocks(dyw, pl.split), g.groups, out=_blocks(_image_view(dcols, pl, n, pl.m), pl.split))
        acc = _scratch("planes", (g.c, pl.phases, row), dy.dtype, zero=True)
        length = n * pl.s
        taps = dcols.reshape(g.c, g.kh * g.kw, row)
        for t, (phase, off) in enumerate(pl.taps):
            dst = acc[:, phase, off : off + length]
            dst += taps[:, t, :length]  # col2im: one long-run add per tap
        _from_planes(acc, g, pl, gx)
    return part


def _gemm_w_t(cols: np.ndarray, dy: np.ndarray, groups: int) -> np.ndarray:
    """sum_n cols_n dy_n^T, grouped: (n, K, M), (n, O, M) -> (G, K/G, O/G). With one group the
    inputs may also come in column blocks, (n, d, K, M/d) and (n, d, O, M/d).

    This orientation (K x O results, K >> O) runs 2x faster in OpenBLAS than dy cols^T here."""
    if cols.ndim == 4:
        per_block = np.matmul(cols, np.swapaxes(dy, 2, 3))
        return per_block.sum(axis=(0, 1))[None]
    n, k, m = cols.shape
    o = dy.shape[1]
    cg, og = k // groups, o // groups
    per_image = np.matmul(cols.reshape(n, groups, cg, m), np.swapaxes(dy.reshape(n, groups, og, m), 2, 3))
    return per_image.sum(axis=0) if n > 1 else per_image[0]


class Conv2d(Op):
    """y = conv(x, w) + b as im2col + GEMM;  dx = col2im(W^T dy), dW = dy cols^T, db = sum dy.

    Runs on the planes layout (see ``_Planes``). The im2col matrix of a batch up to
    ``_KEEP_COLS`` bytes is kept for the first backward (PyTorch's slow_conv2d keeps its
    "finput" the same way); larger batches run in chunks of images and backward rebuilds it.
    """

    _node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        w2 = w.reshape(w.shape[0], -1)
        pl = _planes(geom, x.itemsize)
        y = np.empty((geom.n, geom.o, geom.oh, geom.ow), dtype=x.dtype)
        keep = geom.keep and pl.chunk >= geom.n
        cols = None  # an empty batch runs no chunk
        for start in range(0, geom.n, pl.chunk):
            stop = min(start + pl.chunk, geom.n)
            cols = _planes_forward(x[start:stop], w2, b, geom, pl, y[start:stop], keep)
        ctx.geom = geom
        ctx.cols = cols if keep else None
        ctx.save_for_backward(x, w)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        g = ctx.geom
        cols, ctx.cols = ctx.cols, None  # kept for one backward only; a second one rebuilds it
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if isinstance(dy, Tensor):
            return _conv_double_backward(ctx, x, w, dy)
        gx = gw = gb = None
        if need_b:
            gb = np.einsum("nchw->c", dy)  # one SIMD pass, faster than sum over three axes
        if need_x or need_w:
            pl = _planes(g, x.itemsize)
            w2 = w.reshape(w.shape[0], -1)
            gx = np.empty(x.shape, dtype=x.dtype) if need_x else None
            for start in range(0, g.n, pl.chunk):
                stop = min(start + pl.chunk, g.n)
                part = _planes_backward(
                    x[start:stop], w2, dy[start:stop], g, pl, cols if stop - start == g.n else None,
                    None if gx is None else gx[start:stop], need_w,
                )
                if need_w:
                    gw = part if gw is None else np.add(gw, part, out=gw)
            if gw is not None:
                # (G, C/G*KH*KW, O/G) -> (O, C/G, KH, KW)
                gw = np.ascontiguousarray(np.swapaxes(gw, 1, 2)).reshape(w.shape)
            elif need_w:  # an empty batch: no image contributes
                gw = np.zeros(w.shape, dtype=w.dtype)
        return gx, gw, gb, None


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


def _will_record(*tensors) -> bool:
    """Whether the op will be recorded for backward (so keeping its im2col matrix pays off)."""
    from ..autograd import grad_mode

    return grad_mode._state.enabled and any(t is not None and t._requires_grad for t in tensors)


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


def _size_list(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _conv_nd(input, weight, bias, stride, padding, dilation, groups, nd: int, name: str):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}() argument 'input' must be Tensor, not {type(input).__name__}")
    x, w = input._data, weight._data
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of size: {_size_list(x.shape)}"
        )
    if w.ndim != nd + 2:
        raise RuntimeError(
            "weight should have at least three dimensions" if w.ndim < 3 else
            f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional input {_size_list(x.shape)}, but got {w.ndim}-dimensional weight of size {_size_list(w.shape)} instead"
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
    if any(k <= 0 for k in ksize):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel size {_size_list(ksize)}")
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
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of size [{_size_list(w.shape)}] instead"
        )
    if x.shape[1] != w.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {_size_list(w.shape)}, expected input{_size_list(x.shape)} to have "
            f"{w.shape[1] * groups} channels, but got {x.shape[1]} channels instead"
        )
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != w.shape[0]):
        raise RuntimeError(
            f"Given weight of size {_size_list(w.shape)}, expected bias to be 1-dimensional with {w.shape[0]} elements, "
            f"but got bias of size {_size_list(bias._data.shape)} instead"
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

    if _use_nd(x.shape, w.shape, groups, nd):
        from .conv_nd import ConvNd, GeomN

        geom = GeomN(x.shape, ksize, stride, pads, dilation, groups, w.shape[0])
        out = ConvNd.apply(input, weight, bias, geom)
    elif nd == 1:
        n, c, length = x.shape
        x4 = reshape(input, (n, c, 1, length))
        w4 = reshape(weight, (w.shape[0], w.shape[1], 1, w.shape[2]))
        geom = _Geom((n, c, 1, length), (1, w.shape[2]), (1, stride[0]), (0, 0) + pads[0], (1, dilation[0]), groups, w.shape[0])
        geom.keep = _will_record(input, weight, bias)
        out = Conv2d.apply(x4, w4, bias, geom)
        out = reshape(out, (n, w.shape[0], out._data.shape[-1]))
    else:
        geom = _Geom(x.shape, w.shape[2:], stride, pads[0] + pads[1], dilation, groups, w.shape[0])
        geom.keep = _will_record(input, weight, bias)
        out = Conv2d.apply(input, weight, bias, geom)
    return squeeze(out, 0) if unbatched else out


def _use_nd(xshape, wshape, groups: int, nd: int) -> bool:
    """Whether the channels-last N-d kernels (conv_nd.py) run this convolution rather than the planes
    layout: 3-D ones, empty batches, and layers with at least ``_ND_MIN_K`` input channels per
    group. Measured (1 thread, fwd + bwd): ResNet-18's 64-512 channel layers 1.3-2x faster on the
    N-d kernels; LeNet (1, 6 channels), course_cnn (1, 16), ResNet's RGB stem and depthwise layers
    (1 channel per group) 1.4-3x faster on the planes layout, whose copies suit few channels."""
    if nd == 3 or xshape[0] == 0:
        return True
    return wshape[1] >= _ND_MIN_K


_ND_MIN_K = 32


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution over (N, C, L) (or unbatched (C, L)); ``padding`` may be 'same' or 'valid'."""
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution over (N, C, H, W) (or unbatched (C, H, W)); ``padding`` may be 'same' or 'valid'."""
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """3-D convolution over (N, C, D, H, W) (or unbatched (C, D, H, W)); ``padding`` may be 'same' or 'valid'."""
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation, nd: int, name: str):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}() argument 'input' must be Tensor, not {type(input).__name__}")
    x, w = input._data, weight._data
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of size: {_size_list(x.shape)}"
        )
    if w.ndim != nd + 2:
        raise RuntimeError(
            f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional input {_size_list(x.shape)}, but got {w.ndim}-dimensional weight of size {_size_list(w.shape)} instead"
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
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of size [{_size_list(w.shape)}] instead"
        )
    if x.shape[1] != w.shape[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {_size_list(w.shape)}, expected input{_size_list(x.shape)} to have "
            f"{w.shape[0]} channels, but got {x.shape[1]} channels instead"
        )
    cout = w.shape[1] * groups
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != cout):
        raise RuntimeError(
            f"Given transposed=1, weight of size {_size_list(w.shape)}, expected bias to be 1-dimensional with {cout} elements, "
            f"but got bias of size {_size_list(bias._data.shape)} instead"
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
    if _use_nd(x.shape, (cout, w.shape[0] // groups), groups, nd):  # the channels-last N-d kernels (conv_nd.py)
        from .conv_nd import ConvTransposeNd, GeomN

        n, c = x.shape[:2]
        pads = [(p, p - op) for p, op in zip(pad, opad)]
        geom = GeomN((n, cout) + tuple(outs), ksize, stride, pads, dilation, groups, c)
        out = ConvTransposeNd.apply(input, weight, bias, geom)
    elif nd == 1:
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


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """3-D transposed convolution over (N, C_in, D, H, W); weight (C_in, C_out/groups, KD, KH, KW)."""
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation, 3, "conv_transpose3d")


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
        return _col2im(_widen(g.reshape(geom.n, geom.c * geom.kh * geom.kw, geom.oh, geom.ow), geom), geom), None


class _Fold(Op):
    """x = col2im(cols);  dcols = im2col(dx)."""

    _node_name = "Col2ImBackward0"

    @staticmethod
    def forward(ctx, cols, geom):
        ctx.geom = geom
        return _col2im(_widen(cols.reshape(geom.n, geom.c * geom.kh * geom.kw, geom.oh, geom.ow), geom), geom)

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
