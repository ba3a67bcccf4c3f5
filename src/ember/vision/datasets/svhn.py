"""SVHN (Street View House Numbers, cropped digits) from the ``.mat`` files, in torchvision's layout.

    root/train_32x32.mat, test_32x32.mat, extra_32x32.mat

Reading ``.mat`` files needs SciPy (``pip install scipy``), as in torchvision.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from ember.vision.datasets.download import default_root, download_file, mirrors_from_env
from ember.vision.datasets.vision import VisionDataset, to_image


class SVHN(VisionDataset):
    """`SVHN <http://ufldl.stanford.edu/housenumbers/>`_ digits, 32x32 colour; label 10 (the digit 0) becomes 0.

    Args:
        root: folder holding the ``.mat`` files (``None``: ``$EMBER_DATA`` or ``~/.cache/ember``).
        split: ``"train"``, ``"test"`` or ``"extra"``.
        transform, target_transform: applied to each image (PIL RGB image, or uint8 HWC array
            without Pillow) and label.
        download: fetch the split's file (MD5-checked) if it is missing.

    Attributes:
        data: uint8 ndarray ``(N, 3, 32, 32)`` (CHW, as torchvision); labels: int64 ndarray ``(N,)``.
    """

    mirrors: list[str] = ["http://ufldl.stanford.edu/housenumbers/"]
    mirrors_env = "EMBER_SVHN_MIRRORS"
    split_list = {
        "train": ["train_32x32.mat", "e26dedcc434d2e4c54c9b2d4a06d8373"],
        "test": ["test_32x32.mat", "eb5a983be6a315427106f1b164d9cef3"],
        "extra": ["extra_32x32.mat", "a93ce644f1a588dc4d68dda5feec44a7"],
    }

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        split: str = "train",
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
    ) -> None:
        super().__init__(default_root() if root is None else root, transform=transform, target_transform=target_transform)
        if split not in self.split_list:
            valid = ", ".join(repr(s) for s in self.split_list)
            raise ValueError(f'Unknown value {split!r} for argument split. Valid values are {{{valid}}}.')
        self.split = split
        self.filename, self.file_md5 = self.split_list[split]
        path = os.path.join(self.root, self.filename)
        if download and not os.path.isfile(path):
            self.download()
        if not os.path.isfile(path):
            raise FileNotFoundError(f"SVHN: {path} not found; pass download=True to fetch it")
        try:
            import scipy.io as sio
        except ImportError as exc:
            raise ImportError("SVHN reads .mat files with SciPy: install it with `pip install scipy`") from exc
        mat = sio.loadmat(path)
        data, labels = mat["X"], mat["y"].astype(np.int64).reshape(-1)
        np.place(labels, labels == 10, 0)  # the files label the digit 0 as 10
        self.data = np.ascontiguousarray(np.transpose(data, (3, 2, 0, 1)).astype(np.uint8, copy=False))  # H W C N -> N C H W
        self.labels = labels
        if len(self.data) != len(self.labels):
            raise ValueError(f"{path}: {len(self.data)} images but {len(self.labels)} labels")

    def download(self) -> None:
        """Fetch this split's ``.mat`` file into ``root``."""
        download_file(self.filename, mirrors_from_env(self.mirrors_env, type(self).mirrors), self.root, md5=self.file_md5)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(image, label)``: a PIL RGB image (uint8 HWC array without Pillow) and an int."""
        return self._apply_transforms(to_image(np.transpose(self.data[index], (1, 2, 0))), int(self.labels[index]))

    def extra_repr(self) -> str:
        return f"Split: {self.split}"
