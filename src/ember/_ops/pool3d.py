"""3-D pooling as two passes of the 2-D kernels in ``pool.py``: over (H, W), then over D.

Max, average (every divisor rule), adaptive average and adaptive max pooling over a box are
separable: the box of output (t, i, j) is the product of one interval per axis, so pooling
each depth slice over (H, W) and then pooling the result along D gives the 3-D result --
the first maximum in row-major (d, h, w) order included (the first depth holding the box
maximum, then the first (h, w) within it). The average's divisor is a product of per-axis
counts for ``count_include_pad`` either way; ``divisor_override`` divides the plain sum.

So every 3-D pool is a composition of the 2-D Ops: gradients (and their double backward)
come from those, with no third copy of the kernels. The (H, W) pass sees (N, C*D, H, W)
and the D pass (N, C, D, OH*OW), both views.
"""

from __future__ import annotations

from .._backend import array_module
from .._tensor import Tensor
from . import pool as P

__all__ = [
    "max_pool3d",
    "max_pool3d_with_indices",
    "avg_pool3d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool3d",
    "adaptive_max_pool3d_with_indices",
    "lp_pool3d",
    "max_unpool3d",
]


def _to5d(input: Tensor, name: str, style: str):
    from .shape import unsqueeze

    x = input._data
    if x.ndim not in (4, 5) or (style == "pool" and any(s == 0 for s in x.shape[-4:])):
        if style == "adaptive":
            raise RuntimeError(f"{name}(): Expected 4D or 5D tensor, but got{':' if 'max' in name else ''} {list(x.shape)}")
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    if style == "adaptive" and any(s == 0 for s in x.shape[-4:]):
        raise RuntimeError(
            f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input has sizes {list(x.shape)} "
            f"with dimension {x.ndim - 4 + [s == 0 for s in x.shape[-4:]].index(True)} being empty"
        )
    if x.ndim == 4:
        return unsqueeze(input, 0), True
    return input, False


def _triple(value, name: str, fname: str, default=None):
    if value is None or (isinstance(value, (list, tuple)) and len(value) == 0):
        return default
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return (int(value[0]),) * 3
        if len(value) != 3:
            raise RuntimeError(f"{fname}: {name} must either be a single int, or a tuple of three ints")
        return tuple(int(v) for v in value)
    return (int(value),) * 3


def _check(x5: Tensor, k, s, p, d, ceil_mode, kind: str):
    P.check_window(k, s, p, d, "THW", max_pool=kind == "max")
    c, *sp = x5._data.shape[1:]
    out = [P._out_size(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in zip(sp, k, s, p, d)]
    if any(o < 1 for o in out):
        if kind == "avg" and any(n + 2 * pp < kk for n, kk, pp in zip(sp, k, p)):
            raise RuntimeError(
                f"input image (T: {sp[0]} H: {sp[1]} W: {sp[2]}) smaller than kernel size (kT: {k[0]} kH: {k[1]} kW: {k[2]})"
            )
        raise RuntimeError(
            f"Given input size: ({c}x{sp[0]}x{sp[1]}x{sp[2]}). Calculated output size: ({c}x{out[0]}x{out[1]}x{out[2]}). "
            "Output size is too small"
        )


def _split(x5: Tensor):
    """(N, C, D, H, W) -> the (H, W) pass's input (N, C*D, H, W)."""
    from .shape import reshape

    n, c, d, h, w = x5._data.shape
    return reshape(x5, (n, c * d, h, w))


def _depth_view(y4: Tensor, n: int, c: int, d: int):
    """The (H, W) pass's output (N, C*D, OH, OW) -> the D pass's input (N, C, D, OH*OW)."""
    from .shape import reshape

    oh, ow = y4._data.shape[2:]
    return reshape(y4, (n, c, d, oh * ow)), (oh, ow)


def _finish(t: Tensor, n: int, c: int, hw, unbatched: bool):
    from .shape import reshape

    od = t._data.shape[2]
    shape = (n, c, od, *hw)
    return reshape(t, shape[1:] if unbatched else shape)


def _combine_indices(idx_hw, idx_d, n, c, d, h, w, oh, ow):
    """Flat (d, h, w) indices from the two passes: the D pass picked depth ``idx_d // (OH*OW)``;
    the (H, W) pass's index at that depth gives (h, w)."""
    plane = oh * ow
    depth = idx_d // plane  # (n, c, OD, OH*OW)
    hw = array_module(idx_hw, idx_d).take_along_axis(idx_hw.reshape(n, c, d, plane), depth, axis=2)
    return depth * (h * w) + hw


def _max3d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, name="max_pool3d"):
    x5, unbatched = _to5d(input, name, "pool")
    k = _triple(kernel_size, "kernel_size", name)
    s = _triple(stride, "stride", name, default=k)
    p = _triple(padding, "padding", name)
    dl = _triple(dilation, "dilation", name)
    _check(x5, k, s, p, dl, ceil_mode, "max")
    n, c, d, h, w = x5._data.shape
    g_hw = P._PoolGeom((n, c * d, h, w), k[1:], s[1:], p[1:], dl[1:], ceil_mode)
    first = P.MaxPool2d.apply(_split(x5), g_hw, bool(return_indices))
    y4 = first[0] if return_indices else first
    yd, (oh, ow) = _depth_view(y4, n, c, d)
    g_d = P._PoolGeom((n, c, d, oh * ow), (k[0], 1), (s[0], 1), (p[0], 0), (dl[0], 1), ceil_mode)
    second = P.MaxPool2d.apply(yd, g_d, bool(return_indices))
    if not return_indices:
        return _finish(second, n, c, (oh, ow), unbatched)
    idx = _combine_indices(first[1]._data, second[1]._data, n, c, d, h, w, oh, ow)
    idx_t = Tensor._wrap(idx)
    return _finish(second[0], n, c, (oh, ow), unbatched), _finish(idx_t, n, c, (oh, ow), unbatched)


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over sliding 3-D windows of (N, C, D, H, W) (or unbatched (C, D, H, W)); padding counts as -inf."""
    return _max3d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
                            return_indices: bool = True):
    return _max3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over sliding 3-D windows of (N, C, D, H, W); ``divisor_override`` replaces the window size."""
    x5, unbatched = _to5d(input, "avg_pool3d", "pool")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    k = _triple(kernel_size, "kernel_size", "avg_pool3d")
    s = _triple(stride, "stride", "avg_pool3d", default=k)
    p = _triple(padding, "padding", "avg_pool3d")
    _check(x5, k, s, p, (1, 1, 1), ceil_mode, "avg")
    n, c, d, h, w = x5._data.shape
    dtype, xp = x5._data.dtype, array_module(x5._data)
    if dtype.kind != "f":
        raise RuntimeError(f"\"avg_pool3d_out_frame\" not implemented for '{str(dtype).capitalize()}'")
    g_hw = P._PoolGeom((n, c * d, h, w), k[1:], s[1:], p[1:], (1, 1), ceil_mode)
    # with an override both passes sum (divisor 1) and the D pass divides by it
    div_hw = dtype.type(1) if divisor_override else P._avg_divisor(g_hw, count_include_pad, None, dtype, xp)
    y4 = P.AvgPool2d.apply(_split(x5), g_hw, div_hw)
    yd, hw = _depth_view(y4, n, c, d)
    g_d = P._PoolGeom((n, c, d, hw[0] * hw[1]), (k[0], 1), (s[0], 1), (p[0], 0), (1, 1), ceil_mode)
    div_d = P._avg_divisor(g_d, count_include_pad, divisor_override, dtype, xp)
    return _finish(P.AvgPool2d.apply(yd, g_d, div_d), n, c, hw, unbatched)


def _adaptive_sizes3(output_size, spatial, name):
    if isinstance(output_size, (list, tuple)) and len(output_size) != 3:
        raise RuntimeError(f"{name}(): internal error: output_size.size() must be 3")
    return P._adaptive_sizes(output_size, spatial, 3)


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average over adaptive 3-D windows: (N, C, D, H, W) -> (N, C, *output_size); None keeps a size."""
    x5, unbatched = _to5d(input, "adaptive_avg_pool3d", "adaptive")
    n, c, d, h, w = x5._data.shape
    od, oh, ow = _adaptive_sizes3(output_size, (d, h, w), "adaptive_avg_pool3d")
    y4 = P.adaptive_avg_pool2d(_split(x5), (oh, ow))
    yd, hw = _depth_view(y4, n, c, d)
    return _finish(P.adaptive_avg_pool2d(yd, (od, hw[0] * hw[1])), n, c, hw, unbatched)


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max over adaptive 3-D windows: (N, C, D, H, W) -> (N, C, *output_size)."""
    x5, unbatched = _to5d(input, "adaptive_max_pool3d", "adaptive")
    n, c, d, h, w = x5._data.shape
    od, oh, ow = _adaptive_sizes3(output_size, (d, h, w), "adaptive_max_pool3d")
    first = P.adaptive_max_pool2d(_split(x5), (oh, ow), bool(return_indices))
    y4 = first[0] if return_indices else first
    yd, hw = _depth_view(y4, n, c, d)
    second = P.adaptive_max_pool2d(yd, (od, hw[0] * hw[1]), bool(return_indices))
    if not return_indices:
        return _finish(second, n, c, hw, unbatched)
    idx = _combine_indices(first[1]._data, second[1]._data, n, c, d, h, w, *hw)
    return _finish(second[0], n, c, hw, unbatched), _finish(Tensor._wrap(idx), n, c, hw, unbatched)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size, return_indices: bool = True):
    return adaptive_max_pool3d(input, output_size, True)


def lp_pool3d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """(sum over 3-D windows of x^p)^(1/p), composed from avg pooling like PyTorch."""
    from .pointwise import abs as _abs, mul, pow as _pow, relu, sign

    k = _triple(kernel_size, "kernel_size", "lp_pool3d")
    out = avg_pool3d(_pow(input, norm_type), kernel_size, stride, 0, ceil_mode)
    return _pow(mul(mul(sign(out), relu(_abs(out))), k[0] * k[1] * k[2]), 1.0 / norm_type)


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Partial inverse of max_pool3d: values scattered back to their argmax positions, zeros elsewhere."""
    return P._max_unpool(input, indices, 3, kernel_size, stride, padding, output_size)
