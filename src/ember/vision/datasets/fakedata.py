"""``FakeData``: random images with random labels, the same ones every time for a given index."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import ember
from ember.vision.datasets.vision import VisionDataset, to_image


class FakeData(VisionDataset):
    """Random ``N(0, 1)`` images (returned as PIL images, like torchvision) and uniform labels.

    Item ``i`` is drawn from ember's generator seeded with ``i + random_offset``; the global
    generator state is saved and restored around the draw, so reading items neither depends
    on nor disturbs ``ember.manual_seed``. The values differ from torchvision's (another RNG).

    Args:
        size: number of items.
        image_size: ``(C, H, W)`` with C in 1, 3 or 4.
        num_classes: labels are drawn from ``0 .. num_classes - 1``.
        random_offset: shifts the per-item seeds, to get a different fixed set.
    """

    def __init__(
        self,
        size: int = 1000,
        image_size: Sequence[int] = (3, 224, 224),
        num_classes: int = 10,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        random_offset: int = 0,
    ) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        if len(image_size) != 3 or image_size[0] not in (1, 3, 4):
            raise ValueError(f"FakeData: expected image_size (C, H, W) with C in 1, 3, 4, got {tuple(image_size)}")
        self.size = size
        self.num_classes = num_classes
        self.image_size = tuple(image_size)
        self.random_offset = random_offset

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if index >= len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        state = ember.get_rng_state()
        try:
            ember.manual_seed(index + self.random_offset)
            img = ember.randn(*self.image_size).numpy()
            target = int(ember.randint(0, self.num_classes, (1,)).item())
        finally:
            ember.set_rng_state(state)
        # ToPILImage on a float image: scale by 255 to uint8, channels last
        pixels = np.clip(img * 255, 0, 255).astype(np.uint8).transpose(1, 2, 0)
        pixels = pixels[..., 0] if pixels.shape[2] == 1 else pixels
        return self._apply_transforms(to_image(pixels), target)

    def __len__(self) -> int:
        return self.size
