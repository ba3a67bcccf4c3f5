"""Storage planning: find which saved arrays view the same memory, so it is written once and
the views come back as views of one buffer.

Every array is traced to the array that owns its memory (through ``.base``); arrays with the
same owner form one storage covering the bytes they use, and each array is recorded as
(storage, byte offset, byte strides) into it.
"""

from __future__ import annotations

import numpy as np


class Slot:
    """Where one array lives: ``storage`` index, ``offset`` and ``strides`` in bytes."""

    __slots__ = ("storage", "offset", "strides")

    def __init__(self, storage: int, offset: int, strides: tuple):
        self.storage, self.offset, self.strides = storage, offset, strides


class Storage:
    """One buffer to write: ``data`` is a 1-D array (usually a view of the saved memory)."""

    __slots__ = ("data",)

    def __init__(self, data: np.ndarray):
        self.data = data


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _extent(a: np.ndarray) -> tuple[int, int]:
    """The [low, high) byte addresses ``a`` touches (it must be non-empty)."""
    lo = hi = _address(a)
    for n, s in zip(a.shape, a.strides):
        if s < 0:
            lo += (n - 1) * s
        else:
            hi += (n - 1) * s
    return lo, hi + a.itemsize


def _owner(a: np.ndarray):
    """The array owning ``a``'s memory as ``(owner, raw bytes of it)``, or ``None`` when the
    owner's memory isn't one contiguous block we can address."""
    base = a
    while isinstance(base.base, np.ndarray):
        base = base.base
    if not (base.flags.c_contiguous or base.flags.f_contiguous):
        return None
    return base, base.reshape(-1, order="A").view(np.uint8)


class StoragePlan:
    """Collects arrays (``add``), then decides the storages (``build``) and each array's slot.

    ``typed=True`` (PyTorch's format) puts only same-dtype, element-aligned, non-negatively
    strided arrays in a shared storage and copies the rest into storages of their own;
    ``typed=False`` (ember's format) shares any views and types a storage only when its arrays agree.
    """

    def __init__(self, typed: bool):
        self.typed = typed
        self._arrays: dict[int, np.ndarray] = {}  # id -> array (kept alive so ids stay unique)
        self.storages: list[Storage] = []
        self._slots: dict[int, Slot] = {}

    def add(self, a: np.ndarray) -> None:
        self._arrays.setdefault(id(a), a)

    def slot(self, a: np.ndarray) -> Slot:
        return self._slots[id(a)]

    def _own_storage(self, a: np.ndarray) -> None:
        data = np.ascontiguousarray(a).reshape(-1)
        self._slots[id(a)] = Slot(len(self.storages), 0, tuple(np.ascontiguousarray(a).strides))
        self.storages.append(Storage(data))

    def _shareable(self, a: np.ndarray) -> bool:
        if a.size == 0:
            return False
        if self.typed:
            return all(s >= 0 and s % a.itemsize == 0 for s in a.strides)
        return True

    def build(self) -> None:
        groups: dict[tuple, list] = {}
        raws: dict[int, tuple] = {}
        for a in self._arrays.values():
            owned = _owner(a) if self._shareable(a) else None
            if owned is None:
                self._own_storage(a)
                continue
            base, raw = owned
            start = _address(base)
            lo, hi = _extent(a)
            if lo < start or hi > start + raw.size:  # not inside its owner: don't trust it
                self._own_storage(a)
                continue
            raws[id(base)] = (start, raw)
            key = (id(base), a.dtype.str, (lo - start) % a.itemsize) if self.typed else (id(base),)
            groups.setdefault(key, []).append((a, lo, hi))
        for key, members in groups.items():
            start, raw = raws[key[0]]
            lo = min(m[1] for m in members)
            hi = max(m[2] for m in members)
            region = raw[lo - start:hi - start]
            dtypes = {m[0].dtype for m in members}
            if len(dtypes) == 1:
                (dt,) = dtypes
                aligned = all((m[1] - lo) % dt.itemsize == 0 and all(s % dt.itemsize == 0 for s in m[0].strides)
                              for m in members)
                if aligned and (hi - lo) % dt.itemsize == 0:
                    region = region.view(dt)
            index = len(self.storages)
            self.storages.append(Storage(region))
            for a, _, _ in members:
                self._slots[id(a)] = Slot(index, _address(a) - lo, tuple(a.strides))
