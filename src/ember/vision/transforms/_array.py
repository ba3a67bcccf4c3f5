"""NumPy kernels behind ``ember.vision.transforms`` for images laid out ``(..., C, H, W)``.

Every function takes and returns a ``numpy.ndarray`` whose last two axes are height and
width (a leading channel axis and any batch axes are carried along). ``functional.py``
unwraps ember tensors into these arrays and wraps the results back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# ITU-R 601-2 luma, the weights Pillow's convert("L") uses.
# torchvision's tensor weights (its PIL path uses Pillow's 0.299 / 0.587 / 0.114)
GRAY_WEIGHTS = (0.2989, 0.587, 0.114)


def max_value(dtype: np.dtype) -> float:
    """Largest intensity of an image dtype: 1.0 for floats, the type's maximum for integers."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return 1.0
    if dtype.kind == "b":
        return 1
    return np.iinfo(dtype).max


def _check_image(arr: np.ndarray, who: str) -> None:
    if arr.ndim < 2:
        raise ValueError(f"{who}: expected an image array of shape (..., H, W), got shape {arr.shape}")


def get_dimensions(arr: np.ndarray) -> tuple[int, int, int]:
    """(channels, height, width) of an array image; a 2-D array has one channel."""
    _check_image(arr, "get_dimensions")
    channels = 1 if arr.ndim == 2 else arr.shape[-3]
    return channels, arr.shape[-2], arr.shape[-1]


def _to_dtype_like(out: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Cast a float result back to an image dtype; integers are rounded and clipped."""
    if np.dtype(dtype).kind in "iub":
        return np.clip(np.rint(out), 0, max_value(dtype)).astype(dtype)
    return out.astype(dtype, copy=False)


def _to_dtype_truncated(out: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Cast a float result back to an image dtype; integers are clipped then truncated (torch's ``.to(uint8)``)."""
    if np.dtype(dtype).kind in "iub":
        return np.clip(out, 0, max_value(dtype)).astype(dtype)
    return out.astype(dtype, copy=False)


def _work_float(arr: np.ndarray) -> np.ndarray:
    """The float array to compute with: floats as they are, integers as float32."""
    return arr if arr.dtype.kind == "f" else arr.astype(np.float32)


def hflip(arr: np.ndarray) -> np.ndarray:
    """Mirror left-right."""
    _check_image(arr, "hflip")
    return arr[..., ::-1]


def vflip(arr: np.ndarray) -> np.ndarray:
    """Mirror top-bottom."""
    _check_image(arr, "vflip")
    return arr[..., ::-1, :]


def crop(arr: np.ndarray, top: int, left: int, height: int, width: int) -> np.ndarray:
    """The box of ``height x width`` whose top-left corner is (top, left); outside pixels are 0."""
    _check_image(arr, "crop")
    h, w = arr.shape[-2:]
    if top >= 0 and left >= 0 and top + height <= h and left + width <= w:
        return arr[..., top : top + height, left : left + width]
    # Like torchvision, a box that leaves the image is zero-padded rather than refused.
    out = np.zeros(arr.shape[:-2] + (height, width), dtype=arr.dtype)
    y0, y1 = max(top, 0), min(top + height, h)
    x0, x1 = max(left, 0), min(left + width, w)
    if y1 > y0 and x1 > x0:
        out[..., y0 - top : y1 - top, x0 - left : x1 - left] = arr[..., y0:y1, x0:x1]
    return out


def _fill_array(fill, arr: np.ndarray) -> np.ndarray:
    """``fill`` (a number or one value per channel) shaped to broadcast against ``arr``."""
    values = np.asarray(0 if fill is None else fill, dtype=np.float64)
    if values.ndim == 0 or values.size == 1:
        return values.reshape(()).astype(arr.dtype)
    channels = get_dimensions(arr)[0]
    if values.ndim != 1 or (values.size != channels) or arr.ndim < 3:
        raise ValueError(
            f"fill: expected a number or {channels} values (one per channel), got {list(values.ravel())}"
        )
    return values.astype(arr.dtype).reshape(-1, 1, 1)


def pad(
    arr: np.ndarray, padding: Sequence[int], fill=0, padding_mode: str = "constant"
) -> np.ndarray:
    """Pad the last two axes by ``padding = (left, top, right, bottom)``; negative values crop."""
    _check_image(arr, "pad")
    left, top, right, bottom = (int(p) for p in padding)
    if min(left, top, right, bottom) < 0:
        h, w = arr.shape[-2:]
        arr = arr[..., max(-top, 0) : h - max(-bottom, 0), max(-left, 0) : w - max(-right, 0)]
        left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
    widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    if padding_mode == "constant":
        h, w = arr.shape[-2:]
        out = np.empty(arr.shape[:-2] + (h + top + bottom, w + left + right), dtype=arr.dtype)
        out[...] = _fill_array(fill, arr)
        out[..., top : top + h, left : left + w] = arr
        return out
    if padding_mode in ("edge", "reflect", "symmetric"):
        return np.pad(arr, widths, mode=padding_mode)
    raise ValueError(
        f"pad: padding_mode must be 'constant', 'edge', 'reflect' or 'symmetric', got {padding_mode!r}"
    )


def _linear_weights(in_size: int, out_size: int, antialias: bool, dtype) -> np.ndarray:
    """(out_size, in_size) matrix of triangle-filter weights, Pillow's resampling scheme.

    Output pixel ``o`` is centred at ``(o + 0.5) * scale`` in input coordinates. When
    shrinking with ``antialias`` the triangle widens by the scale factor, so every input
    pixel contributes (no aliasing); otherwise this is plain bilinear interpolation with
    half-pixel centres and clamped borders (PyTorch's ``align_corners=False``).
    """
    scale = in_size / out_size
    support = max(scale, 1.0) if antialias else 1.0
    centers = (np.arange(out_size, dtype=np.float64) + 0.5) * scale
    taps = np.arange(in_size, dtype=np.float64) + 0.5
    weights = np.maximum(0.0, 1.0 - np.abs(taps[None, :] - centers[:, None]) / support)
    # Rows are renormalised, which is what clamps the borders.
    weights /= weights.sum(axis=1, keepdims=True)
    return weights.astype(dtype)


def _cubic(x: np.ndarray, a: float) -> np.ndarray:
    """Keys' cubic convolution kernel (zero for ``|x| >= 2``)."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _cubic_weights(in_size: int, out_size: int, antialias: bool, dtype) -> np.ndarray:
    """(out_size, in_size) bicubic weights, as PyTorch's ``interpolate(mode="bicubic", align_corners=False)``.

    With ``antialias`` this is Pillow's filter (a = -0.5, widened by the scale factor when
    shrinking, rows renormalised at the borders); without, PyTorch's a = -0.75 kernel on the
    four nearest taps with indices clamped to the image.
    """
    scale = in_size / out_size
    if antialias:
        support = max(scale, 1.0)
        centers = (np.arange(out_size, dtype=np.float64) + 0.5) * scale
        taps = np.arange(in_size, dtype=np.float64) + 0.5
        weights = _cubic((taps[None, :] - centers[:, None]) / support, -0.5)
        weights /= weights.sum(axis=1, keepdims=True)
        return weights.astype(dtype)
    src = (np.arange(out_size, dtype=np.float64) + 0.5) * scale - 0.5
    base = np.floor(src)
    t = src - base
    weights = np.zeros((out_size, in_size), dtype=np.float64)
    rows = np.arange(out_size)
    for k in range(-1, 3):
        idx = np.clip(base.astype(np.intp) + k, 0, in_size - 1)
        np.add.at(weights, (rows, idx), _cubic(t - k, -0.75))
    return weights.astype(dtype)


def _nearest_index(in_size: int, out_size: int, exact: bool) -> np.ndarray:
    scale = in_size / out_size
    offset = 0.5 if exact else 0.0  # PyTorch's "nearest" samples at o*scale, "nearest-exact" at the centre
    index = np.floor((np.arange(out_size) + offset) * scale).astype(np.intp)
    return np.minimum(index, in_size - 1)


def resize(arr: np.ndarray, size: tuple[int, int], interpolation: str = "bilinear", antialias: bool = True) -> np.ndarray:
    """Resample the last two axes to ``size = (height, width)``."""
    _check_image(arr, "resize")
    out_h, out_w = int(size[0]), int(size[1])
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f"resize: expected a positive output size, got {(out_h, out_w)}")
    h, w = arr.shape[-2:]
    if interpolation in ("nearest", "nearest-exact"):
        exact = interpolation == "nearest-exact"
        rows = _nearest_index(h, out_h, exact)
        cols = _nearest_index(w, out_w, exact)
        return arr.take(rows, axis=-2).take(cols, axis=-1)
    if interpolation not in ("bilinear", "bicubic"):
        raise NotImplementedError(
            f"resize: arrays and tensors support 'nearest', 'nearest-exact', 'bilinear' and 'bicubic', got {interpolation!r}"
            " (use a PIL image for Pillow's other filters)"
        )
    x = _work_float(arr)
    weights = _linear_weights if interpolation == "bilinear" else _cubic_weights
    wh = weights(h, out_h, antialias, x.dtype)
    ww = weights(w, out_w, antialias, x.dtype)
    out = np.matmul(np.matmul(wh, x), ww.T)
    return _to_dtype_like(out, arr.dtype)


def inverse_affine_matrix(
    center: Sequence[float],
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: Sequence[float],
) -> list[float]:
    """The 2x3 matrix (row-major) mapping output coordinates back to input coordinates.

    The forward map is ``T * C * R * S * Sh * C^-1`` (translate, about-centre rotation by
    ``angle`` degrees, scale, shear); we return its inverse, as torchvision does, because
    resampling asks "which input point lands on this output pixel?".
    """
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    # det([[a, b], [c, d]]) == 1, so the inverse of the linear part is its adjugate.
    m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return m


def affine_output_size(matrix: Sequence[float], w: int, h: int) -> tuple[int, int]:
    """(width, height) of the box that holds the whole transformed image (``expand=True``)."""
    corners = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]])
    pts = corners @ np.asarray(matrix, dtype=np.float64).reshape(2, 3).T
    lo = pts.min(axis=0) + (0.5 * w, 0.5 * h)
    hi = pts.max(axis=0) + (0.5 * w, 0.5 * h)
    # torchvision's rule, with coordinates truncated to 1e-4 so rounding noise cannot add a pixel.
    tol = 1e-4
    size = np.ceil(np.round(hi / tol) * tol - tol / 2) - np.floor(np.round(lo / tol) * tol + tol / 2)
    # When the box spans a whole number of pixels (quarter turns), use it exactly, as
    # Pillow does: the rule above can add a pixel when the centre sits on a half pixel.
    extent = hi - lo
    whole = np.abs(extent - np.round(extent)) < tol
    size = np.where(whole, np.round(extent), size)
    return int(size[0]), int(size[1])


def apply_affine(
    arr: np.ndarray,
    matrix: Sequence[float],
    out_size: tuple[int, int] | None = None,
    interpolation: str = "nearest",
    fill=0,
) -> np.ndarray:
    """Resample through an inverse affine ``matrix`` given in centred pixel coordinates.

    Coordinates are measured from the image centre with pixel centres at half-integers,
    the convention of torchvision's tensor path (``grid_sample(align_corners=False)``).
    Points that fall outside the input take ``fill``; with bilinear sampling the border
    blends toward ``fill`` in proportion to the weight that fell outside.
    """
    _check_image(arr, "affine")
    h, w = arr.shape[-2:]
    out_h, out_w = (h, w) if out_size is None else out_size
    a, b, c, d, e, f = (float(v) for v in matrix)
    yc = np.arange(out_h, dtype=np.float64)[:, None] + 0.5 - out_h / 2
    xc = np.arange(out_w, dtype=np.float64)[None, :] + 0.5 - out_w / 2
    u = a * xc + b * yc + c + w / 2 - 0.5  # input column index
    v = d * xc + e * yc + f + h / 2 - 0.5  # input row index
    fill_value = _fill_array(fill, arr).astype(np.float64)
    if interpolation == "nearest":
        ui, vi = np.rint(u).astype(np.intp), np.rint(v).astype(np.intp)
        inside = (ui >= 0) & (ui < w) & (vi >= 0) & (vi < h)
        taken = arr[..., np.clip(vi, 0, h - 1), np.clip(ui, 0, w - 1)]
        return np.where(inside, taken, fill_value.astype(arr.dtype))
    if interpolation != "bilinear":
        raise NotImplementedError(
            f"affine: arrays and tensors support 'nearest' and 'bilinear', got {interpolation!r}"
        )
    x = _work_float(arr)
    u0, v0 = np.floor(u), np.floor(v)
    fu, fv = (u - u0).astype(x.dtype), (v - v0).astype(x.dtype)
    u0, v0 = u0.astype(np.intp), v0.astype(np.intp)
    acc = np.zeros(arr.shape[:-2] + (out_h, out_w), dtype=x.dtype)
    mask = np.zeros((out_h, out_w), dtype=x.dtype)
    for du, dv, wt in ((0, 0, (1 - fu) * (1 - fv)), (1, 0, fu * (1 - fv)), (0, 1, (1 - fu) * fv), (1, 1, fu * fv)):
        uu, vv = u0 + du, v0 + dv
        inside = (uu >= 0) & (uu < w) & (vv >= 0) & (vv < h)
        wt = np.where(inside, wt, 0)
        acc += wt * x[..., np.clip(vv, 0, h - 1), np.clip(uu, 0, w - 1)]
        mask += wt
    out = acc + (1 - mask) * fill_value.astype(x.dtype)
    return _to_dtype_like(out, arr.dtype)


def rgb_to_grayscale(arr: np.ndarray, num_output_channels: int = 1) -> np.ndarray:
    """Luma ``0.299 R + 0.587 G + 0.114 B`` of a (..., 3, H, W) image, as (..., k, H, W)."""
    channels = get_dimensions(arr)[0]
    if arr.ndim < 3 or channels not in (1, 3):
        raise ValueError(f"rgb_to_grayscale: expected an image of shape (..., 1 or 3, H, W), got shape {arr.shape}")
    if num_output_channels not in (1, 3):
        raise ValueError(f"rgb_to_grayscale: num_output_channels must be 1 or 3, got {num_output_channels}")
    if channels == 3:
        x = _work_float(arr)
        r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
        gray = _to_dtype_truncated(GRAY_WEIGHTS[0] * r + GRAY_WEIGHTS[1] * g + GRAY_WEIGHTS[2] * b, arr.dtype)
        gray = gray[..., None, :, :]
    else:
        gray = arr.copy()
    if num_output_channels == 3:
        gray = np.repeat(gray, 3, axis=-3)
    return gray


def _blend(img: np.ndarray, other, ratio: float) -> np.ndarray:
    """``ratio * img + (1 - ratio) * other`` clipped to the dtype's intensity range (integers truncated, as torchvision)."""
    x = _work_float(img)
    out = np.clip(ratio * x + (1.0 - ratio) * other, 0, max_value(img.dtype))
    return _to_dtype_truncated(out, img.dtype)


def adjust_brightness(arr: np.ndarray, factor: float) -> np.ndarray:
    """Scale intensities by ``factor`` (0 gives black, 1 the original)."""
    if factor < 0:
        raise ValueError(f"brightness factor must be non-negative, got {factor}")
    return _blend(arr, 0.0, factor)


def adjust_contrast(arr: np.ndarray, factor: float) -> np.ndarray:
    """Blend with the image's mean gray level (0 gives a flat gray image, 1 the original)."""
    if factor < 0:
        raise ValueError(f"contrast factor must be non-negative, got {factor}")
    channels = get_dimensions(arr)[0]
    # torchvision takes the mean of the grayscale image in the input's dtype (truncated for integers)
    gray = _work_float(rgb_to_grayscale(arr) if channels == 3 else arr)
    mean = gray.mean(axis=(-3, -2, -1) if gray.ndim >= 3 else (-2, -1), keepdims=True)
    return _blend(arr, mean, factor)


def adjust_saturation(arr: np.ndarray, factor: float) -> np.ndarray:
    """Blend with the grayscale image (0 gives gray, 1 the original); 1-channel images pass through."""
    if factor < 0:
        raise ValueError(f"saturation factor must be non-negative, got {factor}")
    if get_dimensions(arr)[0] == 1:
        return arr
    return _blend(arr, _work_float(rgb_to_grayscale(arr)), factor)


def _rgb_to_hsv(x: np.ndarray) -> np.ndarray:
    r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    maxc, minc = x.max(axis=-3), x.min(axis=-3)
    flat = maxc == minc
    span = maxc - minc
    s = span / np.where(flat, 1, maxc)
    span = np.where(flat, 1, span)  # hue is arbitrary (0) for grays; avoid 0/0
    rc, gc, bc = (maxc - r) / span, (maxc - g) / span, (maxc - b) / span
    h = np.where(maxc == r, bc - gc, np.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = np.where(flat, 0.0, h)
    h = np.mod(h / 6.0 + 1.0, 1.0)
    return np.stack((h, s, maxc), axis=-3)


def _hsv_to_rgb(x: np.ndarray) -> np.ndarray:
    h, s, v = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int64) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    r = np.choose(i, (v, q, p, p, t, v))
    g = np.choose(i, (t, v, v, q, p, p))
    b = np.choose(i, (p, p, t, v, v, q))
    return np.stack((r, g, b), axis=-3)


def adjust_hue(arr: np.ndarray, factor: float) -> np.ndarray:
    """Rotate the hue by ``factor`` turns (in [-0.5, 0.5]); 1-channel images pass through."""
    if not -0.5 <= factor <= 0.5:
        raise ValueError(f"hue factor must be in [-0.5, 0.5], got {factor}")
    channels = get_dimensions(arr)[0]
    if channels == 1:
        return arr
    if arr.ndim < 3 or channels != 3:
        raise ValueError(f"adjust_hue: expected an image of shape (..., 3, H, W), got shape {arr.shape}")
    x = convert_image_dtype(arr, np.float32) if arr.dtype.kind != "f" else arr
    hsv = _rgb_to_hsv(x)
    hsv[..., 0, :, :] = np.mod(hsv[..., 0, :, :] + factor, 1.0)
    rgb = _hsv_to_rgb(hsv).astype(x.dtype, copy=False)
    return convert_image_dtype(rgb, arr.dtype)


def convert_image_dtype(arr: np.ndarray, dtype) -> np.ndarray:
    """Convert between image dtypes, rescaling intensities like torchvision.

    Integers map to floats by dividing by the integer type's maximum (uint8 255 -> 1.0);
    floats map to integers by multiplying by ``max + 1 - 1e-3`` and truncating, so 1.0
    lands on the maximum and each integer level gets an equal share of [0, 1].
    """
    dtype = np.dtype(dtype)
    src = arr.dtype
    if src == dtype:
        return arr
    if src.kind == "f":
        if dtype.kind == "f":
            return arr.astype(dtype)
        # float32 cannot represent int32/int64 maxima exactly: the product would overflow.
        if (src == np.float32 and dtype in (np.int32, np.int64)) or (src == np.float64 and dtype == np.int64):
            raise RuntimeError(f"convert_image_dtype: the cast from {src} to {dtype} cannot be performed safely")
        top = float(max_value(dtype))
        return (arr * (top + 1.0 - 1e-3)).astype(dtype)
    if dtype.kind == "f":
        return (arr.astype(dtype) / dtype.type(max_value(src))).astype(dtype, copy=False)
    in_max, out_max = int(max_value(src)), int(max_value(dtype))
    if in_max > out_max:
        return (arr // ((in_max + 1) // (out_max + 1))).astype(dtype)
    return arr.astype(dtype) * dtype.type((out_max + 1) // (in_max + 1))


def normalize(arr: np.ndarray, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> np.ndarray:
    """``(x - mean[c]) / std[c]`` for every channel ``c`` of a float (..., C, H, W) image."""
    if arr.dtype.kind != "f":
        raise TypeError(f"normalize: expected a float image, got dtype {arr.dtype}")
    if arr.ndim < 3:
        raise ValueError(f"normalize: expected an image of shape (..., C, H, W), got shape {arr.shape}")
    mean_a = np.asarray(mean, dtype=arr.dtype)
    std_a = np.asarray(std, dtype=arr.dtype)
    if np.any(std_a == 0):
        raise ValueError(f"normalize: std evaluated to zero after conversion to {arr.dtype}, leading to division by zero")
    channels = arr.shape[-3]
    for name, value in (("mean", mean_a), ("std", std_a)):
        if value.ndim > 1 or value.size not in (1, channels):
            raise ValueError(f"normalize: expected {name} to have 1 or {channels} values, got {value.tolist()}")
    if mean_a.ndim == 1:
        mean_a = mean_a.reshape(-1, 1, 1)
    if std_a.ndim == 1:
        std_a = std_a.reshape(-1, 1, 1)
    if not inplace:
        return (arr - mean_a) / std_a
    np.subtract(arr, mean_a, out=arr)
    np.divide(arr, std_a, out=arr)
    return arr
