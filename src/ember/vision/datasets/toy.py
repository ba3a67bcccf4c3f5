"""Two-dimensional toy classification problems for teaching.

Every generator returns NumPy arrays ``(X float32 (n, 2), y int64 (n,))``. Randomness
comes from ``seed``: an int (a fresh, reproducible stream), an ``ember.Generator`` or a
``numpy.random.Generator`` (drawn from, advancing it), or ``None`` (ember's default
generator, so ``ember.manual_seed`` applies).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ember._random import Generator as _EmberGenerator
from ember._random import _rng as _ember_rng
from ember.vision.datasets.vision import VisionDataset

Seed = Any  # an int, an ember.Generator, a numpy.random.Generator or None


def _generator(seed: Seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    if seed is None or isinstance(seed, _EmberGenerator):
        return _ember_rng(seed)
    raise TypeError(f"seed: expected an int, an ember.Generator, a numpy.random.Generator or None, got {type(seed).__name__}")


def _check_n(n_samples: int, who: str, minimum: int = 1) -> int:
    if not isinstance(n_samples, numbers.Integral) or n_samples < minimum:
        raise ValueError(f"{who}: expected n_samples to be an int >= {minimum}, got {n_samples!r}")
    return int(n_samples)


def _finish(X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator, shuffle: bool = True):
    if noise < 0:
        raise ValueError(f"expected noise >= 0, got {noise}")
    if shuffle:
        order = rng.permutation(len(X))
        X, y = X[order], y[order]
    if noise > 0:
        X = X + rng.normal(0.0, noise, size=X.shape)
    return X.astype(np.float32), y.astype(np.int64)


def make_moons(n_samples: int = 100, noise: float = 0.0, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's layout): class 0 on top, class 1 below, shifted right.

    Args:
        n_samples: total points; class 0 gets ``n // 2``, class 1 the rest.
        noise: standard deviation of Gaussian noise added to every coordinate.
    """
    n = _check_n(n_samples, "make_moons", 2)
    rng = _generator(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, math.pi, n_out)
    t_in = np.linspace(0, math.pi, n_in)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], axis=1)
    X = np.concatenate([outer, inner])
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    return _finish(X, y, noise, rng)


def make_circles(
    n_samples: int = 100, noise: float = 0.0, factor: float = 0.8, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """A unit circle (class 0) around a smaller one of radius ``factor`` (class 1).

    Args:
        n_samples: total points; the outer circle gets ``n // 2``.
        noise: standard deviation of Gaussian noise added to every coordinate.
        factor: inner radius relative to the outer one, in [0, 1).
    """
    n = _check_n(n_samples, "make_circles", 2)
    if not 0.0 <= factor < 1.0:
        raise ValueError(f"make_circles: factor must be in [0, 1), got {factor}")
    rng = _generator(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, 2 * math.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * math.pi, n_in, endpoint=False)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = factor * np.stack([np.cos(t_in), np.sin(t_in)], axis=1)
    X = np.concatenate([outer, inner])
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    return _finish(X, y, noise, rng)


def make_blobs(
    n_samples: int = 100,
    centers: int | Sequence[Sequence[float]] = 3,
    cluster_std: float | Sequence[float] = 1.0,
    seed: Seed = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clusters, one class per centre.

    Args:
        n_samples: total points, split as evenly as possible (earlier centres get the extras).
        centers: how many centres (drawn uniformly from the box [-10, 10]^2), or their coordinates.
        cluster_std: standard deviation, one for all clusters or one per cluster.
    """
    n = _check_n(n_samples, "make_blobs")
    rng = _generator(seed)
    if isinstance(centers, numbers.Integral):
        if centers < 1:
            raise ValueError(f"make_blobs: expected at least one centre, got {centers}")
        centre_xy = rng.uniform(-10.0, 10.0, size=(int(centers), 2))
    else:
        centre_xy = np.asarray(centers, dtype=np.float64)
        if centre_xy.ndim != 2 or centre_xy.shape[1] != 2 or len(centre_xy) == 0:
            raise ValueError(f"make_blobs: expected centres of shape (k, 2), got shape {centre_xy.shape}")
    k = len(centre_xy)
    stds = np.broadcast_to(np.asarray(cluster_std, dtype=np.float64), (k,)) if np.ndim(cluster_std) == 0 else np.asarray(cluster_std, dtype=np.float64)
    if stds.shape != (k,) or np.any(stds < 0):
        raise ValueError(f"make_blobs: expected one non-negative cluster_std or {k} of them, got {cluster_std!r}")
    counts = np.full(k, n // k)
    counts[: n % k] += 1
    X = np.concatenate([rng.normal(centre_xy[i], stds[i], size=(counts[i], 2)) for i in range(k)])
    y = np.repeat(np.arange(k), counts)
    return _finish(X, y, 0.0, rng)


def xor(n_samples: int = 200, noise: float = 0.0, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in [-1, 1]^2, labelled 1 where the two coordinates have different signs.

    No straight line separates the classes: the classic case for a hidden layer.
    Labels come from the clean points; ``noise`` then jitters the coordinates.
    """
    n = _check_n(n_samples, "xor")
    rng = _generator(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64)
    return _finish(X, y, noise, rng, shuffle=False)


def spiral(
    n_samples: int = 300, classes: int = 3, noise: float = 0.2, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the CS231n example).

    Arm ``k`` has radius ``r`` rising from 0 to 1 and angle ``4k + 4r`` plus Gaussian
    noise of standard deviation ``noise`` (in radians).
    """
    n = _check_n(n_samples, "spiral")
    if not isinstance(classes, numbers.Integral) or classes < 1:
        raise ValueError(f"spiral: expected classes to be an int >= 1, got {classes!r}")
    if noise < 0:
        raise ValueError(f"spiral: expected noise >= 0, got {noise}")
    rng = _generator(seed)
    counts = np.full(classes, n // classes)
    counts[: n % classes] += 1
    parts, labels = [], []
    for k, m in enumerate(counts):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), m) + rng.normal(0.0, noise, size=m)
        parts.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        labels.append(np.full(m, k))
    return _finish(np.concatenate(parts), np.concatenate(labels), 0.0, rng)


class ToyDataset(VisionDataset):
    """A map-style dataset over ``(X, y)`` arrays: items are ``(X[i] float32 array, int label)``.

    Args:
        X: ``(n, d)`` samples; y: ``(n,)`` integer labels.

    Attributes:
        data: float32 ``(n, d)``; targets: int64 ``(n,)``; classes: ``'0'..'k-1'``.
    """

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        X, y = np.asarray(X, dtype=np.float32), np.asarray(y)
        if len(X) != len(y):
            raise ValueError(f"ToyDataset: {len(X)} samples but {len(y)} labels")
        self.data = X
        self.targets = y.astype(np.int64)
        self.classes = [str(i) for i in range(int(self.targets.max()) + 1 if len(y) else 0)]

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        return self._apply_transforms(self.data[index], int(self.targets[index]))


# name -> (generator, its keyword defaults for the registry's ready-made datasets)
TOY_PROBLEMS: dict[str, tuple[Callable[..., tuple[np.ndarray, np.ndarray]], dict[str, Any]]] = {
    "moons": (make_moons, {"noise": 0.1}),
    "circles": (make_circles, {"noise": 0.05, "factor": 0.5}),
    "blobs": (make_blobs, {"centers": 3, "cluster_std": 1.0}),
    "xor": (xor, {"noise": 0.05}),
    "spiral": (spiral, {"classes": 3, "noise": 0.2}),
}


def toy_dataset(
    name: str,
    train: bool = True,
    transform: Callable | None = None,
    target_transform: Callable | None = None,
    n_train: int = 1000,
    n_test: int = 250,
    seed: int = 0,
    **kwargs: Any,
) -> ToyDataset:
    """A fixed train or test split of a toy problem.

    ``n_train + n_test`` points are drawn once with ``seed`` (so both parts share one
    distribution, e.g. the same blob centres) and split by a seeded permutation.
    ``kwargs`` override the problem's defaults in ``TOY_PROBLEMS``.
    """
    if name not in TOY_PROBLEMS:
        raise ValueError(f"toy_dataset: unknown problem {name!r}; expected one of {', '.join(TOY_PROBLEMS)}")
    make, defaults = TOY_PROBLEMS[name]
    X, y = make(n_samples=n_train + n_test, seed=seed, **{**defaults, **kwargs})
    order = np.random.default_rng([seed, 1]).permutation(len(X))
    part = order[:n_train] if train else order[n_train:]
    return ToyDataset(X[part], y[part], transform, target_transform)
