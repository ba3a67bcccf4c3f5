"""Datasets by name, for the command line: ``available()`` and ``get_dataset(name, ...)``."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from typing import Any

from ember.vision.datasets.digits import Digits
from ember.vision.datasets.image_tree import ImageTree, is_image_tree
from ember.vision.datasets.mnist import EMNIST, KMNIST, MNIST, FashionMNIST
from ember.vision.datasets.toy import TOY_PROBLEMS, toy_dataset


def _mnist_family(cls: type) -> Callable[..., Any]:
    def build(root, train, transform, download, **kwargs):
        return cls(root, train=train, transform=transform, download=download, **kwargs)

    return build


def _digits(root, train, transform, download, **kwargs):
    return Digits(root, train=train, transform=transform, **kwargs)  # shipped: nothing to download


def _toy(name: str) -> Callable[..., Any]:
    def build(root, train, transform, download, **kwargs):
        return toy_dataset(name, train=train, transform=transform, **kwargs)

    return build


_BUILDERS: dict[str, Callable[..., Any]] = {
    "digits": _digits,
    "mnist": _mnist_family(MNIST),
    "fashion-mnist": _mnist_family(FashionMNIST),
    "kmnist": _mnist_family(KMNIST),
    "emnist": _mnist_family(EMNIST),
    **{name: _toy(name) for name in TOY_PROBLEMS},
}
_ALIASES = {"fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist"}


def available() -> list[str]:
    """The dataset names ``get_dataset`` accepts."""
    return list(_BUILDERS)


def get_dataset(
    name: str,
    root: str | os.PathLike | None = None,
    train: bool = True,
    transform: Callable | None = None,
    download: bool = False,
    **kwargs: Any,
) -> Any:
    """Build a dataset by its lower-case name (see ``available()``).

    Args:
        name: e.g. ``digits``, ``mnist``, ``fashion-mnist``, ``moons``; or the path of a folder of
            class sub-folders of images (see ``ember.vision.datasets.image_tree``).
        root: data folder for datasets read from disk (default ``$EMBER_DATA`` or
            ``~/.cache/ember``); ignored by ``digits`` and the toy problems.
        train: the training split if True, else the test split.
        transform: applied to each sample.
        download: fetch missing files (MNIST family only).
        kwargs: passed on, e.g. ``split='letters'`` for ``emnist``, ``noise=0.3`` for
            ``moons``, ``n_train``/``n_test``/``seed`` for the toy problems.

    Raises:
        ValueError: unknown name; the message lists the valid names and the closest match.
    """
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in _BUILDERS and is_image_tree(name):  # a path: a folder of class sub-folders of images
        return ImageTree(name, train=train, transform=transform, **kwargs)
    if key not in _BUILDERS:
        close = difflib.get_close_matches(key, list(_BUILDERS) + list(_ALIASES), n=1)
        hint = f" Did you mean {_ALIASES.get(close[0], close[0])!r}?" if close else ""
        raise ValueError(f"unknown dataset {name!r}.{hint} Available: {', '.join(available())}")
    return _BUILDERS[key](root, train, transform, download, **kwargs)
