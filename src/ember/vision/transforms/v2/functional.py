"""``transforms.v2.functional``: the v1 functional transforms plus ``to_image`` and ``to_dtype``."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember
from ember.vision.transforms.functional import *  # noqa: F403
from ember.vision.transforms.functional import _is_pil_image, _is_tensor, _np_dtype, _wrap_tensor, convert_image_dtype, pil_to_tensor


def to_image(inpt: Any):
    """PIL image -> uint8 ``(C, H, W)`` tensor; ``(H, W, C)`` / ``(H, W)`` array -> ``(C, H, W)`` tensor; tensor -> itself."""
    if _is_pil_image(inpt):
        return pil_to_tensor(inpt)
    if isinstance(inpt, np.ndarray):
        arr = inpt[:, :, None] if inpt.ndim == 2 else inpt
        if arr.ndim != 3:
            raise ValueError(f"to_image: expected an (H, W) or (H, W, C) array, got shape {inpt.shape}")
        return _wrap_tensor(arr.transpose(2, 0, 1))
    if _is_tensor(inpt):
        return inpt
    raise TypeError(f"to_image: expected a PIL image, a NumPy array or a tensor, got {type(inpt).__name__}")


def to_dtype(inpt: Any, dtype: Any = None, scale: bool = False):
    """Cast an image tensor to ``dtype``; with ``scale``, rescale values too (uint8 255 <-> float 1.0)."""
    if dtype is None:
        dtype = ember.float32
    if scale:
        return convert_image_dtype(inpt, dtype)
    target = _np_dtype(dtype)
    if _is_tensor(inpt):
        return _wrap_tensor(inpt._data.astype(target, copy=False))
    if isinstance(inpt, np.ndarray):
        return inpt.astype(target, copy=False)
    raise TypeError(f"to_dtype: expected a tensor, got {type(inpt).__name__}")
