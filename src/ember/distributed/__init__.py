"""``torch.distributed``'s API on MPI: process groups, collectives, point-to-point messages.

ember has one backend, ``mpi`` (through mpi4py; ``pip install 'ember[distributed]'``). Start the
processes with ``ember launch -n N script.py`` or ``mpiexec -n N python script.py``, then call
``init_process_group()`` in each. See docs/distributed.md.
"""

from __future__ import annotations

from ._objects import all_gather_object, broadcast_object_list, gather_object, scatter_object_list
from ._work import Work
from .collectives import (
    ReduceOp,
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    barrier,
    broadcast,
    gather,
    irecv,
    isend,
    recv,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
    send,
)
from .process_group import (
    Backend,
    GroupMember,
    ProcessGroup,
    default_pg_timeout,
    destroy_process_group,
    get_backend,
    get_process_group_ranks,
    get_rank,
    get_world_size,
    init_process_group,
    is_initialized,
    new_group,
)

group = GroupMember  # ``dist.group.WORLD``, as in torch


def is_available() -> bool:
    """True: the distributed package is part of ember (a backend needs mpi4py, see ``is_mpi_available``)."""
    return True


def is_mpi_available() -> bool:
    """True when the ``mpi`` backend can be used (mpi4py is installed)."""
    from . import _mpi

    return _mpi.available()


def is_gloo_available() -> bool:
    return False


def is_nccl_available() -> bool:
    return False


def is_torchelastic_launched() -> bool:
    return False


__all__ = [
    "Backend", "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather", "all_gather_into_tensor",
    "all_gather_object", "all_reduce", "barrier", "broadcast", "broadcast_object_list", "default_pg_timeout",
    "destroy_process_group", "gather", "gather_object", "get_backend", "get_process_group_ranks", "get_rank",
    "get_world_size", "group", "init_process_group", "irecv", "is_available", "is_gloo_available", "is_initialized",
    "is_mpi_available", "is_nccl_available", "is_torchelastic_launched", "isend", "new_group", "recv", "reduce",
    "reduce_scatter", "reduce_scatter_tensor", "scatter", "scatter_object_list", "send",
]
