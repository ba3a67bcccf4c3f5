"""``interpolate`` on uint8 images, bit-exact with PyTorch's CPU kernels.

Nearest modes gather (no arithmetic). Bilinear and bicubic (with or without antialias) run
torch's fixed-point separable scheme: per resized axis, weights are computed in float64
(PIL-style support for antialias, clamped taps otherwise), rescaled to int16 at the largest
precision p at which the biggest weight still fits, and every output sample is
clamp((2^(p-1) + sum_k w_k x_k) >> p, 0, 255). The last axis is resized first, then the
others from the last to the first, each pass rounding back to uint8; unchanged axes are skipped.
``antialias_matrix`` gives the same antialiased weights in floating point, for float images.
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import array_module


def _linear_filter(x):
    x = abs(x)
    return 1.0 - x if x < 1.0 else 0.0


def _cubic_filter(a):
    def f(x):
        x = abs(x)
        if x < 1.0:
            return ((a + 2) * x - (a + 3)) * x * x + 1
        if x < 2.0:
            return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
        return 0.0

    return f


def _scale(n_in, n_out, align_corners, scale_factor):
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    if scale_factor is not None and scale_factor > 0:
        return 1.0 / scale_factor
    return n_in / n_out


def _dense(xp, rows, n_in, dtype):
    """The (len(rows), n_in) ``xp`` matrix holding each row's weights from its first source index on."""
    i = [r for r, (_, w) in enumerate(rows) for _ in w]
    j = [xmin + k for xmin, w in rows for k in range(len(w))]
    mat = xp.zeros((len(rows), n_in), dtype=dtype)
    mat[xp.asarray(i, dtype=np.int64), xp.asarray(j, dtype=np.int64)] = xp.asarray([v for _, w in rows for v in w], dtype)
    return mat


def _axis_weights(xp, n_in, n_out, cubic, antialias, align_corners, scale_factor):
    """(n_out, n_in) int64 matrix of int16 fixed-point weights, and its precision in bits."""
    rows, wt_max = _weight_rows(n_in, n_out, cubic, antialias, align_corners, scale_factor)
    precision = 0
    while precision < 22 and int(0.5 + wt_max * (1 << (precision + 1))) < (1 << 15):
        precision += 1
    one = 1 << precision
    fixed = [(xmin, [int(v * one - 0.5) if v < 0 else int(v * one + 0.5) for v in w]) for xmin, w in rows]
    return _dense(xp, fixed, n_in, np.int64), precision


def antialias_matrix(xp, n_in, n_out, cubic, align_corners, scale_factor, dtype):
    """(n_out, n_in) float matrix of the antialiased (PIL-style) filter: torch's float ``antialias=True`` weights."""
    rows, _ = _weight_rows(n_in, n_out, cubic, True, align_corners, scale_factor)
    return _dense(xp, rows, n_in, np.float64).astype(dtype)


def _weight_rows(n_in, n_out, cubic, antialias, align_corners, scale_factor):
    """Per output index (first source index, float64 weights), and the largest weight."""
    interp = 4 if cubic else 2
    filt = _cubic_filter(-0.5 if antialias else -0.75) if cubic else _linear_filter
    scale = _scale(n_in, n_out, align_corners, scale_factor)
    rows = []  # (first source index, float weights)
    wt_max = 0.0
    if antialias:
        support = interp * 0.5 * scale if scale >= 1.0 else interp * 0.5
        width = int(math.ceil(support)) * 2 + 1
        invscale = 1.0 / scale if scale >= 1.0 else 1.0
        for i in range(n_out):
            center = scale * (i + 0.5)
            xmin = max(int(center - support + 0.5), 0)
            xsize = min(max(min(int(center + support + 0.5), n_in) - xmin, 0), width)
            w = [filt((j + xmin - center + 0.5) * invscale) for j in range(xsize)]
            total = sum(w)  # left-to-right, as the kernel accumulates
            if total != 0.0:
                w = [v / total for v in w]
                wt_max = max([wt_max, *w])
            rows.append((xmin, w))
    else:
        half = interp // 2
        for i in range(n_out):
            if align_corners:
                real = scale * i
            else:
                real = scale * (i + 0.5) - 0.5
                if not cubic and real < 0:
                    real = 0.0
            index = min(math.floor(real), n_in - 1)
            lam = min(max(real - index, 0.0), 1.0)
            lo = index - half + 1
            xmin = max(lo, 0)
            xsize = min(max(min(index + half + 1, n_in) - xmin, 0), interp)
            w = [0.0] * interp
            k = 0
            for j in range(interp):  # taps outside the input fold onto the first/last valid one
                v = filt(float(j + 1 - half) - lam)
                if lo + j <= 0:
                    k = 0
                elif lo + j >= n_in - 1:
                    k = xsize - 1
                w[k] += v
                wt_max = max(wt_max, w[k])
                k += 1
            rows.append((xmin, w[:xsize]))
    return rows, wt_max


def resize_uint8(x, sizes, scales, mode: str, align_corners, antialias: bool):
    """Bilinear/bicubic resize of a uint8 (N, C, *spatial) array, torch's fixed-point way."""
    xp = array_module(x)
    k = len(sizes)
    y = x
    for axis in reversed(range(k)):
        n_in, n_out = x.shape[2 + axis], sizes[axis]
        if n_in == n_out:
            continue
        mat, p = _axis_weights(xp, n_in, n_out, mode == "bicubic", antialias, bool(align_corners), scales[axis])
        moved = xp.moveaxis(y, 2 + axis, -1).astype(np.int64)
        acc = moved @ mat.T + (1 << (p - 1) if p > 0 else 0)
        y = xp.moveaxis(xp.clip(acc >> p, 0, 255).astype(np.uint8), -1, 2 + axis)
    return xp.ascontiguousarray(y) if y is not x else x.copy()
