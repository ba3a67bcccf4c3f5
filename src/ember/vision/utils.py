"""``make_grid`` and ``save_image``: tile a batch of images into one, with torchvision's layout and rounding.

These are for looking at data: they work on the values (no autograd graph is recorded).
"""

from __future__ import annotations

import math
import os
from typing import Any, BinaryIO

import numpy as np

import ember

__all__ = ["make_grid", "save_image"]


def _is_tensor(x: Any) -> bool:
    return isinstance(x, ember.Tensor)


def make_grid(
    tensor: Any,
    nrow: int = 8,
    padding: int = 2,
    normalize: bool = False,
    value_range: tuple[float, float] | None = None,
    scale_each: bool = False,
    pad_value: float = 0.0,
) -> Any:
    """Tile a ``(B, C, H, W)`` tensor (or a list of ``(C, H, W)`` tensors) into one ``(3 | C, H', W')`` image.

    Images are placed row by row, ``nrow`` per row, each surrounded by ``padding`` pixels of
    ``pad_value``. One-channel images are repeated to three channels. With ``normalize``, values
    are clamped to ``value_range`` (default: the min and max, of each image if ``scale_each``) and
    shifted and scaled into [0, 1]. A batch of one image is returned without padding.
    """
    if isinstance(tensor, (list, tuple)):
        for t in tensor:
            if not _is_tensor(t):
                raise TypeError(f"tensor or list of tensors expected, got a list containing {type(t)}")
        arr = np.stack([t._data for t in tensor])
    elif _is_tensor(tensor):
        arr = tensor._data
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if arr.ndim == 2:  # a single H x W image
        arr = arr[None]
    if arr.ndim == 3:  # a single C x H x W image
        if arr.shape[0] == 1:
            arr = np.concatenate([arr] * 3, 0)
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(f"make_grid: expected a tensor of 2, 3 or 4 dimensions, got {arr.ndim}")
    if arr.shape[1] == 1:
        arr = np.concatenate([arr] * 3, 1)

    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        arr = arr.copy()

        def norm_range(img: np.ndarray) -> None:
            low, high = value_range if value_range is not None else (float(img.min()), float(img.max()))
            np.clip(img, low, high, out=img)
            img -= np.asarray(low).astype(img.dtype)
            img /= np.asarray(max(high - low, 1e-5)).astype(img.dtype)

        if scale_each:
            for img in arr:
                norm_range(img)
        else:
            norm_range(arr)

    if arr.shape[0] == 1:
        return ember.from_numpy(np.ascontiguousarray(arr[0]))
    nmaps = arr.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(nmaps / xmaps))
    height, width = arr.shape[2] + padding, arr.shape[3] + padding
    grid = np.full((arr.shape[1], height * ymaps + padding, width * xmaps + padding), pad_value, dtype=arr.dtype)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        top, left = y * height + padding, x * width + padding
        grid[:, top : top + height - padding, left : left + width - padding] = arr[k]
    return ember.from_numpy(grid)


def save_image(tensor: Any, fp: str | os.PathLike | BinaryIO, format: str | None = None, **kwargs: Any) -> None:
    """Save a tensor (or a batch, tiled with ``make_grid(**kwargs)``) as an image file with Pillow.

    Values in [0, 1] become bytes as ``clamp(x * 255 + 0.5, 0, 255)`` truncated, as in torchvision.
    """
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError("save_image needs Pillow: install the extra with `pip install ember[image]`") from exc
    grid = make_grid(tensor, **kwargs)._data
    work = grid if np.issubdtype(grid.dtype, np.floating) else grid.astype(np.float32)
    ndarr = np.clip(work * work.dtype.type(255) + work.dtype.type(0.5), 0, 255)
    ndarr = ndarr.transpose(1, 2, 0).astype(np.uint8)
    if ndarr.shape[2] == 1:
        ndarr = ndarr[..., 0]
    Image.fromarray(np.ascontiguousarray(ndarr)).save(fp, format=format)
