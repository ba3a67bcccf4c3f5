"""The inference preprocessing torchvision attaches to its weights (``ResNet18_Weights.DEFAULT.transforms()``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ember.vision.transforms import functional as F
from ember.vision.transforms.functional import InterpolationMode


class ImageClassification:
    """Resize the short side to ``resize_size``, centre-crop ``crop_size``, scale to float in [0, 1], normalise.

    Accepts PIL images and uint8 or float ``(..., C, H, W)`` tensors, like torchvision's preset.
    """

    def __init__(
        self,
        *,
        crop_size: int,
        resize_size: int = 256,
        mean: Sequence[float] = (0.485, 0.456, 0.406),
        std: Sequence[float] = (0.229, 0.224, 0.225),
        interpolation: InterpolationMode = InterpolationMode.BILINEAR,
        antialias: bool | None = True,
    ) -> None:
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def __call__(self, img: Any):
        img = F.resize(img, self.resize_size, interpolation=self.interpolation, antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        if F._is_pil_image(img):
            img = F.pil_to_tensor(img)
        img = F.convert_image_dtype(img, np.float32)
        return F.normalize(img, mean=self.mean, std=self.std)

    def __repr__(self) -> str:
        return (
            f"ImageClassification(\n    crop_size={self.crop_size}\n    resize_size={self.resize_size}\n"
            f"    mean={self.mean}\n    std={self.std}\n    interpolation={self.interpolation}\n)"
        )
