"""``CSVImageDataset``: one image per row of a CSV file, a label column plus the pixels."""

from __future__ import annotations

import gzip
import math
import os
from collections.abc import Callable, Sequence

import numpy as np

from ember.vision.datasets.vision import ImageArrays


def _looks_like_header(first_line: str) -> bool:
    for field in first_line.strip().split(","):
        try:
            float(field)
        except ValueError:
            return True
    return False


def read_label_pixel_csv(
    path: str | os.PathLike, label_column: int = 0, has_header: bool | str = "auto"
) -> tuple[np.ndarray, np.ndarray]:
    """Read a numeric CSV into ``(labels int64 (N,), pixels (N, D))``.

    Pixels come back as uint8 when every value is an integer in 0..255 (the usual case),
    else float32. ``has_header='auto'`` skips the first line when it is not all numbers.
    """
    name = os.fspath(path)
    if has_header == "auto":
        opener = gzip.open if name.endswith(".gz") else open
        with opener(name, "rt") as f:
            has_header = _looks_like_header(f.readline())
    elif not isinstance(has_header, bool):
        raise ValueError(f"has_header: expected True, False or 'auto', got {has_header!r}")
    try:
        table = np.loadtxt(name, delimiter=",", skiprows=int(has_header), dtype=np.float32, ndmin=2)
    except ValueError as exc:
        raise ValueError(f"{name}: expected a numeric CSV (label and pixel values){' after one header line' if has_header else ''}: {exc}") from exc
    if table.shape[0] == 0:
        raise ValueError(f"{name}: no data rows")
    n_cols = table.shape[1]
    if not -n_cols <= label_column < n_cols:
        raise ValueError(f"{name}: label_column {label_column} is out of range for {n_cols} columns")
    label_column %= n_cols
    labels = table[:, label_column]
    if not np.all(labels == np.round(labels)) or labels.min() < 0:
        raise ValueError(f"{name}: expected non-negative integer labels in column {label_column}")
    pixels = np.delete(table, label_column, axis=1)
    if np.all(pixels == np.round(pixels)) and pixels.min() >= 0 and pixels.max() <= 255:
        pixels = pixels.astype(np.uint8)
    return labels.astype(np.int64), pixels


class CSVImageDataset(ImageArrays):
    """Images stored one per CSV row: a label column and ``prod(image_shape)`` pixel columns.

    The common MNIST CSV layout (``label,1x1,1x2,...,28x28``) is the default.
    Items are ``(image, label)``: a PIL image when pixels are uint8 and Pillow is
    installed, else the NumPy array of shape ``image_shape``.

    Args:
        csv_path: the CSV file (``.csv`` or ``.csv.gz``).
        image_shape: ``(H, W)`` or ``(H, W, C)`` each row's pixels are reshaped to.
        label_column: index of the label column (negative counts from the end).
        has_header: ``True``, ``False`` or ``'auto'`` (skip a first line that is not numeric).

    Attributes:
        data: pixels, ``(N, *image_shape)``; targets: int64 labels ``(N,)``;
        classes: ``['0', '1', ...]`` up to the largest label.
    """

    def __init__(
        self,
        csv_path: str | os.PathLike,
        image_shape: Sequence[int] = (28, 28),
        label_column: int = 0,
        has_header: bool | str = "auto",
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ) -> None:
        super().__init__(os.path.dirname(os.fspath(csv_path)) or ".", transform=transform, target_transform=target_transform)
        self.csv_path = os.fspath(csv_path)
        labels, pixels = read_label_pixel_csv(self.csv_path, label_column, has_header)
        shape = tuple(int(s) for s in image_shape)
        if pixels.shape[1] != math.prod(shape):
            raise ValueError(
                f"{self.csv_path}: expected {math.prod(shape)} pixel columns for image_shape {shape}, "
                f"got {pixels.shape[1]} (plus the label column)"
            )
        self.data = pixels.reshape((len(pixels),) + shape)
        self.targets = labels
        self.classes = [str(i) for i in range(int(labels.max()) + 1)]

    def extra_repr(self) -> str:
        return f"File: {self.csv_path}\nImage shape: {self.data.shape[1:]}"
