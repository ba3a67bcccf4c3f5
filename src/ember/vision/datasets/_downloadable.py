"""``DownloadableSplit``: the constructor torchvision's CIFAR and MNIST datasets share."""

from __future__ import annotations

import os
from collections.abc import Callable

from ember.vision.datasets.download import default_root
from ember.vision.datasets.vision import VisionDataset


class DownloadableSplit(VisionDataset):
    """A dataset with a train and a test split kept as files under ``root``, which it can fetch.

    torchvision's ``(root, train, transform, target_transform, download)``: ``root=None`` means
    ``default_root()``; ``download=True`` fetches the files when ``_check_exists()`` says they are
    missing; if they are still missing, ``FileNotFoundError`` with ``_missing_message()``. Then the
    subclass reads the split in ``_load_split()``.
    """

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
    ) -> None:
        super().__init__(default_root() if root is None else root, transform=transform, target_transform=target_transform)
        self.train = train
        if download and not self._check_exists():
            self.download()
        if not self._check_exists():
            raise FileNotFoundError(self._missing_message())
        self._load_split()

    def _check_exists(self) -> bool:
        raise NotImplementedError

    def _missing_message(self) -> str:
        raise NotImplementedError

    def _load_split(self) -> None:
        raise NotImplementedError

    def download(self) -> None:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"
