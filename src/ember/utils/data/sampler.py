"""Samplers: which dataset indices to visit, in which order, and how to group them into batches.

Each of ember's index samplers draws a whole epoch as one int64 array (``_epoch_indices``) and
iterates over it; a ``DataLoader`` built on them slices that array into batches instead of
walking index by index in Python.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Generic, TypeVar

import numpy as np

from ..._random import Generator, _rng
from ..._tensor import Tensor
from ..._creation import as_tensor, multinomial
from ..._dtype import float64

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
]

T_co = TypeVar("T_co", covariant=True)


class Sampler(Generic[T_co]):
    """Base class: subclasses implement ``__iter__`` (indices or lists of indices) and
    usually ``__len__``."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``, always in that order."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def _epoch_indices(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Random indices: a fresh permutation each epoch, or ``num_samples`` draws with replacement.

    With ``generator=None`` each epoch's order is seeded by one draw from the default generator,
    so ``ember.manual_seed(s)`` makes the whole sequence of epochs reproducible. Without
    replacement and ``num_samples > len(data_source)``, whole permutations are chained.
    """

    def __init__(self, data_source: Sized, replacement: bool = False, num_samples: int | None = None,
                 generator: Generator | None = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or isinstance(self.num_samples, bool) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _epoch_indices(self) -> np.ndarray:
        n = len(self.data_source)
        if self.generator is None:
            # One draw from the global stream per epoch, like PyTorch: the epoch's order then
            # doesn't depend on how many numbers the epoch itself consumes.
            seed = int(_rng(None).integers(0, 2**63 - 1))
            rng = np.random.default_rng(seed)
        else:
            rng = self.generator._rng
        m = self.num_samples
        if self.replacement:
            return rng.integers(0, n, size=m, dtype=np.int64)
        perms = [rng.permutation(n) for _ in range(m // n)]
        if m % n:
            perms.append(rng.permutation(n)[: m % n])
        out = perms[0] if len(perms) == 1 else np.concatenate(perms)
        return out.astype(np.int64, copy=False)

    def __iter__(self) -> Iterator[int]:
        # A generator, as in PyTorch: the epoch's random draw happens on the first next().
        yield from self._epoch_indices().tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices, in a new random order each epoch (without replacement)."""

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def _index_array(self) -> np.ndarray | None:
        idx = self.indices._data if isinstance(self.indices, Tensor) else self.indices
        try:
            arr = np.asarray(idx)
        except Exception:
            return None
        if arr.size == 0:
            return arr.astype(np.int64).reshape(0)
        return arr.astype(np.int64, copy=False) if arr.ndim == 1 and arr.dtype.kind in "iu" else None

    def _epoch_indices(self) -> np.ndarray | None:
        arr = self._index_array()
        if arr is None:  # checked before drawing, so the fallback to __iter__ draws once
            return None
        return arr[_rng(self.generator).permutation(len(arr))]

    def __iter__(self) -> Iterator[int]:
        arr = self._index_array()
        perm = _rng(self.generator).permutation(len(self.indices))
        if arr is not None:
            yield from arr[perm].tolist()
        else:
            yield from (self.indices[i] for i in perm.tolist())

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """Indices ``0..len(weights)-1`` drawn with probability proportional to ``weights``.

    Example:
        >>> list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, replacement=True))
        [4, 4, 1, 4, 5]
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Generator | None = None) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")

        w = as_tensor(weights._data if isinstance(weights, Tensor) else np.asarray(weights), dtype=float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}")
        self.weights = w
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def _epoch_indices(self) -> np.ndarray:
        return multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator)._data

    def __iter__(self) -> Iterator[int]:
        # A generator, as in PyTorch: the epoch's random draw happens on the first next().
        yield from self._epoch_indices().tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list]):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``).

    Example:
        >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
        [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    """

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def _array_batches(self):
        """The batches as int64 arrays (slices of one epoch array), or ``None`` when the
        sampler is not one of ember's own (then only ``__iter__`` knows its order)."""
        epoch = _epoch_source(self.sampler)
        if epoch is None:
            return None
        return self._slice_epoch(epoch)

    def _slice_epoch(self, epoch):
        # A generator, so the epoch's random draw happens on the first next(), as in __iter__.
        idx = epoch()
        if idx is None:
            yield from (np.asarray(b, dtype=np.int64) for b in self._iter_generic())
            return
        bs = self.batch_size
        stop = len(idx) - len(idx) % bs if self.drop_last else len(idx)
        for start in range(0, stop, bs):
            yield idx[start:start + bs]

    def _iter_generic(self):
        it = iter(self.sampler)
        if self.drop_last:
            for batch in zip(*([it] * self.batch_size)):
                yield [*batch]
        else:
            batch = [*itertools.islice(it, self.batch_size)]
            while batch:
                yield batch
                batch = [*itertools.islice(it, self.batch_size)]

    def __iter__(self) -> Iterator[list]:
        batches = self._array_batches()
        if batches is None:
            return self._iter_generic()
        return (b.tolist() for b in batches)

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


_ARRAY_SAMPLERS = (SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler)


def _epoch_source(sampler):
    """``sampler._epoch_indices`` when ``sampler`` is one of ember's samplers whose order it
    defines (a subclass overriding ``__iter__`` keeps its own order); else ``None``."""
    cls = type(sampler)
    for base in _ARRAY_SAMPLERS:
        if isinstance(sampler, base):
            if cls.__iter__ is base.__iter__ and cls._epoch_indices is base._epoch_indices:
                return sampler._epoch_indices
            return None
    return None
