"""``Digits``: the 1,797 8x8 handwritten digits that ship inside ember (no download, no scikit-learn)."""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import resources

import numpy as np

from ember.vision.datasets.vision import ImageArrays


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The shipped arrays as stored: uint8 images ``(1797, 8, 8)`` with values 0..16, int64 labels ``(1797,)``.

    The same data as ``sklearn.datasets.load_digits()``; see ``ember/vision/_data/README.md``
    for provenance and licence (UCI, CC BY 4.0).
    """
    resource = resources.files("ember.vision").joinpath("_data", "digits.npz")
    with resource.open("rb") as f, np.load(f, allow_pickle=False) as archive:
        return archive["images"], archive["labels"]


def stratified_split(labels: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted train and test indices with ``round(test_fraction * n_c)`` test samples from every class ``c``."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(test_fraction * len(members)))
        test.append(members[:n_test])
        train.append(members[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


class Digits(ImageArrays):
    """scikit-learn's handwritten digits (UCI), 10 classes of 8x8 images, shipped with ember.

    The split is stratified and depends only on ``seed``: the same ``seed`` and
    ``test_fraction`` give disjoint train and test sets that together cover all 1,797 images.

    ``data`` holds the images rescaled from the stored 0..16 to 0..255 (uint8,
    ``round(v * 255 / 16)``, exactly invertible) so that ``ToTensor`` gives [0, 1] as for
    MNIST; ``load_digits()`` returns the original 0..16 values. Items are PIL ``L``
    images when Pillow is installed, else uint8 ``8 x 8`` arrays.

    Args:
        root: unused (the data ships inside ember); accepted so every dataset is
            built the same way.
        train: the training part if True, else the test part.
        test_fraction: share of each class held out for the test part, in (0, 1).
        seed: seed of the split.

    Attributes:
        data: uint8 ``(N, 8, 8)`` in 0..255; targets: int64 ``(N,)``; classes: ``'0'..'9'``.
    """

    classes = [str(i) for i in range(10)]

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        test_fraction: float = 0.25,
        seed: int = 0,
    ) -> None:
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"Digits: test_fraction must be in (0, 1), got {test_fraction}")
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        self.test_fraction = test_fraction
        self.seed = seed
        images, labels = load_digits()
        train_idx, test_idx = stratified_split(labels, test_fraction, seed)
        index = train_idx if train else test_idx
        self.indices = index
        self.data = np.rint(images[index].astype(np.float32) * (255.0 / 16.0)).astype(np.uint8)
        self.targets = labels[index].astype(np.int64)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'} (test_fraction={self.test_fraction}, seed={self.seed})"
