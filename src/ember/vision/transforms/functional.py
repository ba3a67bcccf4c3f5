"""Functional image transforms with torchvision's semantics.

Each function accepts three kinds of image and returns the same kind:

- a PIL image (Pillow is the optional extra ``ember[image]``; it is imported only when
  a PIL image arrives);
- an ember ``Tensor`` laid out ``(..., C, H, W)``, like torchvision's tensor path (the
  work is done in NumPy on ``t._data`` and the result is a new tensor; no autograd graph
  is recorded, these are data-pipeline operations);
- a NumPy array in the same ``(..., C, H, W)`` layout, returned as a NumPy array.

The exceptions follow torchvision: ``to_tensor`` takes ``H x W x C`` arrays (the layout
images are stored in) and ``to_pil_image`` takes ``H x W x C`` arrays or ``C x H x W``
tensors.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from enum import Enum
from typing import Any

import numpy as np

from ember.vision.transforms import _array, _photometric
from ember.vision.transforms._dispatch import (
    _as_array,
    _dispatch,
    _is_pil_image,
    _is_tensor,
    _pil_kernels,
    _require_pil,
    _wrap_tensor,
)


class InterpolationMode(Enum):
    """Resampling filters, named as in torchvision."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _interp(mode: InterpolationMode | str) -> str:
    if isinstance(mode, InterpolationMode):
        return mode.value
    if isinstance(mode, str):
        try:
            return InterpolationMode(mode.lower()).value
        except ValueError:
            pass
    valid = ", ".join(m.value for m in InterpolationMode)
    raise ValueError(f"interpolation: expected an InterpolationMode or one of {valid}, got {mode!r}")


def _same_kernel(img: Any, name: str, *args: Any):
    """The kernel called ``name`` in `_array` or in `_pil` (whichever takes ``img``), with ``args``."""
    return _dispatch(img, name, lambda a: getattr(_array, name)(a, *args), lambda p: getattr(_pil_kernels(), name)(p, *args))


# --------------------------------------------------------------------------- inspection


def get_dimensions(img: Any) -> list[int]:
    """``[channels, height, width]`` of an image."""
    if _is_pil_image(img):
        return list(_pil_kernels().get_dimensions(img))
    return list(_array.get_dimensions(_as_array(img, "get_dimensions")))


def get_image_size(img: Any) -> list[int]:
    """``[width, height]`` of an image (torchvision's order)."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img: Any) -> int:
    """Number of channels of an image."""
    return get_dimensions(img)[0]


# --------------------------------------------------------------------------- conversion


def to_tensor(pic: Any):
    """PIL image or ``H x W x C`` array -> ``C x H x W`` tensor; uint8 becomes float32 in [0, 1].

    Other dtypes keep their values and dtype, as in torchvision.
    """
    if _is_pil_image(pic):
        arr = np.array(pic)
        if pic.mode == "1":
            arr = arr.astype(np.uint8) * 255
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"to_tensor: expected an array of shape (H, W) or (H, W, C), got shape {pic.shape}")
        arr = pic
    else:
        raise TypeError(f"to_tensor: expected a PIL image or a NumPy array, got {type(pic).__name__}")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    chw = arr.transpose(2, 0, 1)
    if chw.dtype == np.uint8:
        out = chw.astype(np.float32)
        out /= np.float32(255)
    else:
        out = np.array(chw)
    return _wrap_tensor(out)


def pil_to_tensor(pic: Any):
    """PIL image -> ``C x H x W`` tensor with the image's own dtype and values (no scaling)."""
    if not _is_pil_image(pic):
        raise TypeError(f"pil_to_tensor: expected a PIL image, got {type(pic).__name__}")
    arr = np.array(pic)
    arr = arr.reshape(pic.height, pic.width, len(pic.getbands()))
    return _wrap_tensor(arr.transpose(2, 0, 1))


_MODES_BY_CHANNELS = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def to_pil_image(pic: Any, mode: str | None = None):
    """``C x H x W`` tensor or ``H x W x C`` / ``H x W`` array -> PIL image.

    Float data is taken to be in [0, 1] and scaled to uint8 (truncating, as torchvision).
    """
    Image = _require_pil("to_pil_image")
    if _is_tensor(pic):
        arr = pic._data
        if arr.ndim not in (2, 3):
            raise ValueError(f"to_pil_image: expected a tensor of shape (C, H, W) or (H, W), got shape {arr.shape}")
        arr = arr if arr.ndim == 2 else arr.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        arr = pic
        if arr.ndim not in (2, 3):
            raise ValueError(f"to_pil_image: expected an array of shape (H, W, C) or (H, W), got shape {arr.shape}")
    else:
        raise TypeError(f"to_pil_image: expected an ember Tensor or a NumPy array, got {type(pic).__name__}")
    if arr.dtype.kind == "f":
        arr = (arr * 255).clip(0, 255).astype(np.uint8)
    if arr.ndim == 3:
        if arr.shape[2] == 1:
            arr = arr[:, :, 0]
        elif arr.shape[2] not in _MODES_BY_CHANNELS:
            raise ValueError(f"to_pil_image: expected 1 to 4 channels, got {arr.shape[2]}")
    img = Image.fromarray(np.ascontiguousarray(arr))
    if mode is not None and img.mode != mode:
        img = img.convert(mode)
    return img


def _np_dtype(dtype: Any) -> np.dtype:
    """The NumPy dtype of an ember dtype (``ember.float32``), a NumPy dtype or a name."""
    return np.dtype(getattr(dtype, "np", dtype))


def convert_image_dtype(image: Any, dtype: Any = np.float32):
    """Convert a tensor image to ``dtype`` and rescale its values (uint8 255 <-> float 1.0)."""
    target = _np_dtype(dtype)
    return _dispatch(image, "convert_image_dtype", lambda a: _array.convert_image_dtype(a, target))


def normalize(tensor: Any, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
    """``(x - mean[c]) / std[c]`` per channel of a float ``(..., C, H, W)`` tensor."""
    if _is_pil_image(tensor):
        raise TypeError("normalize: expected an ember Tensor or a NumPy array, got a PIL image (apply ToTensor first)")
    arr = _as_array(tensor, "normalize")
    out = _array.normalize(arr, mean, std, inplace=inplace)
    if inplace:
        if _is_tensor(tensor) and hasattr(tensor, "_bump_version"):
            tensor._bump_version()  # the values changed under any graph that saved this tensor
        return tensor
    return _wrap_tensor(out) if _is_tensor(tensor) else out


# --------------------------------------------------------------------------- geometry


def _setup_size(size: Any, who: str) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return int(size[0]), int(size[0])
    if isinstance(size, Sequence) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"{who}: expected size as an int or a sequence (h, w), got {size!r}")


def _compute_resized_output_size(image_size: tuple[int, int], size: Sequence[int], max_size: int | None) -> tuple[int, int]:
    h, w = image_size
    if len(size) == 2:
        return int(size[0]), int(size[1])
    # One number: the smaller edge becomes `size`, the other keeps the aspect ratio.
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = int(size[0]), int(int(size[0]) * long / short)
    if max_size is not None:
        if max_size <= new_short:
            raise ValueError(f"resize: max_size ({max_size}) must be larger than the requested size ({new_short})")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    return new_h, new_w


def resize(
    img: Any,
    size: int | Sequence[int],
    interpolation: InterpolationMode | str = InterpolationMode.BILINEAR,
    max_size: int | None = None,
    antialias: bool = True,
):
    """Resize to ``size``: ``(h, w)`` exactly, or an int that the smaller edge is matched to.

    Args:
        size: ``(h, w)``, or one int: the smaller edge becomes ``size`` and the other edge
            ``int(size * long / short)`` (torchvision's rule).
        interpolation: ``bilinear`` (default) or ``nearest``; PIL images also take Pillow's
            other filters.
        max_size: with an int ``size``, cap the longer edge at ``max_size``.
        antialias: when shrinking tensors, widen the bilinear filter like Pillow does.
    """
    mode = _interp(interpolation)
    if isinstance(size, numbers.Number):
        size = [int(size)]
    size = list(size)
    if len(size) not in (1, 2):
        raise ValueError(f"resize: expected size as an int or a sequence of 1 or 2 ints, got {size}")
    if len(size) == 2 and max_size is not None:
        raise ValueError("resize: max_size is only supported when size is a single int")
    _, h, w = get_dimensions(img)
    out_size = _compute_resized_output_size((h, w), size, max_size)
    if out_size == (h, w):
        return img
    return _dispatch(
        img,
        "resize",
        lambda a: _array.resize(a, out_size, mode, antialias),
        lambda p: _pil_kernels().resize(p, out_size, mode),
    )


def crop(img: Any, top: int, left: int, height: int, width: int):
    """The ``height x width`` box with top-left corner ``(top, left)``; outside pixels are 0."""
    top, left, height, width = int(top), int(left), int(height), int(width)
    return _same_kernel(img, "crop", top, left, height, width)


def center_crop(img: Any, output_size: int | Sequence[int]):
    """Crop the centre ``output_size`` box, zero-padding first if the image is smaller.

    The top-left corner is ``(round((H - h) / 2), round((W - w) / 2))`` with Python's
    round (halves to even), exactly as torchvision.
    """
    crop_h, crop_w = _setup_size(output_size, "center_crop")
    _, img_h, img_w = get_dimensions(img)
    if crop_w > img_w or crop_h > img_h:
        padding_ltrb = [
            (crop_w - img_w) // 2 if crop_w > img_w else 0,
            (crop_h - img_h) // 2 if crop_h > img_h else 0,
            (crop_w - img_w + 1) // 2 if crop_w > img_w else 0,
            (crop_h - img_h + 1) // 2 if crop_h > img_h else 0,
        ]
        img = pad(img, padding_ltrb, fill=0)
        _, img_h, img_w = get_dimensions(img)
        if crop_w == img_w and crop_h == img_h:
            return img
    top = int(round((img_h - crop_h) / 2.0))
    left = int(round((img_w - crop_w) / 2.0))
    return crop(img, top, left, crop_h, crop_w)


def resized_crop(
    img: Any,
    top: int,
    left: int,
    height: int,
    width: int,
    size: int | Sequence[int],
    interpolation: InterpolationMode | str = InterpolationMode.BILINEAR,
    antialias: bool = True,
):
    """Crop the box, then resize it to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def hflip(img: Any):
    """Mirror left-right."""
    return _same_kernel(img, "hflip")


def vflip(img: Any):
    """Mirror top-bottom."""
    return _same_kernel(img, "vflip")


def _parse_padding(padding: Any) -> list[int]:
    if isinstance(padding, numbers.Integral):
        return [int(padding)] * 4
    if isinstance(padding, Sequence) and all(isinstance(p, numbers.Integral) for p in padding):
        if len(padding) == 1:
            return [int(padding[0])] * 4
        if len(padding) == 2:
            return [int(padding[0]), int(padding[1])] * 2
        if len(padding) == 4:
            return [int(p) for p in padding]
    raise ValueError(
        f"pad: expected padding as an int or a sequence of 1, 2 (left/right, top/bottom) or 4 "
        f"(left, top, right, bottom) ints, got {padding!r}"
    )


_PAD_MODES = ("constant", "edge", "reflect", "symmetric")


def pad(img: Any, padding: int | Sequence[int], fill: Any = 0, padding_mode: str = "constant"):
    """Pad the borders.

    Args:
        padding: one int for every side; two for (left/right, top/bottom); four for
            (left, top, right, bottom). Negative values crop.
        fill: value (or one value per channel) for ``constant`` mode.
        padding_mode: ``constant``, ``edge`` (repeat the border pixel), ``reflect``
            (mirror without repeating the border: 2 1 | 1 2 3 | 3 2 is ``symmetric``,
            3 2 | 1 2 3 | 2 1 is ``reflect``) or ``symmetric``.
    """
    ltrb = _parse_padding(padding)
    if padding_mode not in _PAD_MODES:
        raise ValueError(f"pad: padding_mode must be one of {', '.join(_PAD_MODES)}, got {padding_mode!r}")
    return _same_kernel(img, "pad", ltrb, fill, padding_mode)


def rotate(
    img: Any,
    angle: float,
    interpolation: InterpolationMode | str = InterpolationMode.NEAREST,
    expand: bool = False,
    center: Sequence[float] | None = None,
    fill: Any = None,
):
    """Rotate counter-clockwise by ``angle`` degrees about ``center`` (default: the image centre).

    Args:
        expand: grow the output to hold the whole rotated image.
        center: ``(x, y)`` pixel coordinates of the pivot, origin at the top-left corner.
        fill: value for pixels that come from outside the input (default 0).
    """
    mode = _interp(interpolation)

    def on_array(a: np.ndarray) -> np.ndarray:
        h, w = a.shape[-2:]
        center_f = [0.0, 0.0] if center is None else [c - s * 0.5 for c, s in zip(center, (w, h))]
        # Image y grows downward, so a counter-clockwise turn on screen is a negative angle here.
        matrix = _array.inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
        ow, oh = _array.affine_output_size(matrix, w, h) if expand else (w, h)
        return _array.apply_affine(a, matrix, (oh, ow), mode, fill)

    return _dispatch(img, "rotate", on_array, lambda p: _pil_kernels().rotate(p, angle, mode, expand, center, fill))


def _parse_shear(shear: Any) -> list[float]:
    if isinstance(shear, numbers.Number):
        return [float(shear), 0.0]
    shear = [float(s) for s in shear]
    if len(shear) == 1:
        return [shear[0], shear[0]]
    if len(shear) == 2:
        return shear
    raise ValueError(f"affine: expected shear as a number or a sequence of 1 or 2 numbers, got {shear}")


def affine(
    img: Any,
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: float | Sequence[float],
    interpolation: InterpolationMode | str = InterpolationMode.NEAREST,
    fill: Any = None,
    center: Sequence[float] | None = None,
):
    """Affine map about the centre: rotate clockwise by ``angle`` degrees, scale, shear, then translate.

    Args:
        translate: ``(dx, dy)`` in pixels (right and down are positive).
        scale: overall scale (> 0).
        shear: degrees; one number shears along x, two give (x, y).
        fill: value for pixels that come from outside the input (default 0).
    """
    if len(translate) != 2:
        raise ValueError(f"affine: expected translate as (dx, dy), got {translate}")
    if scale <= 0:
        raise ValueError(f"affine: expected a positive scale, got {scale}")
    mode = _interp(interpolation)
    shear_f = _parse_shear(shear)
    translate_f = [float(t) for t in translate]

    def on_array(a: np.ndarray) -> np.ndarray:
        h, w = a.shape[-2:]
        center_f = [0.0, 0.0] if center is None else [c - s * 0.5 for c, s in zip(center, (w, h))]
        matrix = _array.inverse_affine_matrix(center_f, angle, translate_f, scale, shear_f)
        return _array.apply_affine(a, matrix, None, mode, fill)

    def on_pil(p):
        pivot = [p.width * 0.5, p.height * 0.5] if center is None else list(center)
        matrix = _array.inverse_affine_matrix(pivot, angle, translate_f, scale, shear_f)
        return _pil_kernels().affine(p, matrix, mode, fill)

    return _dispatch(img, "affine", on_array, on_pil)


# --------------------------------------------------------------------------- colour


def rgb_to_grayscale(img: Any, num_output_channels: int = 1):
    """Luma ``0.299 R + 0.587 G + 0.114 B``, repeated to ``num_output_channels`` (1 or 3).

    Integer images are rounded to the nearest level, like Pillow's ``convert("L")``.
    (torchvision's tensor path uses 0.2989 for red and truncates.)
    """
    return _dispatch(
        img,
        "rgb_to_grayscale",
        lambda a: _array.rgb_to_grayscale(a, num_output_channels),
        lambda p: _pil_kernels().to_grayscale(p, num_output_channels),
    )


to_grayscale = rgb_to_grayscale


def adjust_brightness(img: Any, brightness_factor: float):
    """Multiply intensities by ``brightness_factor`` (0 black, 1 unchanged), clipped to range."""
    return _same_kernel(img, "adjust_brightness", brightness_factor)


def adjust_contrast(img: Any, contrast_factor: float):
    """Blend with the mean gray level (0 flat gray, 1 unchanged)."""
    return _same_kernel(img, "adjust_contrast", contrast_factor)


def adjust_saturation(img: Any, saturation_factor: float):
    """Blend with the grayscale image (0 gray, 1 unchanged, 2 doubly saturated)."""
    return _same_kernel(img, "adjust_saturation", saturation_factor)


def adjust_hue(img: Any, hue_factor: float):
    """Rotate the hue by ``hue_factor`` of a full turn, ``hue_factor`` in [-0.5, 0.5]."""
    return _same_kernel(img, "adjust_hue", hue_factor)



def _gaussian_kernel1d(kernel_size: int, sigma: float) -> np.ndarray:
    half = (kernel_size - 1) * 0.5
    x = np.linspace(-half, half, kernel_size)
    pdf = np.exp(-0.5 * (x / sigma) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img: Any, kernel_size: Sequence[int], sigma: Sequence[float] | None = None):
    """Blur with a separable Gaussian (reflect padding at the borders), as torchvision's ``F.gaussian_blur``.

    ``kernel_size`` is ``[kx, ky]`` (odd, positive); ``sigma`` is ``[sx, sy]`` (default
    ``0.3 * ((k - 1) * 0.5 - 1) + 0.8``). Integer images are rounded back to their dtype.
    """
    if isinstance(kernel_size, numbers.Integral):
        kernel_size = [int(kernel_size)] * 2
    if len(kernel_size) == 1:
        kernel_size = [kernel_size[0]] * 2
    if any(k <= 0 or k % 2 == 0 for k in kernel_size):
        raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    if sigma is None:
        sigma = [0.3 * ((k - 1) * 0.5 - 1) + 0.8 for k in kernel_size]
    elif isinstance(sigma, numbers.Number):
        sigma = [float(sigma)] * 2
    elif len(sigma) == 1:
        sigma = [float(sigma[0])] * 2
    if any(s <= 0 for s in sigma):
        raise ValueError(f"sigma should have positive values. Got {sigma}")
    kx = _gaussian_kernel1d(kernel_size[0], sigma[0])
    ky = _gaussian_kernel1d(kernel_size[1], sigma[1])

    def blur(arr: np.ndarray) -> np.ndarray:
        work = arr.astype(arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.float32)
        px, py = kernel_size[0] // 2, kernel_size[1] // 2
        pad = [(0, 0)] * (work.ndim - 2) + [(py, py), (px, px)]
        padded = np.pad(work, pad, mode="reflect")
        h, w = arr.shape[-2:]
        kx_, ky_ = kx.astype(work.dtype), ky.astype(work.dtype)
        rows = sum(kx_[i] * padded[..., :, i : i + w] for i in range(kernel_size[0]))
        out = sum(ky_[j] * rows[..., j : j + h, :] for j in range(kernel_size[1]))
        if not np.issubdtype(arr.dtype, np.floating):
            out = np.round(out).clip(np.iinfo(arr.dtype).min, np.iinfo(arr.dtype).max)
        return out.astype(arr.dtype)

    if _is_pil_image(img):
        return to_pil_image(_wrap_tensor(blur(pil_to_tensor(img)._data)), mode=img.mode)
    return _dispatch(img, "gaussian_blur", blur)


def invert(img: Any):
    """Invert the colours: ``bound - img``."""
    return _photometric.invert(img)


def posterize(img: Any, bits: int):
    """Keep the ``bits`` most significant bits of each uint8 value."""
    return _photometric.posterize(img, bits)


def solarize(img: Any, threshold: float):
    """Invert the values at or above ``threshold``."""
    return _photometric.solarize(img, threshold)


def adjust_sharpness(img: Any, sharpness_factor: float):
    """Sharpen (factor > 1) or blur (factor < 1)."""
    return _photometric.adjust_sharpness(img, sharpness_factor)


def autocontrast(img: Any):
    """Stretch each channel to the full intensity range."""
    return _photometric.autocontrast(img)


def equalize(img: Any):
    """Equalize the histogram of each uint8 channel."""
    return _photometric.equalize(img)


def adjust_gamma(img: Any, gamma: float, gain: float = 1.0):
    """Gamma correction ``gain * img ** gamma`` on [0, 1] intensities."""
    return _photometric.adjust_gamma(img, gamma, gain)


def five_crop(img: Any, size: int | Sequence[int]):
    """The four corner crops and the central crop, as a tuple ``(tl, tr, bl, br, center)``."""
    crop_h, crop_w = _setup_size(size, "five_crop")
    _, h, w = get_dimensions(img)
    if crop_w > w or crop_h > h:
        raise ValueError(f"Requested crop size {(crop_h, crop_w)} is bigger than input size {(h, w)}")
    return (
        crop(img, 0, 0, crop_h, crop_w),
        crop(img, 0, w - crop_w, crop_h, crop_w),
        crop(img, h - crop_h, 0, crop_h, crop_w),
        crop(img, h - crop_h, w - crop_w, crop_h, crop_w),
        center_crop(img, [crop_h, crop_w]),
    )


def ten_crop(img: Any, size: int | Sequence[int], vertical_flip: bool = False):
    """``five_crop`` of the image and of its mirror image (flipped left-right, or top-bottom)."""
    flipped = vflip(img) if vertical_flip else hflip(img)
    return five_crop(img, size) + five_crop(flipped, size)
