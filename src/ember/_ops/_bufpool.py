"""Bounded pools of reusable temporaries for the convolution and pooling kernels.

Why pool at all: a fresh multi-MiB array costs a page fault per 4 KiB on first touch, which
on a convolution's im2col matrix costs as much as filling it. Why bounded: a pool keyed by
shape grows by one buffer per input shape seen, and a sweep of sequence lengths through a
Conv1d kept 1.7 GB alive. Every pool here is an LRU cache with a byte cap and an entry cap:
the least recently used buffers are dropped first, so memory stays flat when shapes vary.

Pools are per thread (the batch-parallel workers each fill their own temporaries), and buffers are
keyed by array module as well as role and dtype: a NumPy buffer never serves another library's array.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from .._backend import array_module

MAX_BYTES = 192 << 20  # per pool and thread
MAX_COUNT = 64
MAX_BUFFER = 48 << 20  # a larger temporary is allocated fresh and never kept


class BufferPool:
    """An LRU map key -> array, at most ``max_bytes`` and ``max_count`` entries in all."""

    def __init__(self, max_bytes: int = MAX_BYTES, max_count: int = MAX_COUNT) -> None:
        self.max_bytes, self.max_count = max_bytes, max_count
        self._items: OrderedDict = OrderedDict()
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key):
        buf = self._items.get(key)
        if buf is not None:
            self._items.move_to_end(key)
        return buf

    def pop(self, key):
        buf = self._items.pop(key, None)
        if buf is not None:
            self.nbytes -= buf.nbytes
        return buf

    def put(self, key, buf) -> None:
        if buf.nbytes > min(self.max_bytes, MAX_BUFFER):
            return
        old = self._items.pop(key, None)
        if old is not None:
            self.nbytes -= old.nbytes
        self._items[key] = buf
        self.nbytes += buf.nbytes
        while self.nbytes > self.max_bytes or len(self._items) > self.max_count:
            _, dropped = self._items.popitem(last=False)
            self.nbytes -= dropped.nbytes

    def clear(self) -> None:
        self._items.clear()
        self.nbytes = 0


_local = threading.local()


def pool(name: str) -> BufferPool:
    """This thread's pool ``name`` (created on first use)."""
    pools = _local.__dict__.setdefault("pools", {})
    p = pools.get(name)
    if p is None:
        p = pools[name] = BufferPool()
    return p


def all_pools():
    """Every pool of the calling thread, by name (for tests and memory reports)."""
    return dict(_local.__dict__.get("pools", {}))


def scratch(role: str, shape, dtype, xp=None):
    """An uninitialised temporary of ``shape`` in array module ``xp`` (NumPy by default): a view of
    this thread's buffer for ``role``, grown as needed. It must not escape the function that asked
    for it (the next call reuses it)."""
    if xp is None:
        xp = array_module()
    dtype = np.dtype(dtype)
    size = 1
    for s in shape:
        size *= s
    if size * dtype.itemsize > MAX_BUFFER:
        return xp.empty(shape, dtype)
    p = pool("scratch")
    key = (role, dtype.str, xp)
    buf = p.get(key)
    if buf is None or buf.size < size:
        p.pop(key)
        buf = xp.empty(size, dtype)
        p.put(key, buf)
    return buf[:size].reshape(shape)
