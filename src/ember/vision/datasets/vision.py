"""``VisionDataset``: the base class of ember's image datasets, and the image hand-off helper."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

try:
    from ember.utils.data import Dataset as _DatasetBase
except ImportError:  # the data utilities are not present (partial checkout): plain objects still work
    _DatasetBase = object


_PIL_IMAGE: Any = None


def _pil_image_module():
    """``PIL.Image`` if Pillow is installed, else ``None`` (checked once)."""
    global _PIL_IMAGE
    if _PIL_IMAGE is None:
        try:
            from PIL import Image
        except ImportError:
            _PIL_IMAGE = False
        else:
            _PIL_IMAGE = Image
    return _PIL_IMAGE or None


def to_image(arr: np.ndarray) -> Any:
    """A PIL image of a uint8 ``H x W`` (or ``H x W x 3|4``) array if Pillow is installed, else the array.

    This is what the MNIST-style datasets hand to their ``transform``: a PIL ``L`` image
    like torchvision when Pillow is there, so PIL-only transforms work; a uint8 NumPy
    array otherwise (``ToTensor`` accepts both and gives the same tensor).
    """
    Image = _pil_image_module()
    if Image is None or arr.dtype != np.uint8 or not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4))):
        return arr
    return Image.fromarray(np.ascontiguousarray(arr))


def as_array(x: Any) -> np.ndarray:
    """The NumPy array behind a tensor (shared, no copy), or ``x`` as an array.

    Datasets index ``.data`` through this, so a user who replaces ``.data`` with a subset
    (tensor or array, as torchvision scripts do) keeps a working dataset.
    """
    data = getattr(x, "_data", None)
    return data if isinstance(data, np.ndarray) else np.asarray(x)


def _apply(transform: Callable | None, target_transform: Callable | None, input: Any, target: Any) -> tuple[Any, Any]:
    """``(transform(input), target_transform(target))``, a missing transform leaving its value as it is."""
    if transform is not None:
        input = transform(input)
    if target_transform is not None:
        target = target_transform(target)
    return input, target


class StandardTransform:
    """``(transform(input), target_transform(target))``: the joint transform built from the two separate ones."""

    def __init__(self, transform: Callable | None = None, target_transform: Callable | None = None) -> None:
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input: Any, target: Any) -> tuple[Any, Any]:
        return _apply(self.transform, self.target_transform, input, target)

    def __repr__(self) -> str:
        parts = [f"Transform: {self.transform!r}"] if self.transform is not None else []
        parts += [f"Target transform: {self.target_transform!r}"] if self.target_transform is not None else []
        return "\n".join([type(self).__name__] + parts)


class VisionDataset(_DatasetBase):
    """Base class, with torchvision's signature: ``root``, a joint ``transforms(input, target)``, or the separate
    ``transform`` / ``target_transform`` (which are also combined into ``self.transforms``).
    """

    _repr_indent = 4

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        transforms: Callable | None = None,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ) -> None:
        self.root = None if root is None else os.path.expanduser(os.fspath(root))
        has_separate = transform is not None or target_transform is not None
        if transforms is not None and has_separate:
            raise ValueError("Only transforms or transform/target_transform can be passed as argument")
        self.transform = transform
        self.target_transform = target_transform
        self.transforms = StandardTransform(transform, target_transform) if has_separate else transforms

    def _apply_transforms(self, img: Any, target: Any) -> tuple[Any, Any]:
        return _apply(self.transform, self.target_transform, img, target)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    @property
    def class_to_idx(self) -> dict[str, int]:
        """Class name -> label index (derived from ``classes`` unless set explicitly)."""
        explicit = self.__dict__.get("_class_to_idx")
        if explicit is not None:
            return explicit
        return {name: i for i, name in enumerate(getattr(self, "classes", []))}

    @class_to_idx.setter
    def class_to_idx(self, value: dict[str, int]) -> None:
        self._class_to_idx = value

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"Root location: {self.root}")
        lines += [line for line in self.extra_repr().splitlines() if line]
        if self.transform is not None:
            lines.append(f"Transform: {self.transform!r}")
        if self.target_transform is not None:
            lines.append(f"Target transform: {self.target_transform!r}")
        pad = " " * self._repr_indent
        return "\n".join([f"Dataset {type(self).__name__}"] + [pad + line for line in lines])


class ImageArrays(VisionDataset):
    """A ``VisionDataset`` held in memory: ``data[i]`` an image array (given out as a PIL image, or as the uint8
    array without Pillow) and ``targets[i]`` its class index."""

    data: np.ndarray
    targets: Any

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(image, label)`` with ``transform`` / ``target_transform`` applied."""
        return self._apply_transforms(to_image(self.data[index]), int(self.targets[index]))
