"""What runs where the data is loaded: the fetchers (one batch from a dataset) and the worker
process loop, plus ``get_worker_info`` and the exception wrapper that carries a worker's
traceback back to the main process."""

from __future__ import annotations

import os
import pickle
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

from ..._tensor import Tensor

# How often (seconds) a worker waiting for work checks that its parent is still alive,
# and the main process checks that its workers are.
MP_STATUS_CHECK_INTERVAL = 1.0


class _DatasetKind:
    Map = 0
    Iterable = 1


@dataclass(frozen=True)
class WorkerInfo:
    """Describes the current DataLoader worker: ``id`` (0..num_workers-1), ``num_workers``,
    ``seed`` (this worker's seed for ``ember``/``random``) and ``dataset`` (this process's copy)."""

    id: int
    num_workers: int
    seed: int
    dataset: object


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The current worker's ``WorkerInfo`` inside a DataLoader worker process, ``None`` in the
    main process. An ``IterableDataset`` uses it to give each worker a distinct shard.

    Example:
        >>> def __iter__(self):
        ...     info = get_worker_info()
        ...     start, step = (0, 1) if info is None else (info.id, info.num_workers)
        ...     return iter(range(start, len(self.data), step))
    """
    return _worker_info


class KeyErrorMessage(str):
    """A str whose repr is itself, so a re-raised KeyError shows the traceback's line breaks."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception caught in a worker: its type and formatted traceback, picklable, re-raised
    in the main process with the worker's traceback text in the message."""

    def __init__(self, exc_info=None, where: str = "in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        exc_type = exc_info[0]
        try:
            pickle.loads(pickle.dumps(exc_type))
        except Exception:  # a class the main process can't import (e.g. defined in a function)
            exc_type = RuntimeError
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        """Raise the original exception type, its message carrying the worker's traceback."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:  # the type's constructor wants other arguments
            raise RuntimeError(msg) from None
        raise exception


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Sent to persistent workers at the start of a new epoch."""


# -- fetchers: one batch (or one sample) from the dataset ------------------------------------------

class _MapDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation, self.collate_fn, self.drop_last = dataset, auto_collation, collate_fn, drop_last

    def fetch(self, index):
        if self.auto_collation:
            if isinstance(index, np.ndarray):
                index = index.tolist()
            getitems = getattr(self.dataset, "__getitems__", None)
            data = getitems(index) if callable(getitems) else [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class _TensorBatchFetcher:
    """A TensorDataset batch in one ``np.take`` per tensor, the result ``default_collate``
    would build by stacking the rows one by one."""

    def __init__(self, arrays, index_map, fallback):
        self.arrays, self.index_map, self.fallback = arrays, index_map, fallback

    def fetch(self, index):
        idx = index if isinstance(index, np.ndarray) else np.asarray(index)
        if idx.ndim != 1 or idx.dtype.kind not in "iu":
            return self.fallback.fetch(index)  # indices NumPy can't use directly (tensors, bools...)
        if self.index_map is not None:
            idx = self.index_map[idx]
        return [Tensor._wrap(np.take(a, idx, axis=0)) for a in self.arrays]


class _IterableDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last
        self.dataset_iter = iter(dataset)
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


def _create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
    if kind == _DatasetKind.Iterable:
        return _IterableDatasetFetcher(dataset, auto_collation, collate_fn, drop_last)
    fetcher = _MapDatasetFetcher(dataset, auto_collation, collate_fn, drop_last)
    from ._collate import default_collate
    from .dataset import _tensor_source

    if auto_collation and collate_fn is default_collate:
        source = _tensor_source(dataset)
        if source is not None:
            return _TensorBatchFetcher(source[0], source[1], fetcher)
    return fetcher


# -- worker processes ------------------------------------------------------------------------------

def _generate_state(base_seed: int, worker_id: int) -> list[int]:
    """A 128-bit NumPy seed from (base_seed, worker_id), mixed with the SeedSequence hash
    PyTorch uses, so workers' ``np.random`` streams are independent."""
    INIT_A, MULT_A, INIT_B, MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
    MIX_MULT_L, MIX_MULT_R, XSHIFT, MASK32 = 0xCA01F9DD, 0x4973F715, 16, 0xFFFFFFFF
    entropy = [worker_id, base_seed & MASK32, base_seed >> 32, 0]
    hash_const_a = INIT_A

    def hash_(value):
        nonlocal hash_const_a
        value = (value ^ hash_const_a) & MASK32
        hash_const_a = (hash_const_a * MULT_A) & MASK32
        value = (value * hash_const_a) & MASK32
        return (value ^ (value >> XSHIFT)) & MASK32

    def mix(x, y):
        result = (((MIX_MULT_L * x) & MASK32) - ((MIX_MULT_R * y) & MASK32)) & MASK32
        return (result ^ (result >> XSHIFT)) & MASK32

    pool = [hash_(e) for e in entropy]
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hash_(pool[i_src]))
    hash_const_b = INIT_B
    state = []
    for value in pool:
        value = (value ^ hash_const_b) & MASK32
        hash_const_b = (hash_const_b * MULT_B) & MASK32
        value = (value * hash_const_b) & MASK32
        state.append((value ^ (value >> XSHIFT)) & MASK32)
    return state


class _ParentWatchdog:
    """Tells a worker whether the process that started it is still there."""

    def __init__(self):
        self.parent_pid = os.getppid()
        self.parent_dead = False

    def is_alive(self) -> bool:
        if not self.parent_dead:
            self.parent_dead = os.getppid() != self.parent_pid
        return not self.parent_dead


def _seed_worker(base_seed: int, worker_id: int) -> int:
    from ... import _random

    seed = base_seed + worker_id
    _random.manual_seed(seed)
    random.seed(seed)
    # User transforms often draw from np.random's global state; forked workers would all
    # inherit the same one and produce identical "random" augmentations.
    np.random.seed(_generate_state(base_seed, worker_id))
    return seed


def _worker_loop(kind, dataset, index_queue, data_queue, done_event, auto_collation, collate_fn, drop_last,
                 base_seed, init_fn, worker_id, num_workers):
    """Fetch the batches whose indices arrive on ``index_queue``; put ``(task_id, payload)`` on
    ``data_queue``. The payload is the pickled batch (pickled here so that an unpicklable batch
    becomes an error report instead of a silent hang), an ExceptionWrapper, or a
    _IterableDatasetStopIteration. ``None`` on the index queue means stop."""
    global _worker_info
    try:
        try:
            from ..._threads import set_num_threads

            set_num_threads(1)  # workers run side by side: one BLAS thread each
        except Exception:
            pass
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)

        init_exception = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_exception = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")

        iteration_end = False
        watchdog = _ParentWatchdog()
        while watchdog.is_alive():
            try:
                r = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if isinstance(r, _ResumeIteration):
                data_queue.put((r, None))
                iteration_end = False
                if init_exception is None:
                    fetcher = _create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
                continue
            if r is None:
                break
            if done_event.is_set() or iteration_end:
                continue  # draining: the main process no longer wants results
            idx, index = r
            if init_exception is not None:
                payload, init_exception = init_exception, None
            else:
                try:
                    data = fetcher.fetch(index)
                    payload = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
                except StopIteration:
                    if kind != _DatasetKind.Iterable:
                        payload = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
                    else:
                        payload = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                except Exception:
                    payload = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
                data = None
            data_queue.put((idx, payload))
            del payload, r, index
    except KeyboardInterrupt:
        pass  # the main process handles Ctrl-C and shuts the workers down
    if done_event.is_set():
        # Don't block exit on flushing results nobody will read.
        data_queue.cancel_join_thread()
        data_queue.close()
