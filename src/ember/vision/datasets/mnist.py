"""MNIST, Fashion-MNIST, Kuzushiji-MNIST and EMNIST: 28x28 grayscale images with integer labels.

Each dataset reads whatever copy it finds under ``root`` (searched in this order:
``root/<ClassName>/raw``, ``root/<ClassName>``, ``root/<lower-case name>``, ``root``):

- the IDX files as distributed (``train-images-idx3-ubyte`` etc., gzipped or not);
- a Keras-style ``mnist.npz`` holding ``x_train, y_train, x_test, y_test``;
- the common CSV layout (``mnist_train.csv`` / ``mnist_test.csv``: the label, then 784
  pixel values per row, with or without a header line).

``download=True`` fetches the IDX files into ``root/<ClassName>/raw``: mirrors are
tried in turn (the class attribute ``mirrors``, or the environment variable named by
``mirrors_env``, e.g. ``EMBER_MNIST_MIRRORS="https://a/,https://b/"``), every file's MD5
is checked, and files are written atomically.

Items are ``(image, label)``: a PIL ``L`` image when Pillow is installed (like
torchvision), else a uint8 ``28 x 28`` NumPy array. As in torchvision, ``.data`` (uint8
``N x 28 x 28``) and ``.targets`` (int64 ``N``) are tensors holding everything at once.
"""

from __future__ import annotations

import os
import string
import warnings
import zipfile
from collections.abc import Callable
from typing import Any

import numpy as np

import ember
from ember.vision.datasets._idx import read_idx
from ember.vision.datasets.csv_images import read_label_pixel_csv
from ember.vision.datasets._downloadable import DownloadableSplit
from ember.vision.datasets.download import download_file, mirrors_from_env
from ember.vision.datasets.vision import as_array, to_image

# Public, editable mirror lists (base URLs); the *_MIRRORS environment variables override them.
MNIST_MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]
FASHION_MNIST_MIRRORS = [
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
]
KMNIST_MIRRORS = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
EMNIST_MIRRORS = [
    "https://biometrics.nist.gov/cs_links/EMNIST/",
    "https://www.itl.nist.gov/iaui/vip/cs_links/EMNIST/",
]


# The four IDX files as distributed (train images, train labels, test images, test labels): torchvision's
# `resources` order. The MNIST-like datasets differ only in the MD5s.
_IDX_FILES = (
    "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"
)


def _idx_resources(*md5s: str) -> list[tuple[str, str]]:
    """torchvision's ``resources`` list: ``(file name, MD5)`` of each of the four IDX files."""
    return list(zip(_IDX_FILES, md5s, strict=True))


def _renamed(old: str, new: str) -> property:
    """torchvision's deprecated attribute ``old``: reads ``new`` with a warning."""

    def get(self):
        warnings.warn(f"{old} has been renamed {new}", UserWarning, stacklevel=2)
        return getattr(self, new)

    return property(get, doc=f"Deprecated: ``{new}``.")

class MNIST(DownloadableSplit):
    """`MNIST <http://yann.lecun.com/exdb/mnist/>`_ handwritten digits: 60,000 train and 10,000 test images.

    Args:
        root: folder holding the data (see the module docstring for where files are
            looked for); ``None`` means ``$EMBER_DATA`` or ``~/.cache/ember``.
        train: the training split if True, else the test split.
        transform: applied to each image (a PIL image, or a uint8 array without Pillow).
        target_transform: applied to each integer label.
        download: fetch the files into ``root/<ClassName>/raw`` if they are not found.

    Attributes:
        data: uint8 tensor ``(N, 28, 28)``; targets: int64 tensor ``(N,)`` (torchvision's types);
        classes: the label names; class_to_idx: name -> label.
    """

    mirrors: list[str] = MNIST_MIRRORS
    mirrors_env = "EMBER_MNIST_MIRRORS"
    resources = _idx_resources(
        "f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",  # train images, labels
        "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c",  # test images, labels
    )  # fmt: skip
    classes = [
        "0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
        "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine",
    ]  # fmt: skip
    folder_names = ("mnist",)  # extra lower-case folder names searched under root
    npz_names = ("mnist.npz",)
    csv_prefixes = ("mnist",)  # <prefix>_train.csv / <prefix>_test.csv

    def _load_split(self) -> None:
        source = self._find()
        self.source = source[1]
        data, targets = self._load(*source)
        data, targets = self._validated(data, targets, source[1])
        self.data, self.targets = ember.from_numpy(data), ember.from_numpy(targets)

    # ------------------------------------------------------------------ locating files

    @property
    def raw_folder(self) -> str:
        """Where ``download=True`` puts the files: ``root/<ClassName>/raw``."""
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def _split(self) -> str:
        return "train" if self.train else "test"

    def _search_dirs(self) -> list[str]:
        # Class-specific folders come first: the IDX file names are the same for MNIST
        # and Fashion-MNIST, so a bare `root` is only the last resort.
        name = type(self).__name__
        dirs = [self.raw_folder, os.path.join(self.root, name), os.path.join(self.root, name.lower())]
        dirs += [os.path.join(self.root, n) for n in self.folder_names] + [self.root]
        return list(dict.fromkeys(dirs))

    def _idx_names(self) -> tuple[str, str]:
        prefix = "train" if self.train else "t10k"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"

    def _csv_names(self) -> list[str]:
        return [f"{p}_{self._split}.csv" for p in self.csv_prefixes]

    def _find(self) -> tuple[str, Any] | None:
        """``(kind, where)`` of the first copy found, or None."""
        images, labels = self._idx_names()
        for d in self._search_dirs():
            pair = [_first_file(d, (n, n + ".gz")) for n in (images, labels)]
            if all(pair):
                return "idx", tuple(pair)
            for n in self.npz_names:
                if os.path.isfile(os.path.join(d, n)):
                    return "npz", os.path.join(d, n)
            for n in self._csv_names():
                found = _first_file(d, (n, n + ".gz"))
                if found:
                    return "csv", found
        return None

    def _check_exists(self) -> bool:
        return self._find() is not None

    def _missing_message(self) -> str:
        images, labels = self._idx_names()
        formats = [f"{images}[.gz] and {labels}[.gz] (IDX, as distributed)"]
        formats += [f"{n} (Keras layout: x_train, y_train, x_test, y_test)" for n in self.npz_names]
        formats += [f"{n} (CSV: the label then 784 pixel values per row)" for n in self._csv_names()]
        where = "\n  ".join(self._search_dirs())
        what = "\n  ".join(formats)
        return (
            f"{type(self).__name__} ({self._split} split) not found. Looked in:\n  {where}\n"
            f"for any of:\n  {what}\n"
            f"Put the files in one of those folders, or pass download=True to fetch them into {self.raw_folder}."
        )

    # ------------------------------------------------------------------ loading

    def _load(self, kind: str, where: Any) -> tuple[np.ndarray, np.ndarray]:
        if kind == "idx":
            return read_idx(where[0]), read_idx(where[1])
        if kind == "npz":
            with np.load(where, allow_pickle=False) as archive:
                keys = (f"x_{self._split}", f"y_{self._split}")
                missing = [k for k in keys if k not in archive.files]
                if missing:
                    raise KeyError(f"{where}: expected arrays {', '.join(keys)}, found {', '.join(archive.files) or 'none'}")
                return archive[keys[0]], archive[keys[1]]
        labels, pixels = read_label_pixel_csv(where)
        if pixels.shape[1] != 28 * 28:
            raise ValueError(f"{where}: expected 784 pixel columns after the label, got {pixels.shape[1]}")
        return pixels.reshape(-1, 28, 28), labels

    @staticmethod
    def _validated(data: np.ndarray, targets: np.ndarray, where: Any) -> tuple[np.ndarray, np.ndarray]:
        if data.ndim != 3:
            raise ValueError(f"{where}: expected images of shape (N, H, W), got shape {data.shape}")
        if data.dtype != np.uint8:
            if data.size and (data.min() < 0 or data.max() > 255 or not np.all(data == np.round(data))):
                raise ValueError(f"{where}: expected uint8 pixel values 0..255, got dtype {data.dtype}")
            data = data.astype(np.uint8)
        targets = np.asarray(targets).reshape(-1)
        if len(targets) != len(data):
            raise ValueError(f"{where}: {len(data)} images but {len(targets)} labels")
        return data, targets.astype(np.int64)

    # ------------------------------------------------------------------ downloading

    def _mirrors(self) -> list[str]:
        return mirrors_from_env(self.mirrors_env, type(self).mirrors)

    def download(self) -> None:
        """Fetch every resource file into ``raw_folder`` (files already there and valid are kept)."""
        mirrors = self._mirrors()
        for filename, md5 in self.resources:
            download_file(filename, mirrors, self.raw_folder, md5=md5)

    # ------------------------------------------------------------------ torchvision's deprecated names

    train_labels = _renamed("train_labels", "targets")
    test_labels = _renamed("test_labels", "targets")
    train_data = _renamed("train_data", "data")
    test_data = _renamed("test_data", "data")

    # ------------------------------------------------------------------ Dataset protocol

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(image, label)`` with ``transform`` / ``target_transform`` applied."""
        return self._apply_transforms(to_image(as_array(self.data)[index]), int(as_array(self.targets)[index]))


def _first_file(directory: str, names: tuple[str, ...]) -> str | None:
    for n in names:
        path = os.path.join(directory, n)
        if os.path.isfile(path):
            return path
    return None


class FashionMNIST(MNIST):
    """`Fashion-MNIST <https://github.com/zalandoresearch/fashion-mnist>`_: Zalando article images, 10 classes.

    Same arguments and attributes as ``MNIST``; CSV copies are ``fashion-mnist_train.csv``
    / ``fashion-mnist_test.csv`` (Kaggle's names) and the folder may also be called
    ``fashion-mnist`` or ``fashion_mnist``.
    """

    mirrors: list[str] = FASHION_MNIST_MIRRORS
    mirrors_env = "EMBER_FASHION_MNIST_MIRRORS"
    resources = _idx_resources(
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",  # train images, labels
        "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310",  # test images, labels
    )  # fmt: skip
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    folder_names = ("fashion-mnist", "fashion_mnist")
    npz_names = ("fashion-mnist.npz", "fashion_mnist.npz")
    csv_prefixes = ("fashion-mnist", "fashion_mnist")


class KMNIST(MNIST):
    """`Kuzushiji-MNIST <https://github.com/rois-codh/kmnist>`_: cursive Japanese (hiragana), 10 classes.

    Same arguments and attributes as ``MNIST``. Also reads the project's own npz pair
    (``kmnist-train-imgs.npz`` + ``kmnist-train-labels.npz``).
    """

    mirrors: list[str] = KMNIST_MIRRORS
    mirrors_env = "EMBER_KMNIST_MIRRORS"
    resources = _idx_resources(
        "bdb82020997e1d708af4cf47b453dcf7", "e144d726b3acfaa3e44228e80efcd344",  # train images, labels
        "5c965bf0a639b31b8f53240b1b52f4d7", "7320c461ea6c1c855c0b718fb2a4b134",  # test images, labels
    )  # fmt: skip
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
    folder_names = ("kmnist",)
    npz_names = ("kmnist.npz",)
    csv_prefixes = ("kmnist",)

    def _find(self) -> tuple[str, Any] | None:
        found = super()._find()
        if found is not None:
            return found
        pair = (f"kmnist-{self._split}-imgs.npz", f"kmnist-{self._split}-labels.npz")
        for d in self._search_dirs():
            if all(os.path.isfile(os.path.join(d, n)) for n in pair):
                return "npz-pair", tuple(os.path.join(d, n) for n in pair)
        return None

    def _load(self, kind: str, where: Any) -> tuple[np.ndarray, np.ndarray]:
        if kind == "npz-pair":
            arrays = []
            for path in where:
                with np.load(path, allow_pickle=False) as archive:
                    arrays.append(archive["arr_0"])
            return arrays[0], arrays[1]
        return super()._load(kind, where)


class EMNIST(MNIST):
    """`EMNIST <https://www.nist.gov/itl/products-and-services/emnist-dataset>`_: NIST letters and digits.

    Args:
        root, train, transform, target_transform, download: as for ``MNIST``.
        split: ``byclass``, ``bymerge``, ``balanced`` (default), ``letters``, ``digits``
            or ``mnist``.

    Files are ``emnist-<split>-<train|test>-<images-idx3|labels-idx1>-ubyte[.gz]`` or
    Kaggle's ``emnist-<split>-<train|test>.csv``. ``download=True`` fetches NIST's
    single 562 MB ``gzip.zip`` (all splits) and unpacks it into ``raw_folder``.
    Images are kept exactly as stored, which is transposed relative to MNIST (as in
    torchvision); ``ds.data.transpose(0, 2, 1)`` rights them in bulk, and
    ``Lambda(lambda im: im.transpose(Image.Transpose.TRANSPOSE))`` per PIL image.
    """

    mirrors: list[str] = EMNIST_MIRRORS
    mirrors_env = "EMBER_EMNIST_MIRRORS"
    resources = [("gzip.zip", "58c8d27c78d21e728a6bc7b3cc06412e")]
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    # Letters whose upper- and lower-case forms look alike are merged in these splits.
    _merged_classes = set("cijklmopsuvwxyz")
    _all_classes = set(string.digits + string.ascii_letters)
    classes_split_dict = {
        "byclass": sorted(_all_classes),
        "bymerge": sorted(_all_classes - _merged_classes),
        "balanced": sorted(_all_classes - _merged_classes),
        "letters": ["N/A"] + list(string.ascii_lowercase),
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }
    folder_names = ("emnist",)
    npz_names = ()

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        split: str = "balanced",
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
    ) -> None:
        if split not in self.splits:
            raise ValueError(f"EMNIST: split must be one of {', '.join(self.splits)}, got {split!r}")
        self.split = split
        self.classes = self.classes_split_dict[split]
        super().__init__(root, train, transform, target_transform, download)

    def _idx_names(self) -> tuple[str, str]:
        prefix = f"emnist-{self.split}-{self._split}"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"

    def _csv_names(self) -> list[str]:
        return [f"emnist-{self.split}-{self._split}.csv"]

    def download(self) -> None:
        """Fetch ``gzip.zip`` and unpack its ``.gz`` members into ``raw_folder`` (then delete the zip)."""
        filename, md5 = self.resources[0]
        archive = download_file(filename, self._mirrors(), self.raw_folder, md5=md5)
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                base = os.path.basename(member)
                if not base.endswith(".gz"):
                    continue
                target = os.path.join(self.raw_folder, base)
                tmp = target + ".part"
                with zf.open(member) as src, open(tmp, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
                os.replace(tmp, target)
        os.remove(archive)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'} ({self.split})"
