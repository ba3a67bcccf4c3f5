"""Photometric functional ops (invert, posterize, solarize, sharpness, autocontrast, equalize, gamma).

Array kernels follow torchvision's tensor path on ``(..., C, H, W)`` arrays; PIL images go
through Pillow's ``ImageOps`` / ``ImageEnhance``, as torchvision's PIL path does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.vision.transforms import _array
from ember.vision.transforms._dispatch import _dispatch


def _bound(arr: np.ndarray) -> float:
    return _array.max_value(arr.dtype)


def _require_uint8(arr: np.ndarray, who: str) -> None:
    if arr.dtype != np.uint8:
        raise TypeError(f"{who}: only uint8 image tensors are supported, but found {arr.dtype}")


def _invert(arr: np.ndarray) -> np.ndarray:
    if arr.dtype.kind == "f":
        return (1.0 - arr).astype(arr.dtype)
    return (_bound(arr) - arr.astype(np.int64)).astype(arr.dtype)


def _posterize(arr: np.ndarray, bits: int) -> np.ndarray:
    _require_uint8(arr, "posterize")
    mask = 0xFF & ~((1 << (8 - bits)) - 1)
    return arr & np.uint8(mask)


def _solarize(arr: np.ndarray, threshold: float) -> np.ndarray:
    if threshold > _bound(arr):
        raise TypeError("Threshold should be less than bound of img.")
    return np.where(arr >= threshold, _invert(arr), arr)


def _sharpness(arr: np.ndarray, factor: float) -> np.ndarray:
    if factor < 0:
        raise ValueError(f"sharpness_factor ({factor}) is not non-negative.")
    if arr.shape[-1] <= 2 or arr.shape[-2] <= 2:
        return arr
    x = _array._work_float(arr)
    # 3x3 smoothing kernel [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13 on the interior; the border stays as it is
    h, w = arr.shape[-2:]
    one, five = x.dtype.type(1.0 / 13.0), x.dtype.type(5.0 / 13.0)
    acc = np.zeros(x.shape[:-2] + (h - 2, w - 2), dtype=x.dtype)
    for dy in range(3):
        for dx in range(3):
            acc += (five if dy == dx == 1 else one) * x[..., dy : dy + h - 2, dx : dx + w - 2]
    if arr.dtype.kind != "f":
        acc = np.round(acc)
    degenerate = x.copy()
    degenerate[..., 1:-1, 1:-1] = acc
    return _array._blend(arr, degenerate, factor)


def _autocontrast(arr: np.ndarray) -> np.ndarray:
    bound = _bound(arr)
    x = _array._work_float(arr)
    lo = x.min(axis=(-2, -1), keepdims=True)
    hi = x.max(axis=(-2, -1), keepdims=True)
    flat = hi == lo
    # bound * (1 / span), in that order: how torch evaluates ``scalar / tensor``, so results agree to the bit
    one = x.dtype.type(1.0)
    scale = np.where(flat, one, (one / np.where(flat, one, hi - lo)) * x.dtype.type(bound)).astype(x.dtype)
    lo = np.where(flat, 0.0, lo).astype(x.dtype)
    return _array._to_dtype_truncated(np.clip((x - lo) * scale, 0, bound), arr.dtype)


def _equalize_channel(ch: np.ndarray) -> np.ndarray:
    hist = np.bincount(ch.reshape(-1), minlength=256).astype(np.int64)
    nonzero = hist[hist != 0]
    step = int(nonzero[:-1].sum()) // 255
    if step == 0:
        return ch
    lut = (np.cumsum(hist) + step // 2) // step
    lut = np.clip(np.concatenate([[0], lut[:-1]]), 0, 255).astype(np.uint8)
    return lut[ch]


def _equalize(arr: np.ndarray) -> np.ndarray:
    _require_uint8(arr, "equalize")
    flat = arr.reshape((-1,) + arr.shape[-2:])
    return np.stack([_equalize_channel(c) for c in flat]).reshape(arr.shape)


def _gamma(arr: np.ndarray, gamma: float, gain: float) -> np.ndarray:
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    x = arr if arr.dtype.kind == "f" else _array.convert_image_dtype(arr, np.float32)
    out = np.clip(gain * np.power(x, gamma), 0, 1).astype(x.dtype)
    return out if arr.dtype.kind == "f" else _array.convert_image_dtype(out, arr.dtype)


# ----------------------------------------------------------------------------- public functions


def _pil_ops():
    from PIL import ImageEnhance, ImageOps

    return ImageOps, ImageEnhance


def invert(img: Any):
    """``bound - img`` (bound 1.0 for floats, 255 for uint8)."""
    return _dispatch(img, "invert", _invert, lambda p: _pil_ops()[0].invert(p))


def posterize(img: Any, bits: int):
    """Keep the ``bits`` most significant bits of each uint8 value."""
    if not 0 <= int(bits) <= 8:
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    return _dispatch(img, "posterize", lambda a: _posterize(a, int(bits)), lambda p: _pil_ops()[0].posterize(p, int(bits)))


def solarize(img: Any, threshold: float):
    """Invert every value at or above ``threshold``."""
    return _dispatch(img, "solarize", lambda a: _solarize(a, threshold), lambda p: _pil_ops()[0].solarize(p, threshold))


def adjust_sharpness(img: Any, sharpness_factor: float):
    """Blend with a smoothed copy: 0 blurs, 1 is the original, 2 doubles the sharpness."""
    return _dispatch(
        img,
        "adjust_sharpness",
        lambda a: _sharpness(a, sharpness_factor),
        lambda p: _pil_ops()[1].Sharpness(p).enhance(sharpness_factor),
    )


def autocontrast(img: Any):
    """Stretch each channel so its darkest value becomes 0 and its brightest the maximum."""
    return _dispatch(img, "autocontrast", _autocontrast, lambda p: _pil_ops()[0].autocontrast(p))


def equalize(img: Any):
    """Equalize each uint8 channel's histogram."""
    return _dispatch(img, "equalize", _equalize, lambda p: _pil_ops()[0].equalize(p))


def adjust_gamma(img: Any, gamma: float, gain: float = 1.0):
    """``gain * img ** gamma`` on intensities scaled to [0, 1]."""

    def pil(p):
        if gamma < 0:
            raise ValueError("Gamma should be a non-negative real number")
        mode = p.mode
        table = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)] * 3
        return p.convert("RGB").point(table).convert(mode)

    return _dispatch(img, "adjust_gamma", lambda a: _gamma(a, gamma, gain), pil)
