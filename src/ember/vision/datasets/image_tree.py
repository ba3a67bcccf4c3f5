"""A folder of images as a dataset for ``ember train --dataset PATH``: class sub-folders, loaded into arrays.

``PATH/train/<class>/...`` and ``PATH/test/<class>/...`` are used as given; a single
``PATH/<class>/...`` tree is split per class (a fixed 20% of each class, chosen by ``seed``, is
the test set). Every image is converted to greyscale (when all are) or RGB and resized to the most
common size in the tree, so the whole split is one ``uint8`` array, as the MNIST family's.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import numpy as np

from .folder import IMG_EXTENSIONS, find_classes, make_dataset

TEST_SHARE = 0.2


def is_image_tree(name: str | os.PathLike) -> bool:
    """Whether ``name`` names a directory (so ``--dataset`` means a folder of images, not a dataset name)."""
    return os.path.isdir(os.path.expanduser(os.fspath(name)))


class ImageTree:
    """One split of a class-folder tree as arrays: ``data`` (N, H, W[, 3]) uint8, ``targets`` (N,), ``classes``."""

    def __init__(self, root: str | os.PathLike, train: bool = True, seed: int = 0, transform: Any = None) -> None:
        try:
            from PIL import Image
        except ImportError:
            raise ImportError("training from a folder of images needs Pillow: pip install 'ember[image]'") from None
        root = os.path.expanduser(os.fspath(root))
        split_dir = os.path.join(root, "train" if train else "test")
        if os.path.isdir(os.path.join(root, "train")) and os.path.isdir(os.path.join(root, "test")):
            self.classes, class_to_idx = find_classes(os.path.join(root, "train"))
            samples = make_dataset(split_dir, class_to_idx, extensions=IMG_EXTENSIONS)
        else:
            self.classes, class_to_idx = find_classes(root)
            samples = _split(make_dataset(root, class_to_idx, extensions=IMG_EXTENSIONS), train, seed)
        if not samples:
            raise FileNotFoundError(f"no images found under {root!r} (expected class sub-folders of images)")
        images = []
        for path, _ in samples:
            with Image.open(path) as img:
                images.append(img.copy())
        gray = all(img.mode in ("1", "L", "LA", "I", "I;16", "F") for img in images)
        size = Counter(img.size for img in images).most_common(1)[0][0]
        mode = "L" if gray else "RGB"
        self.data = np.stack([np.asarray(img.convert(mode).resize(size, Image.BILINEAR) if img.size != size
                                         else img.convert(mode), dtype=np.uint8) for img in images])
        self.targets = np.asarray([t for _, t in samples], dtype=np.int64)
        self.class_to_idx = class_to_idx
        self.transform = transform

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i: int):
        x = self.data[i]
        return (self.transform(x) if self.transform is not None else x), int(self.targets[i])


def _split(samples: list[tuple[str, int]], train: bool, seed: int) -> list[tuple[str, int]]:
    """A fixed share of each class for testing (at least one image when a class has two or more)."""
    rng = np.random.default_rng(seed)
    by_class: dict[int, list[tuple[str, int]]] = {}
    for s in samples:
        by_class.setdefault(s[1], []).append(s)
    chosen = []
    for _, items in sorted(by_class.items()):
        order = rng.permutation(len(items))
        n_test = max(1, round(TEST_SHARE * len(items))) if len(items) > 1 else 0
        picked = order[:n_test] if not train else order[n_test:]
        chosen += [items[i] for i in sorted(picked)]
    return chosen
