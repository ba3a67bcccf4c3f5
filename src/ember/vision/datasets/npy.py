"""``NpyDataset``: a pair of ``.npy`` files, samples and labels."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from ember.vision.datasets.vision import VisionDataset


class NpyDataset(VisionDataset):
    """Samples from ``X.npy`` and labels from ``Y.npy`` (integer labels, or one-hot rows).

    Items are ``(x, label)`` where ``x`` is the NumPy array ``X[i]`` (use ``ToTensor``
    for ``H x W`` / ``H x W x C`` uint8 images, or ``ember.from_numpy`` for feature
    vectors) and ``label`` a Python int. One-hot (or score) rows ``(N, K)`` become
    ``argmax`` labels.

    Args:
        x_path: ``.npy`` file of samples, first axis = samples.
        y_path: ``.npy`` file of labels: ``(N,)`` integers, ``(N, 1)``, or ``(N, K)`` one-hot.

    Attributes:
        data: the samples array; targets: int64 ``(N,)``; classes: ``'0'..'K-1'``.
    """

    def __init__(
        self,
        x_path: str | os.PathLike,
        y_path: str | os.PathLike,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ) -> None:
        super().__init__(os.path.dirname(os.fspath(x_path)) or ".", transform=transform, target_transform=target_transform)
        self.x_path, self.y_path = os.fspath(x_path), os.fspath(y_path)
        data = np.load(self.x_path, allow_pickle=False)
        labels = np.load(self.y_path, allow_pickle=False)
        if data.ndim == 0:
            raise ValueError(f"{self.x_path}: expected an array with one sample per row, got a scalar")
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        if labels.ndim == 2:
            n_classes = labels.shape[1]
            labels = labels.argmax(axis=1)
        elif labels.ndim == 1:
            if labels.dtype.kind not in "iub" and not np.all(labels == np.round(labels)):
                raise ValueError(f"{self.y_path}: expected integer labels, got non-integer values of dtype {labels.dtype}")
            if labels.size and labels.min() < 0:
                raise ValueError(f"{self.y_path}: expected non-negative labels, got minimum {labels.min()}")
            n_classes = int(labels.max()) + 1 if labels.size else 0
        else:
            raise ValueError(f"{self.y_path}: expected labels of shape (N,) or one-hot (N, K), got shape {labels.shape}")
        if len(labels) != len(data):
            raise ValueError(f"{len(data)} samples in {self.x_path} but {len(labels)} labels in {self.y_path}")
        self.data = data
        self.targets = labels.astype(np.int64)
        self.classes = [str(i) for i in range(n_classes)]

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(X[index], label)`` with ``transform`` / ``target_transform`` applied."""
        return self._apply_transforms(self.data[index], int(self.targets[index]))

    def extra_repr(self) -> str:
        return f"Files: {self.x_path}, {self.y_path}\nSample shape: {self.data.shape[1:]}"
