"""Reading and writing image files as ``uint8 (C, H, W)`` tensors, torchvision.io's basics (Pillow does the codecs)."""

from __future__ import annotations

import os
from enum import Enum
from typing import Any

import numpy as np

import ember

__all__ = ["ImageReadMode", "decode_image", "read_file", "read_image", "write_file", "write_jpeg", "write_png"]


class ImageReadMode(Enum):
    """The channel layout to convert to when reading."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = 4


_PIL_MODES = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB", ImageReadMode.RGB_ALPHA: "RGBA"}


def _pil():
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError("ember.vision.io needs Pillow: install the extra with `pip install ember[image]`") from exc
    return Image


def _mode(mode: ImageReadMode | str) -> ImageReadMode:
    if isinstance(mode, str):
        return ImageReadMode[mode.upper()]
    return mode


def _to_tensor(img: Any, mode: ImageReadMode):
    if mode is not ImageReadMode.UNCHANGED:
        img = img.convert(_PIL_MODES[mode])
    elif img.mode not in ("L", "LA", "RGB", "RGBA"):
        img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
    arr = np.asarray(img, dtype=np.uint8)
    arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
    return ember.from_numpy(np.ascontiguousarray(arr))


def read_file(path: str | os.PathLike):
    """The bytes of a file as a 1-D uint8 tensor."""
    with open(path, "rb") as f:
        return ember.from_numpy(np.frombuffer(f.read(), dtype=np.uint8).copy())


def write_file(filename: str | os.PathLike, data: Any) -> None:
    """Write a 1-D uint8 tensor's bytes to ``filename``."""
    with open(filename, "wb") as f:
        f.write(np.asarray(data, dtype=np.uint8).tobytes())


def decode_image(input: Any, mode: ImageReadMode | str = ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False):
    """Decode an encoded image (a path, or a 1-D uint8 tensor of file bytes) into a uint8 ``(C, H, W)`` tensor."""
    import io as _io

    Image = _pil()
    if isinstance(input, (str, os.PathLike)):
        return read_image(input, mode, apply_exif_orientation)
    img = Image.open(_io.BytesIO(np.asarray(input, dtype=np.uint8).tobytes()))
    if apply_exif_orientation:
        from PIL import ImageOps

        img = ImageOps.exif_transpose(img)
    return _to_tensor(img, _mode(mode))


def read_image(path: str | os.PathLike, mode: ImageReadMode | str = ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False):
    """Read a JPEG/PNG/... file into a uint8 ``(C, H, W)`` tensor."""
    Image = _pil()
    with Image.open(path) as img:
        if apply_exif_orientation:
            from PIL import ImageOps

            img = ImageOps.exif_transpose(img)
        return _to_tensor(img, _mode(mode))


def _to_pil(input: Any, who: str):
    Image = _pil()
    arr = np.asarray(input)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[0] not in (1, 3, 4):
        raise ValueError(f"{who}: expected a uint8 tensor of shape (1|3|4, H, W), got {arr.dtype} {arr.shape}")
    hwc = arr.transpose(1, 2, 0)
    return Image.fromarray(np.ascontiguousarray(hwc[..., 0] if hwc.shape[2] == 1 else hwc))


def write_png(input: Any, filename: str | os.PathLike, compression_level: int = 6) -> None:
    """Save a uint8 ``(C, H, W)`` tensor as a PNG file."""
    _to_pil(input, "write_png").save(filename, format="PNG", compress_level=compression_level)


def write_jpeg(input: Any, filename: str | os.PathLike, quality: int = 75) -> None:
    """Save a uint8 ``(C, H, W)`` tensor as a JPEG file."""
    _to_pil(input, "write_jpeg").save(filename, format="JPEG", quality=quality)
