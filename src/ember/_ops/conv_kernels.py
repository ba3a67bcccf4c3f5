"""Kernels of the 2-D convolutions (``conv.py``): im2col / col2im, the GEMM layouts and their
scratch buffers. Pure array functions: no Tensor, no autograd.

Every convolution is one GEMM per call on an im2col matrix (``as_strided`` view, one
copy). A 1-D convolution is the 2-D one with a height of 1.

Notation: input x (N, C, H, W), weight w (O, C/G, KH, KW), G groups, stride s, dilation d,
padded input xp. Output y[n, o, i, j] = b[o] + sum_{c,p,q} w[o, c, p, q] xp[n, c, i s + p d, j s + q d].
With cols[n, (c,p,q), (i,j)] = xp[n, c, i s + p d, j s + q d] (im2col):

    y  = W cols                (W = w reshaped (O, C KH KW); one batched GEMM)
    dW = sum_n dy_n cols_n^T   (one GEMM)
    dcols = W^T dy, dx = col2im(dcols)  (one GEMM, then KH*KW strided adds)
    db = sum dy over n, i, j

``Conv2d`` (every conv1d/conv2d) runs on the "planes" layout described above ``Planes``:
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

import math

from .._backend import array_module
from ._bufpool import pool, scratch


class Geom:
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

    def weight_grad_geom(self) -> Geom:
        """The convolution giving dW: x with channels as batch (C/G, G*N, H, W) by dy with batch as
        channels, stride and dilation swapped."""
        cg = self.c // self.groups
        return Geom((cg, self.groups * self.n, self.h, self.w), (self.oh, self.ow), (self.dh, self.dw),
                    (self.pt, self.pb, self.pl, self.pr), (self.sh, self.sw), self.groups, self.o)


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


def conv_scratch(role: str, shape, like, zero: bool = False):
    """A temporary of ``shape`` with ``like``'s dtype and array module (zero-filled with ``zero``)."""
    xp = array_module(like)
    dtype = like.dtype
    if math.prod(shape) * dtype.itemsize > _SCRATCH_LIMIT:
        return xp.zeros(shape, dtype) if zero else xp.empty(shape, dtype)
    out = scratch("conv2d." + role, shape, dtype, xp)
    if zero:
        out.fill(0)
    return out


def _zeroed(role: str, shape, like, layout=()):
    """A per-thread buffer for one exact shape and ``layout`` (whatever decides which part the
    caller writes), with ``like``'s dtype and array module, zero-filled once when created; kept in
    the bounded "zeroed" pool (LRU).

    For temporaries of which every call overwrites the same part and needs the rest zero
    (the discarded columns of a widened gradient, the rows of dcols below the output): the
    rest stays zero without zeroing it each call, which costs as much as the GEMM when those
    parts are many short runs. Callers must write nothing else into the buffer.
    """
    xp = array_module(like)
    dtype = like.dtype
    store = pool("zeroed")
    key = (role, tuple(shape), dtype.str, layout, xp)
    buf = store.get(key)
    if buf is None:
        if dtype.itemsize * math.prod(shape) > _SCRATCH_LIMIT:
            return xp.zeros(shape, dtype)
        buf = xp.zeros(shape, dtype)
        store.put(key, buf)
    return buf


def _take_cols(shape, like):
    """A buffer for an im2col matrix that forward keeps for backward: a recycled one when backward
    has handed one of this shape back (``_give_cols``), else a fresh array (``like``'s dtype and
    array module). Recycling saves the page faults of a fresh multi-MiB array each step (they cost
    2-3x the im2col copy itself)."""
    xp = array_module(like)
    buf = pool("cols").pop((tuple(shape), like.dtype.str, xp))
    return buf if buf is not None else xp.empty(shape, like.dtype)


def _give_cols(buf) -> None:
    """Hand a kept im2col matrix back once backward no longer needs it (one per shape, in the
    bounded "cols" pool: least recently used shapes are dropped first)."""
    if buf.nbytes <= _KEEP_COLS + (1 << 20):
        pool("cols").put((buf.shape, buf.dtype.str, array_module(buf)), buf)


def pad_input(x, g: Geom, role: str | None = "xpad"):
    """x (N, C, H, W) -> the zero-padded input, flat (N, C, flat) in the wide layout.

    Bottom/right paddings may be negative (transposed convolutions with output_padding):
    the input is then cropped. With a ``role`` the result is a scratch buffer.
    """
    xp = array_module(x)
    hh, ww = min(g.h, g.hp - g.pt), min(g.w, g.wp - g.pl)
    if g.wide:
        if g.flat == g.h * g.w and x.flags.c_contiguous:
            return x.reshape(g.n, g.c, g.flat)
        shape = (g.n, g.c, g.flat)
        buf = conv_scratch(role, shape, x, zero=True) if role else xp.zeros(shape, x.dtype)
        img = buf[:, :, : g.hp * g.wp].reshape(g.n, g.c, g.hp, g.wp)
        img[:, :, g.pt : g.pt + hh, g.pl : g.pl + ww] = x[:, :, :hh, :ww]
        return buf
    if g.hp == g.h and g.wp == g.w:
        return x
    shape = (g.n, g.c, g.hp, g.wp)
    buf = conv_scratch(role, shape, x, zero=True) if role else xp.zeros(shape, x.dtype)
    buf[:, :, g.pt : g.pt + hh, g.pl : g.pl + ww] = x[:, :, :hh, :ww]
    return buf


def _crop(img, g: Geom, out=None):
    """Adjoint of the padding: (N, C, Hp, Wp) -> a fresh contiguous (N, C, H, W) (or into ``out``)."""
    xp = array_module(img)
    hh, ww = min(g.h, g.hp - g.pt), min(g.w, g.wp - g.pl)
    src = img[:, :, g.pt : g.pt + hh, g.pl : g.pl + ww]
    if hh == g.h and ww == g.w:
        if out is None:
            return xp.array(src, copy=True)
        xp.copyto(out, src)
        return out
    if out is None:
        out = xp.zeros((g.n, g.c, g.h, g.w), dtype=img.dtype)
    else:
        out.fill(0)
    out[:, :, :hh, :ww] = src
    return out


def im2col(xpad, g: Geom, role: str | None = None):
    """Padded input -> cols (N, C*KH*KW, ncols): one strided view, one copy (into scratch with a ``role``)."""
    xp = array_module(xpad)
    n, c = g.n, g.c
    s0, s1 = xpad.strides[:2]
    if g.wide:
        e = xpad.strides[2]
        view = xp.lib.stride_tricks.as_strided(xpad, (n, c, g.kh, g.kw, g.oh, g.wp), (s0, s1, g.dh * g.wp * e, g.dw * e, g.sh * g.wp * e, e))
    else:
        s2, s3 = xpad.strides[2:]
        view = xp.lib.stride_tricks.as_strided(xpad, (n, c, g.kh, g.kw, g.oh, g.ow), (s0, s1, g.dh * s2, g.dw * s3, g.sh * s2, g.sw * s3))
    if role is None:  # a fresh array, even where the view happens to be contiguous scratch memory
        return xp.array(view, copy=True).reshape(n, c * g.kh * g.kw, g.ncols)
    cols = conv_scratch(role, view.shape, xpad)
    xp.copyto(cols, view)
    return cols.reshape(n, c * g.kh * g.kw, g.ncols)


def col2im(cols, g: Geom, out=None):
    """Adjoint of ``im2col`` followed by the crop of the padding: (N, C*KH*KW, ncols) -> fresh (N, C, H, W).

    Loops over the KH*KW kernel positions only; each adds one strided block.
    """
    xp = array_module(cols)
    n, c = g.n, g.c
    cols = cols.reshape(n, c, g.kh, g.kw, g.oh, g.wp if g.wide else g.ow)
    if g.wide:
        buf = conv_scratch("fold", (n, c, g.flat), cols, zero=True)
        e = buf.itemsize
        s0, s1 = buf.strides[:2]
        for p in range(g.kh):
            for q in range(g.kw):
                off = p * g.dh * g.wp + q * g.dw
                block = xp.lib.stride_tricks.as_strided(buf[:, :, off:], (n, c, g.oh, g.wp), (s0, s1, g.sh * g.wp * e, e))
                block += cols[:, :, p, q]
        img = buf[:, :, : g.hp * g.wp].reshape(n, c, g.hp, g.wp)
    else:
        img = conv_scratch("fold", (n, c, g.hp, g.wp), cols, zero=True)
        hspan = g.sh * (g.oh - 1) + 1
        wspan = g.sw * (g.ow - 1) + 1
        for p in range(g.kh):
            for q in range(g.kw):
                h0, w0 = p * g.dh, q * g.dw
                img[:, :, h0 : h0 + hspan : g.sh, w0 : w0 + wspan : g.sw] += cols[:, :, p, q]
    return _crop(img, g, out)


def widen(y, g: Geom, role: str | None = "widen"):
    """(N, O, OH, OW) -> (N, O, ncols): zeros in the discarded columns of the wide layout."""
    xp = array_module(y)
    n, o = y.shape[:2]
    if not g.wide or g.wp == g.ow:
        return xp.ascontiguousarray(y).reshape(n, o, g.ncols)
    shape = (n, o, g.oh, g.wp)
    out = conv_scratch(role, shape, y) if role else xp.empty(shape, y.dtype)
    out[..., : g.ow] = y
    out[..., g.ow :] = 0
    return out.reshape(n, o, g.ncols)


def narrow(y, g: Geom, bias=None, out=None):
    """(N, O, ncols) -> (N, O, OH, OW) contiguous, with the bias added on the way.

    Returns a fresh array (or ``out``) unless ``y`` itself is already the (fresh) result.
    """
    xp = array_module(y)
    n, o = y.shape[:2]
    y = y.reshape(n, o, g.oh, g.wp if g.wide else g.ow)
    if g.wide and g.wp != g.ow:
        y = y[..., : g.ow]
        if bias is not None:
            return xp.add(y, bias.reshape(o, 1, 1), out=out)
        if out is None:
            return xp.array(y, copy=True)
        xp.copyto(out, y)
        return out
    if bias is not None:
        y += bias.reshape(o, 1, 1)
    return y


def gemm(w, cols, groups: int, out=None):
    """w (O, K) grouped, cols (N, G*K', M) -> (N, O, M)."""
    xp = array_module(w, cols)
    if groups == 1:
        return xp.matmul(w, cols, out=out)
    n, _, m = cols.shape
    o = w.shape[0]
    wg = w.reshape(groups, o // groups, -1)
    res = xp.matmul(wg, cols.reshape(n, groups, -1, m), out=None if out is None else out.reshape(n, groups, o // groups, m))
    return res.reshape(n, o, m)


def _gemm_t(w, dy, groups: int, out=None):
    """w^T (K, O) grouped times dy (N, O, M) -> (N, G*K, M)."""
    xp = array_module(w, dy)
    if groups == 1:
        return xp.matmul(w.T, dy, out=out)
    n, o, m = dy.shape
    wg = w.reshape(groups, o // groups, -1)
    res = xp.matmul(xp.swapaxes(wg, 1, 2), dy.reshape(n, groups, o // groups, m),
                    out=None if out is None else out.reshape(n, groups, -1, m))
    return res.reshape(n, -1, m)


def gemm_w(dy, cols, groups: int):
    """sum_n dy_n cols_n^T, grouped: (N, O, M), (N, G*K, M) -> a fresh (O, K)."""
    xp = array_module(dy, cols)
    n, o, m = dy.shape
    k = cols.shape[1] // groups
    if groups == 1 and n == 1:
        return xp.matmul(dy[0], cols[0].T)
    per_sample = conv_scratch("gw", (n, groups, o // groups, k), dy)
    xp.matmul(dy.reshape(n, groups, o // groups, m), xp.swapaxes(cols.reshape(n, groups, k, m), 2, 3), out=per_sample)
    return per_sample.sum(axis=0).reshape(o, k)


def col2im_of_gemm_t(w2, dyw, g: Geom, out=None):
    """col2im(W^T dy): the input gradient of a convolution, dcols in scratch."""
    dcols = conv_scratch("dcols", (g.n, g.c * g.kh * g.kw, g.ncols), dyw)
    return col2im(_gemm_t(w2, dyw, g.groups, out=dcols), g, out)


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
_SMALL_GEMM = 1_000_000  # M*N*K bound of OpenBLAS's small-matrix SGEMM kernels (see Planes.split)


class Planes:
    """Sizes of one 2-D convolution in the planes layout (see above), from a ``Geom``.

    ``hq, wq``: size of one phase plane; ``s = hq * wq``; ``m = oh * wq`` output columns per image
    (wide rows); ``taps``: per kernel position (p, q), its phase and its shift in the plane;
    ``tail``: how far the last image's taps read past its plane.
    """

    __slots__ = (
        "hq", "wq", "s", "m", "phases", "taps", "tail", "k", "affine", "chunk", "rows", "per_image", "split",
    )

    def __init__(self, g: Geom, itemsize: int):
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


def planes_of(g: Geom, itemsize: int) -> Planes:
    key = (g.n, g.c, g.h, g.w, g.o, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pb, g.pl, g.pr, g.groups, itemsize)
    pl = _planes_cache.get(key)
    if pl is None:
        if len(_planes_cache) > 256:
            _planes_cache.clear()
        pl = _planes_cache[key] = Planes(g, itemsize)
    return pl


def _phase_blocks(g: Geom, pl: Planes):
    """Per (row phase, column phase) holding input pixels: the slices (input rows, input columns)
    of the (., ., H, W) image and (phase, plane rows, plane columns) of the (C, phases, n, hq, wq)
    planes that hold the same pixels."""
    rows, cols = pl.rows
    for a, (r0, nr, i0) in enumerate(rows):
        if nr <= 0:
            continue
        for b, (c0, nc, j0) in enumerate(cols):
            if nc <= 0:
                continue
            image = (slice(r0, r0 + (nr - 1) * g.sh + 1, g.sh), slice(c0, c0 + (nc - 1) * g.sw + 1, g.sw))
            yield image, (a * g.sw + b, slice(i0, i0 + nr), slice(j0, j0 + nc))


def _to_planes(x, g: Geom, pl: Planes, out):
    """x (n, C, H, W) -> out (C, phases, row): zero-padded phase planes, image after image."""
    n = x.shape[0]
    out.fill(0)
    body = out[:, :, : n * pl.s].reshape(g.c, pl.phases, n, pl.hq, pl.wq)
    xc = x.transpose(1, 0, 2, 3)
    for (hs, ws), (phase, ps, qs) in _phase_blocks(g, pl):
        body[:, phase, :, ps, qs] = xc[:, :, hs, ws]
    return out


def _from_planes(acc, g: Geom, pl: Planes, out):
    """Adjoint of ``_to_planes``: acc (C, phases, row) -> out (n, C, H, W), padding dropped."""
    xp = array_module(acc)
    n = out.shape[0]
    body = acc[:, :, : n * pl.s].reshape(g.c, pl.phases, n, pl.hq, pl.wq)
    oc = out.transpose(1, 0, 2, 3)
    rows, cols = pl.rows
    covered = sum(nr for _, nr, _ in rows) == g.h and sum(nc for _, nc, _ in cols) == g.w
    if not covered:  # input pixels cropped away by a negative pad get no gradient
        out.fill(0)
    for (hs, ws), (phase, ps, qs) in _phase_blocks(g, pl):
        xp.copyto(oc[:, :, hs, ws], body[:, phase, :, ps, qs])
    return out


def _planes_im2col(planes, g: Geom, pl: Planes, n: int, extra: int = 0, role: str | None = "cols"):
    """planes (C, phases, row) -> the im2col matrix, plus ``extra`` rows left for the caller.

    Row (c, p, q) holds the input read through tap (p, q): a shifted slice of the planes. Laid
    out (n, K + extra, M) when ``pl.per_image`` (one copy per image and tap, or one in all with a
    single phase), else (K + extra, row) like the planes (one long-run copy per tap). A scratch
    buffer with a ``role``, else one from the pool of kept matrices (``_take_cols``).
    """
    xp = array_module(planes)
    row = planes.shape[-1]
    shape = (n, pl.k + extra, pl.m) if pl.per_image else (pl.k + extra, row)
    out = conv_scratch(role, shape, planes) if role else _take_cols(shape, planes)
    e = planes.itemsize
    if pl.per_image:
        dst = out[:, : pl.k].reshape(n, g.c, g.kh * g.kw, pl.m)
        if pl.affine:
            strides = (pl.s * e, planes.strides[0], g.dh * pl.wq * e, g.dw * e, e)
            view = xp.lib.stride_tricks.as_strided(planes, (n, g.c, g.kh, g.kw, pl.m), strides)
            xp.copyto(dst.reshape(n, g.c, g.kh, g.kw, pl.m), view)
        else:
            length = n * pl.s
            for t, (phase, off) in enumerate(pl.taps):
                src = planes[:, phase, off : off + length].reshape(g.c, n, pl.s)[:, :, : pl.m]
                xp.copyto(dst[:, :, t], src.transpose(1, 0, 2))
        return out
    length = n * pl.s
    dst = out[: pl.k].reshape(g.c, g.kh * g.kw, row)
    if pl.affine:
        strides = (planes.strides[0], g.dh * pl.wq * e, g.dw * e, e)
        view = xp.lib.stride_tricks.as_strided(planes, (g.c, g.kh, g.kw, length), strides)
        xp.copyto(dst[:, :, :length].reshape(g.c, g.kh, g.kw, length), view)
    else:
        for t, (phase, off) in enumerate(pl.taps):
            xp.copyto(dst[:, t, :length], planes[:, phase, off : off + length])
    return out


def _blocks(a, d: int):
    """(n, R, M) -> (n, d, R, M/d): each image's columns in ``d`` blocks (a view; see ``Planes.split``)."""
    if d == 1:
        return a
    n, r, m = a.shape
    return a.reshape(n, r, d, m // d).transpose(0, 2, 1, 3)


def _cols_per_image(cols, pl: Planes, n: int):
    """The im2col matrix as (n, rows, M), a view in either layout."""
    return cols if pl.per_image else _image_view(cols, pl, n, pl.m)


def _image_view(rows2d, pl: Planes, n: int, width: int):
    """(R, row) -> (n, R, width): per image, the first ``width`` columns of its plane (a view)."""
    r = rows2d.shape[0]
    return rows2d[:, : n * pl.s].reshape(r, n, pl.s)[:, :, :width].transpose(1, 0, 2)


def planes_forward(x, w2, bias, g: Geom, pl: Planes, out, keep: bool):
    """out (n, O, OH, OW) = conv(x) for one chunk of images; returns the im2col matrix when ``keep``.

    With a bias (and one group) the im2col matrix gets a row of ones and W a column of biases,
    so the GEMM adds the bias: the narrowing copy below is then a plain copy, about half the
    cost of an add that broadcasts the bias over short rows."""
    xp = array_module(x, w2)
    n = x.shape[0]
    row = pl.row_length(n, x.itemsize)
    planes = _to_planes(x, g, pl, conv_scratch("planes", (g.c, pl.phases, row), x))
    fold = bias is not None and g.groups == 1
    cols = _planes_im2col(planes, g, pl, n, extra=int(fold), role=None if keep else "cols")
    if fold:
        (cols[:, pl.k] if pl.per_image else cols[pl.k]).fill(1)
        w2 = xp.concatenate((w2, bias.reshape(-1, 1)), axis=1)
    cv = _cols_per_image(cols, pl, n)  # (n, K, M): per image, its output rows
    if pl.wq == g.ow and fold:  # no discarded columns: the GEMM writes the result in place
        gemm(w2, _blocks(cv, pl.split), g.groups, out=_blocks(out.reshape(n, g.o, pl.m), pl.split))
    else:
        y = conv_scratch("gemm", (n, g.o, pl.m), x)
        gemm(w2, _blocks(cv, pl.split), g.groups, out=_blocks(y, pl.split))
        y = y.reshape(n, g.o, g.oh, pl.wq)[..., : g.ow]
        if bias is not None and not fold:
            xp.add(y, bias.reshape(-1, 1, 1), out=out)
        else:
            xp.copyto(out, y)
    return cols if keep else None


def planes_backward(x, w2, dy, g: Geom, pl: Planes, cols, gx, need_w: bool):
    """One chunk of images: returns its dW^T part (G, K/G, O/G) and writes dx into ``gx``."""
    xp = array_module(x, dy)
    n = x.shape[0]
    row = pl.row_length(n, x.itemsize)
    kept = cols is not None
    if need_w and not kept:
        planes = _to_planes(x, g, pl, conv_scratch("planes", (g.c, pl.phases, row), x))
        cols = _planes_im2col(planes, g, pl, n)
    # dy in wide rows, zero in the discarded columns (they must not reach dW or dx); the
    # buffer's discarded columns are zero from its creation and never written
    if pl.wq == g.ow:
        dyw = xp.ascontiguousarray(dy).reshape(n, g.o, pl.m)
    else:
        dyw = _zeroed("widen", (n, g.o, g.oh, pl.wq), dy, g.ow)
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
        dcols = _zeroed("dcols", (pl.k, row), dy, (pl.s, pl.m))
        _gemm_t(w2, _blocks(dyw, pl.split), g.groups, out=_blocks(_image_view(dcols, pl, n, pl.m), pl.split))
        acc = conv_scratch("planes", (g.c, pl.phases, row), dy, zero=True)
        length = n * pl.s
        taps = dcols.reshape(g.c, g.kh * g.kw, row)
        for t, (phase, off) in enumerate(pl.taps):
            dst = acc[:, phase, off : off + length]
            dst += taps[:, t, :length]  # col2im: one long-run add per tap
        _from_planes(acc, g, pl, gx)
    return part


def _gemm_w_t(cols, dy, groups: int):
    """sum_n cols_n dy_n^T, grouped: (n, K, M), (n, O, M) -> (G, K/G, O/G). With one group the
    inputs may also come in column blocks, (n, d, K, M/d) and (n, d, O, M/d).

    This orientation (K x O results, K >> O) runs 2x faster in OpenBLAS than dy cols^T here."""
    xp = array_module(cols, dy)
    if cols.ndim == 4:
        per_block = xp.matmul(cols, xp.swapaxes(dy, 2, 3))
        return per_block.sum(axis=(0, 1))[None]
    n, k, m = cols.shape
    o = dy.shape[1]
    cg, og = k // groups, o // groups
    per_image = xp.matmul(cols.reshape(n, groups, cg, m), xp.swapaxes(dy.reshape(n, groups, og, m), 2, 3))
    return per_image.sum(axis=0) if n > 1 else per_image[0]


def compact(cols, g: Geom):
    xp = array_module(cols)
    n, k = cols.shape[:2]
    if g.wide and g.wp != g.ow:
        cols = cols.reshape(n, k, g.oh, g.wp)[..., : g.ow]
    return xp.ascontiguousarray(cols).reshape(n, k, g.oh * g.ow)
