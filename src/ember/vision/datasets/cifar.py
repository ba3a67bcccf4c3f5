"""CIFAR-10 and CIFAR-100 from the python pickle batches, in torchvision's layout.

    root/cifar-10-batches-py/data_batch_1 ... data_batch_5, test_batch, batches.meta
    root/cifar-100-python/train, test, meta

Each batch is a pickled dict (``data``: uint8 ``N x 3072`` rows of R, G, B planes;
``labels`` or ``fine_labels``). They are read with an unpickler that only rebuilds NumPy
arrays and built-in containers, so a tampered file cannot run code. ``download=True``
fetches the tarball, checks its MD5 and unpacks it (every member checked to stay inside ``root``).
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile

import numpy as np

from ember.vision.datasets._safe_pickle import load_array_pickle
from ember.vision.datasets._downloadable import DownloadableSplit
from ember.vision.datasets.download import download_file, mirrors_from_env
from ember.vision.datasets.utils import extract_tar_members
from ember.vision.datasets.vision import ImageArrays


class CIFAR10(DownloadableSplit, ImageArrays):
    """`CIFAR-10 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: 50,000 train and 10,000 test 32x32 colour images.

    Args:
        root: folder holding ``cifar-10-batches-py`` (``None``: ``$EMBER_DATA`` or ``~/.cache/ember``).
        train: the five training batches if True, else ``test_batch``.
        transform: applied to each image (a PIL RGB image, or a uint8 ``32 x 32 x 3`` array without Pillow).
        target_transform: applied to each integer label.
        download: fetch and unpack the tarball into ``root`` if the batches are missing.

    Attributes:
        data: uint8 ndarray ``(N, 32, 32, 3)`` (HWC, as torchvision); targets: list of ints;
        classes: the label names from the meta file; class_to_idx: name -> label.
    """

    base_folder = "cifar-10-batches-py"
    mirrors: list[str] = ["https://www.cs.toronto.edu/~kriz/"]
    mirrors_env = "EMBER_CIFAR_MIRRORS"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names", "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def _missing_message(self) -> str:
        missing = [f for f in self._files() if not os.path.isfile(os.path.join(self._folder, f))]
        return (
            f"{type(self).__name__}: {', '.join(missing)} not found in {self._folder} "
            f"(the python version of the dataset); pass download=True to fetch {self.filename} into {self.root}"
        )

    def _load_split(self) -> None:
        batches = self.train_list if self.train else self.test_list
        data, targets = [], []
        for name, _ in batches:
            path = os.path.join(self._folder, name)
            entry = load_array_pickle(path)
            if not isinstance(entry, dict) or "data" not in entry:
                raise ValueError(f"{path}: expected a pickled dict with a 'data' array, got {type(entry).__name__}")
            rows = np.asarray(entry["data"], dtype=np.uint8)
            labels = entry["labels"] if "labels" in entry else entry["fine_labels"]
            if rows.ndim != 2 or rows.shape[1] != 3 * 32 * 32 or len(labels) != len(rows):
                raise ValueError(f"{path}: expected N x 3072 pixel rows and N labels, got {rows.shape} and {len(labels)}")
            data.append(rows)
            targets.extend(int(t) for t in labels)
        # rows are three 32x32 planes (R, G, B): to N x H x W x C like torchvision's .data
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
        self.targets = targets
        meta = load_array_pickle(os.path.join(self._folder, self.meta["filename"]))
        self.classes = [c.decode() if isinstance(c, bytes) else str(c) for c in meta[self.meta["key"]]]
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    @property
    def _folder(self) -> str:
        return os.path.join(self.root, self.base_folder)

    def _files(self) -> list[str]:
        return [n for n, _ in self.train_list + self.test_list] + [self.meta["filename"]]

    def _check_exists(self) -> bool:
        # Presence only: the MD5 of the tarball is checked when ember downloads it, and small
        # home-made batches in the same format should load too.
        return all(os.path.isfile(os.path.join(self._folder, f)) for f in self._files())

    def download(self) -> None:
        """Fetch the tarball (MD5-checked) into ``root`` and unpack it; an existing complete copy is kept."""
        if self._check_exists():
            return
        archive = download_file(
            self.filename, mirrors_from_env(self.mirrors_env, type(self).mirrors), self.root, md5=self.tgz_md5
        )
        extract_tar(archive, self.root, self.base_folder)


class CIFAR100(CIFAR10):
    """`CIFAR-100 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: 100 classes (``fine_labels``); same interface as ``CIFAR10``."""

    base_folder = "cifar-100-python"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names", "md5": "7973b15100ade9c7d40fb424638fde48"}


def extract_tar(archive: str, root: str, folder: str) -> None:
    """Unpack ``folder/...`` from ``archive`` into ``root``: into a temporary folder first, then renamed into place.

    Members outside ``folder``, links and special files are refused, so an archive cannot write
    elsewhere on disk; a failed extraction leaves nothing behind.
    """
    tmp = tempfile.mkdtemp(prefix=f".{folder}.", dir=root)
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            for m in members:  # all checked before anything is written
                parts = m.name.replace("\\", "/").split("/")
                if m.name.startswith("/") or ".." in parts or parts[0] != folder:
                    raise ValueError(f"{archive}: refusing to extract {m.name!r} (outside {folder}/)")
            extract_tar_members(tar, members, tmp, archive)
        final = os.path.join(root, folder)
        if os.path.isdir(final):
            shutil.rmtree(final)  # an incomplete copy: _check_exists() said it was not usable
        os.replace(os.path.join(tmp, folder), final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
