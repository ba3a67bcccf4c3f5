"""How a functional transform takes each kind of image: a PIL image, an ember Tensor or a NumPy array.

Shared by `functional` and the kernels modules it exports from, so those never import `functional` back.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

import ember


def _pil_image_class():
    # A PIL image can only exist if PIL.Image has been imported, so never import it here.
    module = sys.modules.get("PIL.Image")
    return None if module is None else module.Image


def _is_pil_image(img: Any) -> bool:
    cls = _pil_image_class()
    return cls is not None and isinstance(img, cls)


def _is_tensor(img: Any) -> bool:
    ember = sys.modules.get("ember")
    tensor_cls = getattr(ember, "Tensor", None)
    return tensor_cls is not None and isinstance(img, tensor_cls)


def _require_pil(who: str):
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"{who} needs Pillow: install the extra with `pip install ember[image]`") from exc
    return Image


def _pil_kernels():
    from ember.vision.transforms import _pil

    return _pil


def _wrap_tensor(arr: np.ndarray):
    return ember.from_numpy(np.ascontiguousarray(arr))


def _dispatch(img: Any, who: str, on_array: Callable[[np.ndarray], np.ndarray], on_pil: Callable | None = None):
    """Run ``on_pil`` for PIL images, else ``on_array`` on the array behind ``img``."""
    if _is_pil_image(img):
        if on_pil is None:
            raise TypeError(f"{who}: expected an ember Tensor or a NumPy array, got a PIL image")
        return on_pil(img)
    if _is_tensor(img):
        return _wrap_tensor(on_array(img._data))
    if isinstance(img, np.ndarray):
        return np.ascontiguousarray(on_array(img))
    raise TypeError(f"{who}: expected a PIL image, an ember Tensor or a NumPy array, got {type(img).__name__}")


def _as_array(img: Any, who: str) -> np.ndarray:
    if _is_tensor(img):
        return img._data
    if isinstance(img, np.ndarray):
        return img
    raise TypeError(f"{who}: expected a PIL image, an ember Tensor or a NumPy array, got {type(img).__name__}")
