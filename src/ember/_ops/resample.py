"""Padding and resampling: ``pad``, ``interpolate``/``upsample``, ``pixel_shuffle``/``pixel_unshuffle``.

Interpolation is separable: along every resized axis the output is a fixed linear map
of the input, an (out, in) matrix A (nearest: one 1 per row; linear: two weights per row;
cubic: four). So y = A_h x A_w^T (one matmul per axis), dx = A_h^T dy A_w. Nearest
upsampling by an integer factor skips the matrices: a broadcast forward, a reshape-sum
backward.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Op
from ._common import LinearOp
from .resample_uint8 import antialias_matrix, resize_uint8
from .index import getitem
from .pool import _adaptive_matrix, adaptive_avg_pool1d, adaptive_avg_pool2d
from .shape import permute, reshape, transpose

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle"]


# -- pad -----------------------------------------------------------------------------------------------------


def _pairs(pad, ndim):
    """F.pad's flat (last_lo, last_hi, prev_lo, prev_hi, ...) -> per-dim (lo, hi) for all dims."""
    widths = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        widths[ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    return widths


class ConstantPad(Op):
    """y = x surrounded by ``value`` (negative widths crop);  dx = the matching window of dy."""

    _node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, widths, value):
        out_shape = tuple(s + lo + hi for s, (lo, hi) in zip(x.shape, widths))
        for s, (lo, hi) in zip(x.shape, widths):  # torch crops (narrows) each side before it pads: this also rules out sizes < 0
            kept = s + min(lo, 0)
            if kept < 0 or kept + min(hi, 0) < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
        y = array_module(x).full(out_shape, value, dtype=x.dtype)
        src, dst = _overlap(x.shape, widths)
        y[dst] = x[src]
        ctx.meta = (x.shape, widths)
        return y

    @staticmethod
    def backward(ctx, g):
        shape, widths = ctx.meta
        if isinstance(g, Tensor):
            neg = [(-lo, -hi) for lo, hi in widths]
            if all(lo <= 0 and hi <= 0 for lo, hi in neg):
                return getitem(g, _overlap(g.shape, neg)[0]), None, None
            return ConstantPad.apply(g, neg, 0), None, None
        gx = array_module(g).zeros(shape, dtype=g.dtype)
        src, dst = _overlap(shape, widths)
        gx[src] = g[dst]
        return gx, None, None


def _overlap(shape, widths):
    """Index tuples (into x, into y) of the region x and the padded y have in common."""
    src, dst = [], []
    for s, (lo, hi) in zip(shape, widths):
        x0 = max(0, -lo)
        x1 = s - max(0, -hi)
        y0 = max(0, lo)
        src.append(slice(x0, max(x0, x1)))
        dst.append(slice(y0, y0 + max(0, x1 - x0)))
    return tuple(src), tuple(dst)


class IndexPad(Op):
    """Reflect / replicate / circular padding: y = x taken at an index map per padded axis;
    dx accumulates dy back through the same maps (loops over the pad widths only)."""

    _node_name = "ReflectionPad2DBackward0"

    @staticmethod
    def forward(ctx, x, maps):
        xp = array_module(x)
        y = x
        for axis, idx, _lo in maps:
            y = xp.take(y, idx, axis=axis)
        ctx.meta = (x.shape, maps)
        return y if y is not x else x.copy()

    @staticmethod
    def backward(ctx, g):
        return _IndexPadAdjoint.of(g, *ctx.meta), None


def _index_pad_adjoint(g, shape, maps):
    xp = array_module(g)
    for axis, idx, lo in reversed(maps):
        n = shape[axis]
        moved = xp.moveaxis(g, axis, 0)
        j0, j1 = max(lo, 0), min(lo + n, idx.shape[0])  # output positions that copy x[j - lo] (lo < 0: cropped)
        acc = xp.zeros((n,) + moved.shape[1:], dtype=moved.dtype)
        acc[j0 - lo : j1 - lo] = moved[j0:j1]
        for j in range(idx.shape[0]):  # the padded positions only: a few per side
            if not j0 <= j < j1:
                acc[idx[j]] += moved[j]
        g = xp.moveaxis(acc, 0, axis)
    return xp.ascontiguousarray(g)


class _IndexPadAdjoint(LinearOp):
    """The backward of IndexPad as an op (double backward): its adjoint is IndexPad."""

    f = staticmethod(_index_pad_adjoint)

    @staticmethod
    def adjoint(h, dy_shape, shape, maps):
        return IndexPad.apply(h if isinstance(h, Tensor) else Tensor._wrap(h), maps)


_NP_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims: ``pad = (last_left, last_right, 2nd_last_left, ...)``.

    Modes: 'constant' (``value``, negative widths crop), 'reflect', 'replicate', 'circular'.
    """
    x = input._data
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > x.ndim:
        raise RuntimeError(
            f"Padding length should be less than or equal to two times the input dimension but got padding length {len(pad)} and input of dimension {x.ndim}"
        )
    if mode == "constant":
        widths = _pairs(pad, x.ndim)
        return ConstantPad.apply(input, widths, 0 if value is None else value)
    if mode not in _NP_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if k not in (1, 2, 3) or x.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    widths = _pairs(pad, x.ndim)
    xp = array_module(x)
    maps = []
    for axis in range(x.ndim - k, x.ndim):
        signed_lo, signed_hi = widths[axis]
        if signed_lo == 0 and signed_hi == 0:
            continue
        # Negative widths crop the padded result (torch reflects/wraps about the whole input).
        lo, hi = max(signed_lo, 0), max(signed_hi, 0)
        n = x.shape[axis]
        if mode == "reflect" and (lo >= n or hi >= n):
            arg = 2 * (x.ndim - axis)
            raise RuntimeError(
                f"Argument #{arg + 2}: Padding size should be less than the corresponding input dimension, but got: padding ({lo}, {hi}) at dimension {axis} of input {list(x.shape)}"
            )
        if mode == "circular" and (lo > n + signed_hi - hi or hi > n + signed_lo - lo):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if n == 0:
            raise RuntimeError(f"Expected a non-empty dimension {axis} to pad, got input {list(x.shape)}")
        c_lo, c_hi = -min(signed_lo, 0), -min(signed_hi, 0)
        if mode == "circular":  # torch crops first, then wraps what is left
            idx = xp.pad(xp.arange(c_lo, n - c_hi), (lo, hi), mode="wrap")
        else:
            idx = xp.pad(xp.arange(n), (lo, hi), mode=_NP_MODES[mode])
            idx = idx[c_lo : idx.shape[0] - c_hi]
        maps.append((axis, idx, signed_lo))
    if not maps:
        return ConstantPad.apply(input, widths, 0)
    return IndexPad.apply(input, maps)


# -- interpolation -----------------------------------------------------------------------------------------------


def _nearest_source(xp, n_in, n_out, scale_factor, exact):
    """PyTorch's nearest source index per output position (float32 arithmetic, like its kernel)."""
    scale = np.float32(1.0 / scale_factor) if scale_factor is not None and scale_factor > 0 else np.float32(n_in) / np.float32(n_out)
    dst = xp.arange(n_out, dtype=np.float32)
    src = xp.floor((dst + np.float32(0.5)) * scale) if exact else xp.floor(dst * scale)
    return xp.minimum(src.astype(np.int64), n_in - 1)


def _area_scale(n_in, n_out, align_corners, scale_factor, acc):
    """PyTorch's area_pixel_compute_scale, in the accumulation type ``acc``."""
    if align_corners:
        return acc(n_in - 1) / acc(n_out - 1) if n_out > 1 else acc(0)
    if scale_factor is not None and scale_factor > 0:
        return acc(1.0 / scale_factor)
    return acc(n_in) / acc(n_out)


def _taps_matrix(xp, n_in, taps, dtype):
    """The (n_out, n_in) matrix summing, per output row, each tap's weight at its source index."""
    n_out = taps[0][0].shape[0]
    a = xp.zeros((n_out, n_in), dtype=dtype)
    rows = xp.arange(n_out)
    for idx, w in taps:
        xp.add.at(a, (rows, idx), w.astype(dtype))
    return a


def _source_positions(xp, n_in, n_out, align_corners, scale_factor, dtype):
    """The accumulation type (float32 for float32, else float64) and each output's real source position,
    before any clamping, as torch computes it."""
    acc = np.float32 if dtype == np.float32 else np.float64
    scale = _area_scale(n_in, n_out, align_corners, scale_factor, acc)
    dst = xp.arange(n_out, dtype=acc)
    return acc, scale * dst if align_corners else scale * (dst + acc(0.5)) - acc(0.5)


def _linear_matrix(xp, n_in, n_out, align_corners, scale_factor, dtype):
    acc, src = _source_positions(xp, n_in, n_out, align_corners, scale_factor, dtype)
    if not align_corners:
        src = xp.maximum(src, acc(0))
    i0 = xp.minimum(src.astype(np.int64), n_in - 1)
    i1 = xp.minimum(i0 + 1, n_in - 1)
    l1 = (src - i0).astype(acc)
    return _taps_matrix(xp, n_in, [(i0, acc(1) - l1), (i1, l1)], dtype)


def _cubic_matrix(xp, n_in, n_out, align_corners, scale_factor, dtype):
    acc, src = _source_positions(xp, n_in, n_out, align_corners, scale_factor, dtype)
    i = xp.floor(src).astype(np.int64)
    t = (src - i).astype(acc)
    a_ = acc(-0.75)

    def near(x):  # |x| <= 1
        return ((a_ + 2) * x - (a_ + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a_ * x - 5 * a_) * x + 8 * a_) * x - 4 * a_

    weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    return _taps_matrix(xp, n_in, [(xp.clip(i - 1 + k, 0, n_in - 1), w) for k, w in enumerate(weights)], dtype)


class Resample(Op):
    """y = x transformed along each of the trailing axes by a matrix: y = ... A_h x A_w^T;
    dx = the same with the transposed matrices. ``mats`` is one (out, in) matrix or None per axis."""

    _node_name = "UpsampleBilinear2DBackward0"
    transpose = False

    @classmethod
    def forward(cls, ctx, x, mats):
        ctx.mats = mats
        return _apply_mats(x, mats, cls.transpose)

    @classmethod
    def backward(cls, ctx, g):
        if isinstance(g, Tensor):  # create_graph: the adjoint as an op, so it differentiates again
            return cls.adjoint.apply(g, ctx.mats), None
        return _apply_mats(g, ctx.mats, not cls.transpose), None


class _ResampleAdjoint(Resample):
    """Resample's backward as an op (y = ... A_h^T x A_w); its own adjoint is Resample."""

    transpose = True


Resample.adjoint, _ResampleAdjoint.adjoint = _ResampleAdjoint, Resample


def _apply_mats(x, mats, transpose):
    xp = array_module(x)
    k = len(mats)
    y = x
    for j, a in enumerate(mats):
        if a is None:
            continue
        if transpose:
            a = a.T
        axis = y.ndim - k + j
        if axis == y.ndim - 1:
            y = xp.matmul(y, a.T)
        else:
            pre = y.shape[:axis]
            post = y.shape[axis + 1 :]
            y3 = y.reshape(pre + (y.shape[axis], math.prod(post)))
            y = xp.matmul(a, y3).reshape(pre + (a.shape[0],) + post)
    return y if y is not x else x.copy()


class NearestRepeat(Op):
    """Nearest upsampling by integer factors: y = x repeated;  dx = dy summed over each block."""

    _node_name = "UpsampleNearest2DBackward0"

    @staticmethod
    def forward(ctx, x, factors):
        k = len(factors)
        lead = x.shape[:-k]
        expanded_shape = lead + tuple(v for s, f in zip(x.shape[-k:], factors) for v in (s, f))
        src = x.reshape(lead + tuple(v for s in x.shape[-k:] for v in (s, 1)))
        xp = array_module(x)
        y = xp.broadcast_to(src, expanded_shape)
        ctx.meta = (x.shape, factors, expanded_shape)
        return xp.ascontiguousarray(y).reshape(lead + tuple(s * f for s, f in zip(x.shape[-k:], factors)))

    @staticmethod
    def backward(ctx, g):
        shape, factors, expanded_shape = ctx.meta
        if isinstance(g, Tensor):
            return _BlockSum.apply(g, shape, factors, expanded_shape), None
        return _block_sum(g, shape, factors, expanded_shape), None


def _block_sum(g, shape, factors, expanded_shape):
    k = len(factors)
    axes = tuple(len(expanded_shape) - 2 * k + 2 * i + 1 for i in range(k))
    return g.reshape(expanded_shape).sum(axis=axes)


class _BlockSum(Op):
    @staticmethod
    def forward(ctx, g, shape, factors, expanded_shape):
        ctx.factors = factors
        return _block_sum(g, shape, factors, expanded_shape)

    @staticmethod
    def backward(ctx, h):
        return NearestRepeat.apply(h if isinstance(h, Tensor) else Tensor._wrap(h), ctx.factors), None, None, None


_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_MODE_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _per_spatial_dim(value, convert, spatial, words) -> tuple:
    """``size`` or ``scale_factor`` as one number per spatial dim (a single number repeats), with PyTorch's
    error when a sequence has another length; ``words`` are what that message calls the argument."""
    nd = len(spatial)
    values = tuple(convert(v) for v in value) if isinstance(value, (list, tuple)) else (convert(value),) * nd
    if len(values) != nd:
        noun, of, name, letter = words
        raise ValueError(
            f"Input and {noun} must have the same number of spatial dimensions, but got input with spatial dimensions of {list(spatial)} "
            f"and {of} {value}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and {name} in ({letter}1, {letter}2, ...,{letter}K) format."
        )
    return values


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of (N, C, d1[, d2[, d3]]) by ``size`` or ``scale_factor``.

    Modes: 'nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear' (with
    ``align_corners``), 'area' (adaptive average pooling).
    """
    x = input._data
    if mode not in _MODES or x.ndim not in (3, 4, 5):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {x.ndim}D) for the modes: "
            f"nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact (got {mode})"
        )
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if antialias and (mode not in ("bilinear", "bicubic") or x.ndim != 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D tensor as input")
    nd = x.ndim - 2
    need = _MODE_DIMS.get(mode)
    if need is not None and need != nd:
        raise NotImplementedError(f"Got {x.ndim}D input, but {mode} mode needs {need + 2}D input")
    spatial = x.shape[2:]
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = _per_spatial_dim(size, int, spatial, ("output", "output size of", "output size", "o"))
        scales = (None,) * nd
    elif scale_factor is not None:
        scales = _per_spatial_dim(scale_factor, float, spatial, ("scale_factor", "scale_factor of shape", "scale_factor", "s"))
        sizes = tuple(int(math.floor(s * f)) for s, f in zip(spatial, scales))
        if recompute_scale_factor:
            scales = (None,) * nd
    else:
        raise ValueError("either size or scale_factor should be defined")
    if any(s <= 0 for s in sizes):
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({', '.join(map(str, spatial))}) and output ({', '.join(map(str, sizes))})")
    xp = array_module(x)
    if x.dtype == np.uint8:
        return _interpolate_uint8(x, sizes, scales, mode, align_corners, antialias)
    if mode == "area":
        if nd == 1:
            return adaptive_avg_pool1d(input, sizes)
        if nd == 2:
            return adaptive_avg_pool2d(input, sizes)
        return _area3d(input, sizes)
    dtype = x.dtype
    if dtype.kind != "f":
        raise NotImplementedError(f'"upsample_{mode}" not implemented for \'{dtype}\'')
    if mode in ("nearest", "nearest-exact"):
        sources = [_nearest_source(xp, n_in, n_out, sf, mode == "nearest-exact") for n_in, n_out, sf in zip(spatial, sizes, scales)]
        factors = [n_out // n_in if n_out % n_in == 0 and bool((src == xp.arange(n_out) // (n_out // n_in)).all()) else None
                   for n_in, n_out, src in zip(spatial, sizes, sources)]
        if all(f is not None for f in factors):  # an integer upscale: repeat, no matrices
            return NearestRepeat.apply(input, tuple(factors))
        mats = []
        for n_in, n_out, src in zip(spatial, sizes, sources):
            a = xp.zeros((n_out, n_in), dtype=dtype)
            a[xp.arange(n_out), src] = 1
            mats.append(a)
        return Resample.apply(input, tuple(mats))
    mats = []
    if antialias:  # PIL-style filters, widened by the downscale factor; the Resample adjoint is torch's backward
        mats = [None if n_in == n_out else antialias_matrix(xp, n_in, n_out, mode == "bicubic", align_corners, sf, dtype)
                for n_in, n_out, sf in zip(spatial, sizes, scales)]
        return Resample.apply(input, tuple(mats))
    for n_in, n_out, sf in zip(spatial, sizes, scales):
        if mode == "bicubic":
            mats.append(_cubic_matrix(xp, n_in, n_out, align_corners, sf, dtype))
        else:
            mats.append(_linear_matrix(xp, n_in, n_out, align_corners, sf, dtype))
    return Resample.apply(input, tuple(mats))


def _interpolate_uint8(x, sizes, scales, mode, align_corners, antialias) -> Tensor:
    """uint8 images (never differentiable): torch allows the nearest modes, bilinear and bicubic."""
    if mode == "area":
        kernel = "adaptive_avg_pool3d_cpu" if len(sizes) == 3 else "adaptive_avg_pool2d"
        raise NotImplementedError(f'"{kernel}" not implemented for \'Byte\'')
    if mode in ("linear", "trilinear"):
        raise NotImplementedError('"compute_indices_weights_linear" not implemented for \'Byte\'')
    if mode in ("nearest", "nearest-exact"):
        xp = array_module(x)
        y = x
        for axis, (n_in, n_out, sf) in enumerate(zip(x.shape[2:], sizes, scales)):
            y = xp.take(y, _nearest_source(xp, n_in, n_out, sf, mode == "nearest-exact"), axis=2 + axis)
        return Tensor._wrap(xp.ascontiguousarray(y) if y is not x else x.copy())
    return Tensor._wrap(resize_uint8(x, sizes, scales, mode, align_corners, antialias))


def _area3d(input: Tensor, sizes) -> Tensor:
    dtype = input._data.dtype
    mats = tuple(_adaptive_matrix(n_in, n_out, dtype) for n_in, n_out in zip(input._data.shape[2:], sizes))
    return Resample.apply(input, mats)


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of `interpolate`."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='nearest')``."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -- pixel shuffle -------------------------------------------------------------------------------------------------


def _shuffle_factor(x, factor, name: str, factor_name: str) -> int:
    """The checked factor of pixel_shuffle / pixel_unshuffle: (*, C, H, W) input, a positive factor."""
    r = int(factor)
    if x.ndim < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input with {x.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"{name} expects a positive {factor_name}, but got {r}")
    return r


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r): depth to space."""
    x = input._data
    r = _shuffle_factor(x, upscale_factor, "pixel_shuffle", "upscale_factor")
    c, h, w = x.shape[-3:]
    if c % (r * r):
        raise RuntimeError(
            f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    lead = x.shape[:-3]
    k = len(lead)
    y = reshape(input, lead + (c // (r * r), r, r, h, w))
    y = permute(y, tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return reshape(y, lead + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W): space to depth."""
    x = input._data
    r = _shuffle_factor(x, downscale_factor, "pixel_unshuffle", "downscale_factor")
    c, h, w = x.shape[-3:]
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)={w} is not divisible by {r}")
    lead = x.shape[:-3]
    k = len(lead)
    y = reshape(input, lead + (c, h // r, r, w // r, r))
    y = permute(y, tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return reshape(y, lead + (c * r * r, h // r, w // r))


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, g * k, *) -> channels interleaved across the g groups."""
    x = input._data
    if x.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with {x.ndim} dimension(s)")
    n, c = x.shape[:2]
    if groups <= 0 or c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    rest = x.shape[2:]
    y = reshape(input, (n, groups, c // groups) + rest)
    return reshape(transpose(y, 1, 2), x.shape)
