"""Collectives on picklable Python objects (``broadcast_object_list``, ``all_gather_object`` ...).

Objects travel pickled, as PyTorch's do; like PyTorch's, these unpickle whatever the other ranks
send, so use them only between processes you trust.
"""

from __future__ import annotations

import pickle

import numpy as np

from . import _mpi
from . import process_group as _pg
from ._work import wait_requests
from .collectives import _root, _rooted

__all__ = ["all_gather_object", "broadcast_object_list", "gather_object", "scatter_object_list"]


def _dumps(obj) -> np.ndarray:
    return np.frombuffer(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), dtype=np.uint8)


def _loads(a: np.ndarray):
    return pickle.loads(a.tobytes())


def _wait(req, pg, what):
    wait_requests([req], pg, what)


def _counts(pg, n_bytes: int, what: str) -> np.ndarray:
    MPI = _mpi.mpi()
    counts = np.empty(pg.size(), dtype=np.int64)
    _wait(pg._comm.Iallgather([np.array([n_bytes], dtype=np.int64), MPI.INT64_T], [counts, MPI.INT64_T]), pg, what)
    return counts


def _offsets(counts: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)


def _pack(objs) -> tuple[np.ndarray, np.ndarray]:
    """The pickles of ``objs`` end to end, and each one's length in bytes."""
    blobs = [_dumps(o) for o in objs]
    counts = np.array([b.size for b in blobs], dtype=np.int64)
    return (np.concatenate(blobs) if blobs else np.empty(0, dtype=np.uint8)), counts


def _unpack_into(out: list, data: np.ndarray, counts: np.ndarray) -> None:
    """``out[i]`` = the ``i``-th of the pickles laid end to end in ``data`` with lengths ``counts``."""
    starts = _offsets(counts)
    for i in range(len(counts)):
        out[i] = _loads(data[starts[i]:starts[i] + counts[i]])


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None) -> None:
    """Replace ``object_list``'s items on every rank by those of rank ``src`` (lists of equal length)."""
    pg, root = _rooted(group, src, group_src, "broadcast_object_list", "src")
    if pg is None:
        return
    MPI = _mpi.mpi()
    n = len(object_list)
    if pg.rank() == root:
        data, sizes = _pack(object_list)
    else:
        sizes = np.empty(n, dtype=np.int64)
    _wait(pg._comm.Ibcast([sizes, MPI.INT64_T], root=root), pg, "broadcast_object_list")
    if pg.rank() != root:
        data = np.empty(int(sizes.sum()), dtype=np.uint8)
    _wait(pg._comm.Ibcast([data, MPI.BYTE], root=root), pg, "broadcast_object_list")
    if pg.rank() != root:
        _unpack_into(object_list, data, sizes)


def all_gather_object(object_list, obj, group=None) -> None:
    """``object_list[r]`` = rank ``r``'s ``obj``, on every rank."""
    pg = _pg._resolve(group)
    if pg is None:
        return
    if len(object_list) != pg.size():
        raise ValueError(f"all_gather_object: object_list must have one slot per rank ({pg.size()}), got {len(object_list)}")
    MPI = _mpi.mpi()
    blob = _dumps(obj)
    counts = _counts(pg, blob.size, "all_gather_object")
    data = np.empty(int(counts.sum()), dtype=np.uint8)
    starts = _offsets(counts)
    _wait(pg._comm.Iallgatherv([blob, MPI.BYTE], [data, (counts, starts), MPI.BYTE]), pg, "all_gather_object")
    _unpack_into(object_list, data, counts)


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None) -> None:
    """Every rank's ``obj`` into ``object_gather_list`` on rank ``dst`` (``None`` on the others)."""
    pg, root = _rooted(group, dst, group_dst, "gather_object", "dst")
    if pg is None:
        return
    MPI = _mpi.mpi()
    here = pg.rank() == root
    if here and (object_gather_list is None or len(object_gather_list) != pg.size()):
        raise ValueError(f"gather_object: object_gather_list must have one slot per rank ({pg.size()}) on the destination rank")
    if not here and object_gather_list is not None:
        raise ValueError("Argument ``object_gather_list`` must NOT be specified on non-destination ranks.")
    blob = _dumps(obj)
    counts = _counts(pg, blob.size, "gather_object")
    starts = _offsets(counts)
    data = np.empty(int(counts.sum()), dtype=np.uint8) if here else None
    recv = [data, (counts, starts), MPI.BYTE] if here else None
    _wait(pg._comm.Igatherv([blob, MPI.BYTE], recv, root=root), pg, "gather_object")
    if here:
        _unpack_into(object_gather_list, data, counts)


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None, group=None,
                        group_src=None) -> None:
    """``scatter_object_output_list[0]`` on rank ``r`` = ``scatter_object_input_list[r]`` of rank ``src``."""
    pg = _pg._resolve(group)
    if pg is None:
        return
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size at least 1.")
    MPI = _mpi.mpi()
    root = _root(pg, src, group_src, "scatter_object_list", "src")
    n = pg.size()
    if pg.rank() == root:
        if scatter_object_input_list is None or len(scatter_object_input_list) != n:
            raise ValueError(f"scatter_object_list: scatter_object_input_list must have one object per rank ({n}) on the source rank")
        data, counts = _pack(scatter_object_input_list)
        send = [data, (counts, _offsets(counts)), MPI.BYTE]
    else:
        counts, send = np.empty(n, dtype=np.int64), None
    _wait(pg._comm.Ibcast([counts, MPI.INT64_T], root=root), pg, "scatter_object_list")
    mine = np.empty(int(counts[pg.rank()]), dtype=np.uint8)
    _wait(pg._comm.Iscatterv(send, [mine, MPI.BYTE], root=root), pg, "scatter_object_list")
    scatter_object_output_list[0] = _loads(mine)
