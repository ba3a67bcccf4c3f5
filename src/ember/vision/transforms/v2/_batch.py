"""``MixUp`` and ``CutMix``: batch transforms that blend images and their one-hot labels (applied after the DataLoader)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import ember
from ember.vision.transforms.transforms import _rng


class _BaseMixUpCutMix:
    def __init__(self, *, alpha: float = 1.0, num_classes: int | None = None, labels_getter: Any = "default") -> None:
        if alpha <= 0:
            raise ValueError("alpha should be positive.")
        if num_classes is not None and num_classes < 1:
            raise ValueError(f"num_classes should be a positive integer or None, got {num_classes}")
        if labels_getter != "default":
            raise NotImplementedError(f"{type(self).__name__}: only labels_getter='default' (the second input) is supported")
        self.alpha = float(alpha)
        self.num_classes = num_classes

    def _split(self, inputs: tuple[Any, ...]) -> tuple[Any, Any]:
        sample = inputs[0] if len(inputs) == 1 else inputs
        if not isinstance(sample, (tuple, list)) or len(sample) != 2:
            raise ValueError(f"{type(self).__name__}: expected (images, labels), got {type(sample).__name__}")
        return sample[0], sample[1]

    def __call__(self, *inputs: Any) -> tuple[Any, Any]:
        images, labels = self._split(inputs)
        if not isinstance(images, ember.Tensor) or images.dim() != 4:
            raise ValueError(f"{type(self).__name__}: expected a batch of images of shape (B, C, H, W), got {getattr(images, 'shape', type(images))}")
        lab = labels._data if isinstance(labels, ember.Tensor) else np.asarray(labels)
        if lab.ndim == 1:
            if self.num_classes is None:
                raise ValueError(f"{type(self).__name__}: pass num_classes to one-hot encode integer labels")
            if lab.shape[0] != images.shape[0]:
                raise ValueError(f"Expected labels to be of shape (batch_size,), got {tuple(lab.shape)} for batch size {images.shape[0]}")
            onehot = np.zeros((lab.shape[0], self.num_classes), dtype=images._data.dtype)
            onehot[np.arange(lab.shape[0]), lab.astype(np.int64)] = 1
        elif lab.ndim == 2:
            onehot = lab.astype(images._data.dtype)
        else:
            raise ValueError(f"Expected labels of shape (B,) or (B, num_classes), got {tuple(lab.shape)}")
        x = images._data
        lam = float(_rng().beta(self.alpha, self.alpha))
        out, lam = self._mix(x, lam)
        mixed_labels = np.roll(onehot, 1, axis=0) * (1.0 - lam) + onehot * lam
        return ember.from_numpy(np.ascontiguousarray(out)), ember.from_numpy(mixed_labels.astype(onehot.dtype))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alpha={self.alpha}, num_classes={self.num_classes})"


class MixUp(_BaseMixUpCutMix):
    """``lam * x + (1 - lam) * x.roll(1, 0)`` with ``lam ~ Beta(alpha, alpha)``; labels mixed the same way (Zhang et al., 2018)."""

    def _mix(self, x: np.ndarray, lam: float) -> tuple[np.ndarray, float]:
        rolled = np.roll(x, 1, axis=0)
        return (rolled * (1.0 - lam) + x * lam).astype(x.dtype), lam


class CutMix(_BaseMixUpCutMix):
    """Paste a random box from ``x.roll(1, 0)``; labels mixed by the box's area (Yun et al., 2019)."""

    def _mix(self, x: np.ndarray, lam: float) -> tuple[np.ndarray, float]:
        rng = _rng()
        H, W = x.shape[-2:]
        r_x, r_y = int(rng.integers(0, W)), int(rng.integers(0, H))
        r = 0.5 * math.sqrt(1.0 - lam)
        r_w_half, r_h_half = int(r * W), int(r * H)
        x1, y1 = max(r_x - r_w_half, 0), max(r_y - r_h_half, 0)
        x2, y2 = min(r_x + r_w_half, W), min(r_y + r_h_half, H)
        out = x.copy()
        out[..., y1:y2, x1:x2] = np.roll(x, 1, axis=0)[..., y1:y2, x1:x2]
        return out, 1.0 - (x2 - x1) * (y2 - y1) / (W * H)
