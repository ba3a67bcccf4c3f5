"""Pillow kernels behind ``ember.vision.transforms`` (imported only when a PIL image arrives)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageEnhance

from ember.vision.transforms import _array

_RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "nearest-exact": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "box": Image.Resampling.BOX,
    "hamming": Image.Resampling.HAMMING,
    "lanczos": Image.Resampling.LANCZOS,
}


def resample(mode: str) -> Image.Resampling:
    return _RESAMPLE[mode]


def get_dimensions(img: Image.Image) -> tuple[int, int, int]:
    """(channels, height, width) of a PIL image."""
    return len(img.getbands()), img.height, img.width


def parse_fill(fill, img: Image.Image):
    """Pillow wants a single number for one-band images and a tuple per band otherwise."""
    bands = len(img.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)):
        fill = tuple([fill] * bands) if bands > 1 else fill
    else:
        fill = tuple(fill)
        if len(fill) == 1 and bands > 1:
            fill = fill * bands
        if len(fill) != bands:
            raise ValueError(f"fill: expected a number or {bands} values for a {img.mode} image, got {fill}")
        if bands == 1:
            fill = fill[0]
    if img.mode != "F":
        fill = tuple(int(v) for v in fill) if isinstance(fill, tuple) else int(fill)
    return fill


def hflip(img: Image.Image) -> Image.Image:
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def vflip(img: Image.Image) -> Image.Image:
    return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


def crop(img: Image.Image, top: int, left: int, height: int, width: int) -> Image.Image:
    # Pillow fills the part of the box outside the image with zeros.
    return img.crop((left, top, left + width, top + height))


def resize(img: Image.Image, size: tuple[int, int], interpolation: str) -> Image.Image:
    h, w = size
    return img.resize((w, h), resample(interpolation))


def pad(img: Image.Image, padding: Sequence[int], fill, padding_mode: str) -> Image.Image:
    """Pad by (left, top, right, bottom) through NumPy, keeping the mode (and palette)."""
    arr = np.asarray(img)
    # Pillow arrays are (H, W) or (H, W, C); the kernels want channels first.
    chw = arr if arr.ndim == 2 else np.moveaxis(arr, -1, 0)
    if padding_mode == "constant" and fill is not None and not isinstance(fill, (int, float)):
        fill = list(fill)
    out = _array.pad(chw, padding, fill, padding_mode)
    out = out if out.ndim == 2 else np.moveaxis(out, 0, -1)
    result = Image.fromarray(np.ascontiguousarray(out))
    if img.mode == "P":
        result.putpalette(img.getpalette())
    elif result.mode != img.mode:
        result = result.convert(img.mode)
    return result


def rotate(img: Image.Image, angle: float, interpolation: str, expand: bool, center, fill) -> Image.Image:
    return img.rotate(angle, resample(interpolation), expand, center, fillcolor=parse_fill(fill, img))


def affine(img: Image.Image, matrix: Sequence[float], interpolation: str, fill) -> Image.Image:
    return img.transform(img.size, Image.Transform.AFFINE, tuple(matrix), resample(interpolation), fillcolor=parse_fill(fill, img))


def to_grayscale(img: Image.Image, num_output_channels: int) -> Image.Image:
    if num_output_channels not in (1, 3):
        raise ValueError(f"to_grayscale: num_output_channels must be 1 or 3, got {num_output_channels}")
    gray = img.convert("L")
    return gray if num_output_channels == 1 else Image.merge("RGB", (gray, gray, gray))


def adjust_brightness(img: Image.Image, factor: float) -> Image.Image:
    return ImageEnhance.Brightness(img).enhance(factor)


def adjust_contrast(img: Image.Image, factor: float) -> Image.Image:
    return ImageEnhance.Contrast(img).enhance(factor)


def adjust_saturation(img: Image.Image, factor: float) -> Image.Image:
    return ImageEnhance.Color(img).enhance(factor)


def adjust_hue(img: Image.Image, factor: float) -> Image.Image:
    if not -0.5 <= factor <= 0.5:
        raise ValueError(f"hue factor must be in [-0.5, 0.5], got {factor}")
    if img.mode in ("L", "1", "I", "F"):
        return img
    mode = img.mode
    h, s, v = img.convert("HSV").split()
    # Hue is stored as 0..255 for one full turn, so the shift wraps modulo 256.
    shifted = (np.asarray(h, dtype=np.int64) + int(round(factor * 255))) % 256
    h = Image.fromarray(shifted.astype(np.uint8))
    return Image.merge("HSV", (h, s, v)).convert(mode)
