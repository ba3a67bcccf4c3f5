"""The data of a training run: a registered dataset as float32 arrays, its validation split, its loaders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import ember
from ember.utils.data import DataLoader, TensorDataset
from ember.vision.datasets import get_dataset

from .errors import RunError, UsageError

__all__ = ["Data", "as_inputs", "background", "dataset_arrays", "load_data", "make_loader"]


@dataclass
class Data:
    """A dataset as float32 arrays: inputs ``(N, C, H, W)`` for images or ``(N, D)`` for features."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)


def as_inputs(data: np.ndarray, where: str) -> tuple[np.ndarray, float]:
    """Model inputs (float32) and the scale they were divided by (255 for uint8 images, else 1)."""
    a = np.asarray(data)
    if a.dtype == np.uint8:
        scale = 255.0
        x = a.astype(np.float32) / np.float32(scale)
        if x.ndim == 3:  # (N, H, W) greyscale
            x = x[:, None]
        elif x.ndim == 4 and x.shape[-1] in (1, 3, 4):  # (N, H, W, C)
            x = np.ascontiguousarray(np.moveaxis(x, -1, 1))
        return x, scale
    if a.dtype.kind in "fiu" and a.ndim >= 2:
        return a.astype(np.float32), 1.0
    raise RunError(f"{where}: cannot use data of dtype {a.dtype} and shape {a.shape} as model inputs")


def dataset_arrays(name: str, config: Mapping[str, Any], train: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    root = config.get("data_dir") or None
    try:
        ds = get_dataset(name, root=root, train=train, download=bool(config.get("download", False)))
    except ValueError as e:
        if "unknown dataset" in str(e):
            raise UsageError(str(e)) from None
        raise RunError(f"dataset {name!r}: {e}") from None
    except FileNotFoundError as e:
        msg = str(e).replace("pass download=True", "pass --download (needs network access)")
        if "--download" not in msg:
            msg += "\nPoint --data-dir at the folder holding the files, or pass --download to fetch them."
        raise RunError(msg) from None
    except OSError as e:  # network errors from download=True
        raise RunError(f"dataset {name!r} could not be loaded: {e}") from None
    data, targets = getattr(ds, "data", None), getattr(ds, "targets", None)
    if data is None or targets is None:
        raise UsageError(f"dataset {name!r} does not expose .data and .targets arrays, which ember train needs")
    targets = np.asarray(targets).astype(np.int64)
    classes = [str(c) for c in getattr(ds, "classes", [])] or [str(i) for i in range(int(targets.max()) + 1)]
    return np.asarray(data), targets, classes


def load_data(config: Mapping[str, Any]) -> Data:
    """Train/validation/test arrays of the configured dataset; the validation split depends only on ``seed``."""
    name = config["dataset"]
    raw_train, y_train, classes = dataset_arrays(name, config, train=True)
    raw_test, y_test, _ = dataset_arrays(name, config, train=False)
    x_train, scale = as_inputs(raw_train, name)
    x_test, _ = as_inputs(raw_test, name)
    num_classes = max(len(classes), int(max(y_train.max(), y_test.max())) + 1)
    x_val = y_val = None
    n_val = int(round(config["val_split"] * len(x_train)))
    if n_val > 0:
        if n_val >= len(x_train):
            raise UsageError(f"--val-split {config['val_split']} leaves no training data ({len(x_train)} samples)")
        perm = np.random.default_rng(config["seed"]).permutation(len(x_train))
        val_idx, train_idx = np.sort(perm[:n_val]), np.sort(perm[n_val:])
        x_val, y_val = x_train[val_idx], y_train[val_idx]
        x_train, y_train = x_train[train_idx], y_train[train_idx]
    meta = {
        "dataset": name,
        "input_shape": list(x_train.shape[1:]),
        "num_classes": num_classes,
        "classes": classes[:num_classes] + [str(i) for i in range(len(classes), num_classes)],
        "scale": scale,
        "n_train": len(x_train),
        "n_val": 0 if x_val is None else len(x_val),
        "n_test": len(x_test),
    }
    if x_train.ndim == 4 and len(x_train):
        meta["background"] = background(x_train[: min(len(x_train), 500)])
    return Data(x_train, y_train, x_val, y_val, x_test, y_test, meta)


def background(images: np.ndarray) -> str:
    """'dark' or 'light': the typical border pixel of (N, C, H, W) images, against their value range."""
    border = np.concatenate([images[..., 0, :].ravel(), images[..., -1, :].ravel(),
                             images[..., :, 0].ravel(), images[..., :, -1].ravel()])
    lo, hi = float(images.min()), float(images.max())
    return "light" if hi > lo and np.median(border) > (lo + hi) / 2 else "dark"


def make_loader(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = False, seed: int | None = None):
    ds = TensorDataset(ember.from_numpy(x), ember.from_numpy(y))
    gen = ember.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(ds, batch_size=batch_size, shuffle=shuffle, generator=gen)


