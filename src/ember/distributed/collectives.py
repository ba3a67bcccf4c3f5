"""Collectives and point-to-point messages on tensors, with ``torch.distributed``'s signatures.

MPI reads and writes the tensor's own memory (a contiguous tensor is never copied; a
non-contiguous one goes through a contiguous buffer that is copied back into its view).
Ranks (``src``, ``dst``) are global ranks, as in PyTorch; ``group_src``/``group_dst`` are ranks
within ``group``. On a rank outside ``group`` every call returns ``None`` and does nothing.
"""

from __future__ import annotations

import enum

import numpy as np

from .. import _tensor as _T
from . import _mpi
from . import process_group as _pg
from ._work import Work

__all__ = [
    "ReduceOp",
    "all_gather",
    "all_gather_into_tensor",
    "all_reduce",
    "barrier",
    "broadcast",
    "gather",
    "irecv",
    "isend",
    "recv",
    "reduce",
    "reduce_scatter",
    "reduce_scatter_tensor",
    "scatter",
    "send",
]

Tensor = _T.Tensor


class ReduceOp:
    """How ``all_reduce``, ``reduce`` and ``reduce_scatter`` combine the ranks' tensors."""

    class RedOpType(enum.Enum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR


# ---------------------------------------------------------------------------------------- buffers
_DATATYPES: dict = {}


def _datatype(np_dtype: np.dtype):
    dt = _DATATYPES.get(np_dtype)
    if dt is None:
        MPI = _mpi.mpi()
        table = {
            "float16": MPI.FLOAT16_T, "float32": MPI.FLOAT, "float64": MPI.DOUBLE,
            "int8": MPI.INT8_T, "int16": MPI.INT16_T, "int32": MPI.INT32_T, "int64": MPI.INT64_T,
            "uint8": MPI.UINT8_T, "bool": MPI.C_BOOL,
        }
        dt = table.get(np_dtype.name)
        if dt is None or dt == MPI.DATATYPE_NULL:
            raise RuntimeError(f"ember.distributed: tensors of dtype {np_dtype.name} cannot be communicated by this MPI")
        _DATATYPES[np_dtype] = dt
    return dt


def _check_tensor(t, name: str) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(
            f"Invalid function argument. Expected parameter `{name}` of type ember.Tensor but got {type(t)} instead."
        )


def _check_list(ts, name: str) -> None:
    if not isinstance(ts, (list, tuple)) or not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(
            f"Invalid function argument. Expected parameter `{name}` of type List[ember.Tensor] but got {type(ts)} instead."
        )


def _buffer(t: Tensor) -> np.ndarray:
    """An array MPI may read: the tensor's memory when it is contiguous, else a contiguous copy."""
    a = t._data
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


def _inout(t: Tensor):
    """``(buffer, write_back)``: MPI works on ``buffer``; ``write_back()`` makes the tensor hold the result."""
    a = t._data
    if a.flags.c_contiguous and a.flags.writeable:
        def bump():
            t._version[0] += 1
        return a, bump
    buf = np.ascontiguousarray(a)

    def back():
        t._data[...] = buf
        t._version[0] += 1
    return buf, back


def _write(t: Tensor, values: np.ndarray) -> None:
    t._data[...] = values.reshape(t._data.shape)
    t._version[0] += 1


def _msg(a: np.ndarray):
    return [a, _datatype(a.dtype)]


def _op(op, np_dtype: np.dtype):
    """``(MPI op, post)``: the MPI reduction for ``op`` on this dtype, and what to do after it (AVG divides)."""
    if not isinstance(op, ReduceOp.RedOpType):
        raise TypeError(f"expected a ReduceOp (ReduceOp.SUM, ReduceOp.MAX, ...), got {op!r}")
    kind = np_dtype.kind
    if op is ReduceOp.SUM and kind == "f":  # the common case, without building the tables below
        return _mpi.mpi().SUM, None
    MPI = _mpi.mpi()
    if kind == "b":  # bool: sums and maxima are "any", products and minima "all"
        table = {"SUM": MPI.LOR, "MAX": MPI.LOR, "BOR": MPI.LOR, "PRODUCT": MPI.LAND, "MIN": MPI.LAND,
                 "BAND": MPI.LAND, "BXOR": MPI.LXOR}
        if op.name not in table:
            raise RuntimeError(f"Cannot use ReduceOp.{op.name} with a bool tensor")
        return table[op.name], None
    if op.name in ("BAND", "BOR", "BXOR") and kind == "f":
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")
    table = {"SUM": MPI.SUM, "AVG": MPI.SUM, "PRODUCT": MPI.PROD, "MIN": MPI.MIN, "MAX": MPI.MAX,
             "BAND": MPI.BAND, "BOR": MPI.BOR, "BXOR": MPI.BXOR}
    post = None
    if op is ReduceOp.AVG:
        if kind == "f":
            def post(a, n):
                np.divide(a, a.dtype.type(n), out=a)
        else:  # integers: the sum divided by n, rounded towards zero
            def post(a, n):
                a[...] = np.sign(a) * (np.abs(a) // n)
    return table[op.name], post


def _after_reduce(post, buf: np.ndarray, n: int, back):
    """What completes a reduction into ``buf``: ``post`` (AVG's division by the ``n`` ranks), then ``back``."""
    if post is None:
        return back

    def finish():
        post(buf, n)
        back()
    return finish


def _check_per_rank(ts, ref: Tensor, n: int, what: str, name: str, size_rule: str | None = None) -> None:
    """``ts`` holds one tensor per rank, of ``ref``'s dtype (and with ``size_rule``, of its number of elements)."""
    _check_list(ts, name)
    if len(ts) != n:
        raise ValueError(f"{what}: {name} must hold one tensor per rank ({n}), got {len(ts)}")
    for t in ts:
        _check_same(t, ref, what)
        if size_rule is not None and t._data.size != ref._data.size:
            raise ValueError(f"{what}: {size_rule.format(size=ref._data.size, shape=tuple(t.shape))}")


def _check_root_list(ts, is_root: bool, name: str, where: str) -> None:
    """A rooted collective's list is given on the root rank (``where``: 'destination'/'source') and only there."""
    if is_root and ts is None:
        raise ValueError(f"Argument ``{name}`` must be specified on {where} rank.")
    if not is_root and ts:
        raise ValueError(f"Argument ``{name}`` must NOT be specified on non-{where} ranks.")


def _group_for(group, **args):
    """The process group to work in (``None`` on a rank outside it) once the arguments are checked:
    a ``*_list`` argument must be a list of tensors, any other a tensor."""
    for name, value in args.items():
        (_check_list if name.endswith("_list") else _check_tensor)(value, name)
    return _pg._resolve(group)


def _into_each(ts, rows: np.ndarray):
    """What completes a gather into the list ``ts``: rank ``r``'s row of ``rows`` into ``ts[r]``."""
    def finish():
        for i, t in enumerate(ts):
            _write(t, rows[i])
    return finish


def _rooted(group, rank, group_rank, what: str, name: str, **args):
    """``(process group, root's group rank)`` of a rooted collective, its ``args`` checked as `_group_for`
    does (``(None, None)`` on a rank outside the group)."""
    pg = _group_for(group, **args)
    return (None, None) if pg is None else (pg, _root(pg, rank, group_rank, what, name))


def _run(requests, pg, what: str, finish, async_op: bool, result=None, members=None):
    work = Work(requests, pg, what, members=members, finish=finish, result=result)
    if async_op:
        return work
    work.wait()
    return None


def _root(pg, rank, group_rank, what: str, name: str) -> int:
    """The group rank of a root given as a global rank (``src``/``dst``) or a group rank."""
    if rank is not None and group_rank is not None:
        raise ValueError(f"{what}: pass {name} or group_{name}, not both")
    if group_rank is not None:
        if not 0 <= int(group_rank) < pg.size():
            raise ValueError(f"{what}: group_{name}={group_rank} is not a rank of the group (0..{pg.size() - 1})")
        return int(group_rank)
    return _pg._group_rank(pg, 0 if rank is None else rank, what)


# ---------------------------------------------------------------------------------------- collectives
def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy ``tensor`` from rank ``src`` into ``tensor`` on every rank of the group."""
    pg, root = _rooted(group, src, group_src, "broadcast", "src", tensor=tensor)
    if pg is None:
        return None
    buf, back = _inout(tensor)
    req = pg._comm.Ibcast(_msg(buf), root=root)
    return _run([req], pg, "broadcast", back, async_op, [tensor])


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` over the group with ``op``; every rank ends with the result, in place."""
    pg = _group_for(group, tensor=tensor)
    if pg is None:
        return None
    buf, back = _inout(tensor)
    mop, post = _op(op, buf.dtype)
    req = pg._comm.Iallreduce(_mpi.mpi().IN_PLACE, _msg(buf), mop)
    return _run([req], pg, "all_reduce", _after_reduce(post, buf, pg.size(), back), async_op, [tensor])


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce ``tensor`` over the group into ``tensor`` on rank ``dst`` (the others' are left as they were)."""
    pg, root = _rooted(group, dst, group_dst, "reduce", "dst", tensor=tensor)
    if pg is None:
        return None
    MPI = _mpi.mpi()
    mop, post = _op(op, tensor._data.dtype)
    if pg.rank() == root:
        buf, back = _inout(tensor)
        req = pg._comm.Ireduce(MPI.IN_PLACE, _msg(buf), mop, root=root)
        finish = _after_reduce(post, buf, pg.size(), back)
    else:
        buf = _buffer(tensor)
        req = pg._comm.Ireduce(_msg(buf), None, mop, root=root)
        finish = None
    return _run([req], pg, "reduce", finish, async_op, [tensor])


def _check_same(t: Tensor, ref: Tensor, what: str) -> None:
    if t._data.dtype != ref._data.dtype:
        raise ValueError(f"{what}: all tensors must have the dtype {ref.dtype}, got {t.dtype}")


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Every rank's ``tensor`` into ``tensor_list[r]`` for each rank ``r`` of the group."""
    pg = _group_for(group, tensor_list=tensor_list, tensor=tensor)
    if pg is None:
        return None
    n = pg.size()
    _check_per_rank(tensor_list, tensor, n, "all_gather", "tensor_list",
                    "output tensors must have {size} elements like the input, got shape {shape}")
    send = _buffer(tensor)
    recv = np.empty((n,) + send.shape, dtype=send.dtype)
    req = pg._comm.Iallgather(_msg(send), _msg(recv))
    return _run([req], pg, "all_gather", _into_each(tensor_list, recv), async_op, list(tensor_list))


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's ``input_tensor`` concatenated (or stacked) into ``output_tensor``, in rank order."""
    pg = _group_for(group, output_tensor=output_tensor, input_tensor=input_tensor)
    if pg is None:
        return None
    n = pg.size()
    _check_same(output_tensor, input_tensor, "all_gather_into_tensor")
    if output_tensor._data.size != n * input_tensor._data.size:
        raise ValueError(
            f"all_gather_into_tensor: output tensor size must be equal to world_size times input tensor size "
            f"({n} x {input_tensor._data.size}), got {output_tensor._data.size}"
        )
    send = _buffer(input_tensor)
    recv, back = _inout(output_tensor)
    req = pg._comm.Iallgather(_msg(send), _msg(recv))
    return _run([req], pg, "all_gather_into_tensor", back, async_op, [output_tensor])


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input_list[r]`` over the group into ``output`` on rank ``r``."""
    pg = _group_for(group, output=output, input_list=input_list)
    if pg is None:
        return None
    n = pg.size()
    _check_per_rank(input_list, output, n, "reduce_scatter", "input_list",
                    "input tensors must have {size} elements like the output")
    send = np.concatenate([t._data.reshape(-1) for t in input_list]) if n else np.empty(0, output._data.dtype)
    return _reduce_scatter(pg, output, send, op, async_op, "reduce_scatter")


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input`` (``world_size`` equal chunks) over the group; rank ``r`` gets chunk ``r`` in ``output``."""
    pg = _group_for(group, output=output, input=input)
    if pg is None:
        return None
    _check_same(input, output, "reduce_scatter_tensor")
    if input._data.size != pg.size() * output._data.size:
        raise ValueError(
            f"reduce_scatter_tensor: input tensor must be the same size as output size times world size "
            f"({pg.size()} x {output._data.size}), got {input._data.size}"
        )
    return _reduce_scatter(pg, output, _buffer(input), op, async_op, "reduce_scatter_tensor")


def _reduce_scatter(pg, output, send, op, async_op, what):
    mop, post = _op(op, send.dtype)
    recv, back = _inout(output)
    req = pg._comm.Ireduce_scatter_block(_msg(send), _msg(recv), mop)
    return _run([req], pg, what, _after_reduce(post, recv, pg.size(), back), async_op, [output])


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Every rank's ``tensor`` into ``gather_list`` on rank ``dst``."""
    pg, root = _rooted(group, dst, group_dst, "gather", "dst", tensor=tensor)
    if pg is None:
        return None
    n = pg.size()
    send = _buffer(tensor)
    _check_root_list(gather_list, pg.rank() == root, "gather_list", "destination")
    if pg.rank() == root:
        _check_per_rank(gather_list, tensor, n, "gather", "gather_list")
        recv = np.empty((n,) + send.shape, dtype=send.dtype)
        req = pg._comm.Igather(_msg(send), _msg(recv), root=root)
        finish = _into_each(gather_list, recv)
        result = list(gather_list)
    else:
        req = pg._comm.Igather(_msg(send), None, root=root)
        finish, result = None, []
    return _run([req], pg, "gather", finish, async_op, result)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """``scatter_list[r]`` on rank ``src`` into ``tensor`` on rank ``r``."""
    pg, root = _rooted(group, src, group_src, "scatter", "src", tensor=tensor)
    if pg is None:
        return None
    n = pg.size()
    recv, back = _inout(tensor)
    _check_root_list(scatter_list, pg.rank() == root, "scatter_list", "source")
    if pg.rank() == root:
        _check_per_rank(scatter_list, tensor, n, "scatter", "scatter_list",
                        "each tensor in scatter_list must have {size} elements")
        send = np.concatenate([t._data.reshape(-1) for t in scatter_list])
        req = pg._comm.Iscatter(_msg(send), _msg(recv), root=root)
    else:
        req = pg._comm.Iscatter(None, _msg(recv), root=root)
    return _run([req], pg, "scatter", back, async_op, [tensor])


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank of the group has reached this call."""
    pg = _pg._resolve(group)
    if pg is None:
        return None
    return _run([pg._comm.Ibarrier()], pg, "barrier", None, async_op)


# ---------------------------------------------------------------------------------------- point to point
def _peer(pg, rank, group_rank, what: str, name: str) -> int:
    peer = _root(pg, rank, group_rank, what, name)
    if peer == pg.rank():
        kind = "destination" if name == "dst" else "source"
        raise ValueError(f"Invalid {kind} rank: should not be the same as rank of the current process.")
    return peer


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` without waiting; returns a ``Work``."""
    pg = _group_for(group, tensor=tensor)
    if pg is None:
        return None
    peer = _peer(pg, dst, group_dst, "send", "dst")
    buf = _buffer(tensor)  # referenced by the Work until the send completes
    req = pg._comm.Isend(_msg(buf), dest=peer, tag=int(tag))
    return Work([req], pg, f"send to rank {pg._ranks[peer]}", members=[pg._ranks[peer]], finish=lambda b=buf: None,
                result=[tensor])


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (any rank when ``None``) without waiting; returns a ``Work``."""
    pg = _group_for(group, tensor=tensor)
    if pg is None:
        return None
    MPI = _mpi.mpi()
    if src is None and group_src is None:
        peer, members = MPI.ANY_SOURCE, [r for r in pg._ranks]
    else:
        peer = _peer(pg, src, group_src, "recv", "src")
        members = [pg._ranks[peer]]
    buf, back = _inout(tensor)
    status = MPI.Status()  # MPI reports the sender here when the receive completes
    req = pg._comm.Irecv(_msg(buf), source=peer, tag=int(tag))

    def finish():
        back()
        return pg._ranks[status.Get_source()]

    return Work([req], pg, "recv", members=members, finish=finish, result=[tensor], statuses=[status])


def send(tensor, dst=None, group=None, tag=0, group_dst=None) -> None:
    """Send ``tensor`` to rank ``dst`` and wait until it is on its way."""
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None) -> int:
    """Receive into ``tensor`` from rank ``src`` (any rank when ``None``); returns the sender's rank."""
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    work.wait()
    return work._source if work._source is not None else (src if src is not None else -1)

