"""Spatial sampling: ``affine_grid`` and ``grid_sample`` (the Spatial Transformer pair).

``grid_sample`` reads the input at the real-valued points of a grid in [-1, 1]. A grid
coordinate c becomes a pixel coordinate p = ((c + 1) (n - 1)) / 2 (align_corners) or
((c + 1) n - 1) / 2, optionally folded back by the padding mode (border: clip; reflection:
mirror then clip). The output is a weighted sum over the taps around p (1 for nearest,
2^k for (tri)linear, 4^2 for bicubic): y = sum_taps w(t) x[tap], t = p - floor(p).
Everything is vectorised over (batch, grid points, taps); the input gradient scatters with
one ``bincount``.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Op
from ._common import first_order_only, type_name
from .linalg import matmul
from .shape import reshape, transpose

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please specify "
    "align_corners=True if the old behavior is desired. See the documentation of grid_sample for details."
)
_CUBIC_A = -0.75


# -- coordinates ---------------------------------------------------------------------------------------------


def _unnormalize(c, n, align_corners):
    """Grid coordinate in [-1, 1] -> pixel coordinate, and dp/dc."""
    if align_corners:
        return (c + 1) * ((n - 1) / 2), (n - 1) / 2
    return ((c + 1) * n - 1) / 2, n / 2


def _clip(p, n):
    """Clip to [0, n - 1]; the derivative is 0 where clipped (torch sets it to 0 at the ends too)."""
    xp = array_module(p)
    inside = (p > 0) & (p < n - 1)
    return xp.clip(p, 0, n - 1), inside.astype(p.dtype)


def _reflect(p, n, align_corners):
    """Mirror p into [lo, hi] (pixel centres or edges); derivative +-1 by the parity of the fold."""
    xp = array_module(p)
    lo2, hi2 = (0, 2 * (n - 1)) if align_corners else (-1, 2 * n - 1)
    if lo2 == hi2:
        return xp.zeros_like(p), xp.zeros_like(p)
    lo, span = lo2 / 2, (hi2 - lo2) / 2
    d = p - lo
    sign = xp.where(d < 0, -1.0, 1.0).astype(p.dtype)
    d = xp.abs(d)
    extra = xp.fmod(d, span)
    even = xp.floor(d / span) % 2 == 0
    return xp.where(even, extra + lo, span - extra + lo), xp.where(even, sign, -sign)


def _source(c, n, padding_mode, align_corners):
    """Pixel coordinate after the padding mode, and its derivative with respect to c."""
    xp = array_module(c)
    p, dp = _unnormalize(c, n, align_corners)
    grad = xp.full_like(p, dp)
    if padding_mode == "border":
        p, m = _clip(p, n)
        grad = grad * m
    elif padding_mode == "reflection":
        p, m1 = _reflect(p, n, align_corners)
        p, m2 = _clip(p, n)
        grad = grad * m1 * m2
    return p, grad


def _tap_index(i, n, padding_mode, align_corners):
    """Bicubic taps are integer points that may lie outside: fold them like coordinates."""
    xp = array_module(i)
    if padding_mode == "border":
        i = xp.clip(i, 0, n - 1)
    elif padding_mode == "reflection":
        i = xp.clip(_reflect(i, n, align_corners)[0], 0, n - 1)
    return i


def _cubic(t):
    """Keys' cubic convolution weights (A = -0.75) of the taps at -1, 0, 1, 2 and their d/dt."""
    a = _CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    def dnear(x):
        return (3 * (a + 2) * x - 2 * (a + 3)) * x

    def dfar(x):
        return (3 * a * x - 10 * a) * x + 8 * a

    w = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    dw = [dfar(t + 1), dnear(t), -dnear(1 - t), -dfar(2 - t)]
    return w, dw


# -- the op --------------------------------------------------------------------------------------------------


def _taps(grid, sizes, mode, padding_mode, align_corners):
    """Every tap of every grid point: list of (flat index, valid mask, weight, dweight/dgrid per axis).

    ``grid`` is (N, M, k) with components (x, y[, z]) addressing the input axes (W, H[, D]);
    index arrays are (N, M)."""
    xp = array_module(grid)
    k = len(sizes)
    per_axis = []  # per input spatial axis d: list of (index, valid, weight, dweight/dc)
    for d, n in enumerate(sizes):
        c = grid[..., k - 1 - d]
        if mode == "bicubic":
            p, dp = _unnormalize(c, n, align_corners)
            base = xp.floor(p)
            w, dw = _cubic(p - base)
            opts = []
            for j in range(4):
                i = _tap_index(base + (j - 1), n, padding_mode, align_corners)
                opts.append((i, w[j], dw[j] * dp))
        else:
            p, dp = _source(c, n, padding_mode, align_corners)
            if mode == "nearest":
                opts = [(xp.rint(p), xp.ones_like(p), xp.zeros_like(p))]
            else:
                base = xp.floor(p)
                t = p - base
                opts = [(base, 1 - t, -dp), (base + 1, t, dp)]
        per_axis.append([(i, (i >= 0) & (i <= n - 1), w, dw) for i, w, dw in opts])
    strides = [math.prod(sizes[d + 1 :]) for d in range(k)]
    taps = []
    for combo in itertools.product(*per_axis):
        flat = xp.zeros(grid.shape[:-1], dtype=np.int64)
        valid = xp.ones(grid.shape[:-1], dtype=bool)
        weight = xp.ones(grid.shape[:-1], dtype=grid.dtype)
        for d, (i, ok, w, _) in enumerate(combo):
            flat += xp.clip(xp.nan_to_num(i), 0, sizes[d] - 1).astype(np.int64) * strides[d]
            valid &= ok
            weight = weight * w
        dweights = []
        for d in range(k):
            dw = combo[d][3]
            for e in range(k):
                if e != d:
                    dw = dw * combo[e][2]
            dweights.append(dw)
        taps.append((flat, valid, weight * valid, [dw * valid for dw in dweights]))
    return taps


class GridSample(Op):
    """y[n, c, g] = sum_taps w(p(grid[n, g])) x[n, c, tap];
    dx[n, c, tap] += w dy[n, c, g];  dgrid[n, g, a] = sum_c dy[n, c, g] sum_taps x[n, c, tap] dw/dp_a dp_a/dgrid_a
    (dp/dgrid includes the unnormalising scale and the clip/reflection factor; zero for nearest)."""

    _node_name = "GridSampler2DBackward0"

    @staticmethod
    def forward(ctx, x, grid, mode, padding_mode, align_corners):
        xp = array_module(x, grid)
        n, c = x.shape[:2]
        sizes = x.shape[2:]
        out_spatial = grid.shape[1:-1]
        xf = x.reshape(n, c, math.prod(sizes))
        gf = grid.reshape(n, math.prod(out_spatial), grid.shape[-1])
        taps = _taps(gf, sizes, mode, padding_mode, align_corners)
        y = xp.zeros((n, c, gf.shape[1]), dtype=x.dtype)
        for flat, _valid, weight, _dw in taps:
            y += weight[:, None, :] * xp.take_along_axis(xf, flat[:, None, :], axis=2)
        ctx.meta = (x.shape, grid.shape, taps, xf)  # the grid gradient gathers the tap values again
        return y.reshape((n, c) + out_spatial)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        first_order_only("grid_sample", g)
        x_shape, grid_shape, taps, xf = ctx.meta
        n, c = x_shape[:2]
        p = math.prod(x_shape[2:])
        gf = g.reshape(n, c, math.prod(grid_shape[1:-1]))
        gx = ggrid = None
        if ctx.needs_input_grad[0]:
            rows = (xp.arange(n)[:, None, None] * c + xp.arange(c)[None, :, None]) * p  # (N, C, 1)
            index = xp.concatenate([(rows + flat[:, None, :]).ravel() for flat, *_ in taps])
            weights = xp.concatenate([(gf * w[:, None, :]).ravel() for _, _, w, _ in taps])
            gx = xp.bincount(index, weights=weights, minlength=n * c * p).astype(g.dtype).reshape(x_shape)
        if ctx.needs_input_grad[1]:
            k = grid_shape[-1]
            ggrid = xp.zeros((n, gf.shape[2], k), dtype=g.dtype)
            for flat, _, _, dws in taps:
                s = xp.einsum("ncm,ncm->nm", gf, xp.take_along_axis(xf, flat[:, None, :], axis=2))
                for d in range(k):
                    ggrid[..., k - 1 - d] += s * dws[d]
            ggrid = ggrid.reshape(grid_shape)
        return gx, ggrid, None, None, None


def grid_sample(
    input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros", align_corners: bool | None = None
) -> Tensor:
    """Sample ``input`` (N, C, H_in, W_in) at ``grid`` (N, H, W, 2) in [-1, 1] -> (N, C, H, W); 5-D likewise
    (``bilinear`` is then trilinear). ``grid[..., 0]`` is x (width), ``grid[..., 1]`` is y (height)."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', "
            f"but got: '{padding_mode}'"
        )
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    ishape, gshape = list(input.shape), list(grid.shape)
    # torch's order of checks: shapes first, then the 2-D/3-D kernel's own, then the dtypes.
    if grid.dim() != input.dim():
        raise RuntimeError(
            f"grid_sampler(): expected {input.dim()}D input and grid with same number of dimensions, but got input with "
            f"sizes {ishape} and grid with sizes {gshape}"
        )
    if ishape[0] != gshape[0]:
        raise RuntimeError(
            f"grid_sampler(): expected grid and input to have same batch size, but got input with sizes {ishape} "
            f"and grid with sizes {gshape}"
        )
    if gshape[-1] != input.dim() - 2:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size {input.dim() - 2} in last dimension, but got grid with sizes {gshape}"
        )
    for d in range(2, input.dim()):
        if ishape[d] == 0:
            raise RuntimeError(
                f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has sizes {ishape} "
                f"with dimension {d} being empty"
            )
    if input.dim() != 4:
        if input.dim() != 5:
            raise RuntimeError(
                f"grid_sampler(): expected 5D input and grid with same number of dimensions, but got input with sizes "
                f"{ishape} and grid with sizes {gshape}"
            )
        if mode == "bicubic":
            raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"expected scalar type {type_name(input.dtype)} but found {type_name(grid.dtype)}")
    if not input.dtype.is_floating_point:
        kernel = "grid_sampler_2d_cpu_kernel_impl" if input.dim() == 4 else "grid_sampler3d_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(input.dtype)}\'')
    return GridSample.apply(input, grid, mode, padding_mode, bool(align_corners))


# -- affine_grid ---------------------------------------------------------------------------------------------


def _base_axis(xp, steps, align_corners, dtype):
    if steps <= 1:
        return xp.zeros(steps, dtype=dtype)
    ax = xp.linspace(-1, 1, steps, dtype=np.float64)
    if not align_corners:
        ax = ax * (steps - 1) / steps
    return ax.astype(dtype)


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """The sampling grid of an affine map: theta (N, 2, 3) and size (N, C, H, W) -> grid (N, H, W, 2),
    grid[n, i, j] = theta[n] @ (x_j, y_i, 1); 5-D: theta (N, 3, 4), size (N, C, D, H, W) -> (N, D, H, W, 3).
    Differentiable in theta (it is a batched matmul with a constant base grid)."""
    xp = array_module(theta._data)

    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(size)
    if len(size) == 4:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got {_torch_size(theta)}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got {_torch_size(theta)}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError(
            f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. Got size {size}."
        )
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if align_corners and min(spatial) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when align_corners=True. This is "
            "not an intended use case of affine_grid. See the documentation of affine_grid for details.",
            UserWarning, stacklevel=2,
        )
    if theta.shape[0] != size[0]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, {len(spatial) + 1}] but got: "
            f"[{theta.shape[0]}, {len(spatial) + 1}]."
        )
    dt = theta._data.dtype
    axes = [_base_axis(xp, s, align_corners, dt) for s in reversed(spatial)]  # x (width) first
    mesh = xp.meshgrid(*axes[::-1], indexing="ij")[::-1]  # spatial-major order, components (x, y[, z])
    base = xp.stack(list(mesh) + [xp.ones(spatial, dtype=dt)], axis=-1).reshape(1, -1, len(spatial) + 1)
    grid = matmul(Tensor._wrap(base), transpose(theta, 1, 2))
    return reshape(grid, (size[0],) + tuple(spatial) + (len(spatial),))


def _torch_size(t):
    return f"torch.Size([{', '.join(str(s) for s in t.shape)}])"
