"""Datasets: the MNIST family, CIFAR-10/100, SVHN, FakeData, the shipped digits, image folders, arrays, CSV images and toy problems.

Every dataset is map-style (``len(ds)``, ``ds[i] -> (sample, target)``) and applies its
``transform`` / ``target_transform``. Array-backed ones expose ``.data``, ``.targets``
(int64) and ``.classes`` for fast bulk access. ``get_dataset(name)`` builds one by name.
"""

from ember.vision.datasets import utils
from ember.vision.datasets.cifar import CIFAR10, CIFAR100
from ember.vision.datasets.csv_images import CSVImageDataset
from ember.vision.datasets.digits import Digits, load_digits
from ember.vision.datasets.download import ChecksumError, DownloadError, default_root
from ember.vision.datasets.fakedata import FakeData
from ember.vision.datasets.folder import (
    IMG_EXTENSIONS,
    DatasetFolder,
    ImageFolder,
    default_loader,
    find_classes,
    has_file_allowed_extension,
    make_dataset,
    pil_loader,
)
from ember.vision.datasets.mnist import EMNIST, KMNIST, MNIST, FashionMNIST
from ember.vision.datasets.npy import NpyDataset
from ember.vision.datasets.registry import available, get_dataset
from ember.vision.datasets.svhn import SVHN
from ember.vision.datasets.toy import ToyDataset, make_blobs, make_circles, make_moons, spiral, toy_dataset, xor
from ember.vision.datasets.vision import VisionDataset

__all__ = [
    "CIFAR10",
    "CIFAR100",
    "FakeData",
    "SVHN",
    "CSVImageDataset",
    "ChecksumError",
    "DatasetFolder",
    "Digits",
    "DownloadError",
    "EMNIST",
    "FashionMNIST",
    "IMG_EXTENSIONS",
    "ImageFolder",
    "KMNIST",
    "MNIST",
    "NpyDataset",
    "ToyDataset",
    "VisionDataset",
    "available",
    "default_loader",
    "default_root",
    "find_classes",
    "get_dataset",
    "has_file_allowed_extension",
    "load_digits",
    "make_blobs",
    "make_circles",
    "make_dataset",
    "make_moons",
    "pil_loader",
    "spiral",
    "toy_dataset",
    "utils",
    "xor",
]
