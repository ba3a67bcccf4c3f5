"""Process groups on MPI: ``init_process_group``, ranks, ``new_group``, and what happens when a rank fails.

Ranks and world size come from the MPI launcher (``mpiexec -n N`` or ``ember launch``), as with
PyTorch's ``mpi`` backend. A group is an MPI communicator over some of the world's ranks.

Failure handling, so no rank hangs when another one fails:

* an uncaught exception on a rank prints its traceback (prefixed with the rank) and aborts the
  whole job (``MPI_Abort``); the launcher then stops every rank;
* a rank that exits (normally or with ``sys.exit``) tells the others on a control channel; a rank
  waiting in a collective or a receive that involves it raises an error naming it;
* a rank killed outright is noticed by the launcher, which stops the others (``ember launch``
  names the dead rank);
* every wait is bounded by the group's ``timeout``.
"""

from __future__ import annotations

import atexit
import datetime
import os
import socket
import sys
import time
import traceback

from . import _mpi

__all__ = [
    "Backend",
    "GroupMember",
    "ProcessGroup",
    "destroy_process_group",
    "get_backend",
    "get_process_group_ranks",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_initialized",
    "new_group",
]

default_pg_timeout = datetime.timedelta(minutes=30)
_NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."
_EXIT_TAG = 0x7E1


class PeerFailure(RuntimeError):
    """A collective on this rank gave up because another rank left or did not answer in time: this rank is not
    the one that failed (``ember launch`` names the rank that did)."""


class Backend(str):
    """Backend names; ember has one, ``mpi``."""

    MPI = "mpi"
    GLOO = "gloo"
    NCCL = "nccl"
    UNDEFINED = "undefined"

    def __new__(cls, name: str):
        if not isinstance(name, str):
            raise ValueError(f"Backend name must be a string, but got: {name}")
        value = name.lower()
        if value != cls.MPI:
            raise ValueError(
                f"ember.distributed has one backend, 'mpi' (on mpi4py), not {name!r}; "
                "pass backend='mpi' or leave it out"
            )
        return str.__new__(cls, value)


class ProcessGroup:
    """A set of ranks sharing an MPI communicator. ``rank()`` and ``size()`` are the rank within it."""

    def __init__(self, comm, ranks: list[int], timeout: float):
        self._comm = comm
        self._ranks = list(ranks)  # global ranks, by group rank
        self._timeout = float(timeout)

    def rank(self) -> int:
        return self._comm.Get_rank()

    def size(self) -> int:
        return self._comm.Get_size()

    def name(self) -> str:
        return "mpi"

    def __repr__(self) -> str:
        return f"ProcessGroup(backend=mpi, ranks={self._ranks})"


class GroupMember:
    """``WORLD`` is the default group (``None`` until initialised); ``NON_GROUP_MEMBER`` is what
    ``new_group`` returns on ranks outside the group."""

    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = object()


class _State:
    world: ProcessGroup | None = None
    control = None  # a duplicate of COMM_WORLD for exit notices
    exited: set[int] = set()
    hooks_installed = False
    destroyed_on_exit = False


_state = _State()


def is_initialized() -> bool:
    """True after ``init_process_group``."""
    return _state.world is not None


def _default_group() -> ProcessGroup:
    if _state.world is None:
        raise ValueError(_NOT_INITIALIZED)
    return _state.world


def _resolve(group) -> ProcessGroup | None:
    """The group to use (``None`` for the default), or ``None`` if this rank is not in it."""
    if group is None or group is GroupMember.WORLD:
        return _default_group()
    _default_group()
    if group is GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"expected a ProcessGroup from new_group() or None, got {type(group).__name__}")
    return group


def _timeout_seconds(timeout) -> float:
    if timeout is None:
        return default_pg_timeout.total_seconds()
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {type(timeout).__name__}")


def init_process_group(
    backend=None,
    init_method=None,
    timeout=None,
    world_size: int = -1,
    rank: int = -1,
    store=None,
    group_name: str = "",
    pg_options=None,
    device_id=None,
) -> None:
    """Join the MPI job as a process group (the ``mpi`` backend: ranks come from the launcher).

    ``world_size`` and ``rank``, when given, must agree with the launcher's. ``timeout`` (a
    ``datetime.timedelta``, default 30 minutes) bounds every wait for other ranks.
    """
    if _state.world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend is not None:
        Backend(backend)
    if store is not None:
        raise ValueError("ember's mpi backend takes ranks from the MPI launcher; it cannot use a store")
    if init_method not in (None, "env://"):
        raise ValueError(
            f"ember's mpi backend takes ranks from the MPI launcher; init_method={init_method!r} cannot be used "
            "(start the processes with `ember launch -n N` or `mpiexec -n N`)"
        )
    seconds = _timeout_seconds(timeout)
    MPI = _mpi.mpi()
    if not MPI.Is_initialized():
        MPI.Init_thread(MPI.THREAD_SERIALIZED)
    world = MPI.COMM_WORLD
    n, me = world.Get_size(), world.Get_rank()
    if world_size not in (-1, None) and int(world_size) != n:
        raise ValueError(f"init_process_group: world_size={world_size}, but the MPI launcher started {n} processes")
    if rank not in (-1, None) and int(rank) != me:
        raise ValueError(f"init_process_group: rank={rank}, but the MPI launcher made this process rank {me}")
    _state.control = world.Dup()
    _state.exited = set()
    _state.world = GroupMember.WORLD = ProcessGroup(world.Dup(), list(range(n)), seconds)
    _install_failure_hooks()
    _record_ranks()


def destroy_process_group(group=None) -> None:
    """Leave the group (the default one: every group). Collectives fail afterwards until re-initialised."""
    if group is None or group is GroupMember.WORLD:
        if _state.world is None:
            raise ValueError(_NOT_INITIALIZED)
        _state.world = GroupMember.WORLD = None
        return
    pg = _resolve(group)
    if pg is not None:
        pg._comm = None


def get_rank(group=None) -> int:
    """This process's rank in ``group`` (the default group: 0..world_size-1); -1 outside the group."""
    pg = _resolve(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group=None) -> int:
    """Number of processes in ``group``; -1 outside the group."""
    pg = _resolve(group)
    return -1 if pg is None else pg.size()


def get_backend(group=None) -> str:
    """``'mpi'``, the one backend ember has."""
    if _resolve(group) is None:
        raise ValueError("Invalid process group specified")
    return Backend.MPI


def get_process_group_ranks(group) -> list[int]:
    """The global ranks of ``group``'s members, by group rank."""
    pg = _resolve(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return list(pg._ranks)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A group of the given global ``ranks`` (all of them by default). Every rank must call it.

    Ranks outside the group get ``GroupMember.NON_GROUP_MEMBER``.
    """
    world = _default_group()
    if backend is not None:
        Backend(backend)
    n = world.size()
    members = list(range(n)) if ranks is None else sorted(int(r) for r in ranks)
    if len(set(members)) != len(members):
        raise ValueError(f"new_group: ranks must be distinct, got {list(ranks)}")
    bad = [r for r in members if not 0 <= r < n]
    if bad:
        raise ValueError(f"new_group: ranks {bad} are not in the world of {n} processes (0..{n - 1})")
    seconds = world._timeout if timeout is None else _timeout_seconds(timeout)
    MPI = _mpi.mpi()
    comm = world._comm.Create(world._comm.Get_group().Incl(members))
    if comm == MPI.COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    return ProcessGroup(comm, members, seconds)


def _group_rank(pg: ProcessGroup, global_rank: int, what: str) -> int:
    try:
        return pg._ranks.index(int(global_rank))
    except ValueError:
        raise ValueError(f"{what}: global rank {global_rank} is not part of the group {pg._ranks}") from None


def _me() -> int:
    return _state.world._ranks[_state.world.rank()] if _state.world is not None else 0


# ---------------------------------------------------------------------------------------- failures
def _note_exits() -> None:
    """Collect the exit notices other ranks have sent (non-blocking)."""
    MPI = _mpi.mpi()
    ctrl = _state.control
    if ctrl is None:
        return
    status = MPI.Status()
    while ctrl.Iprobe(source=MPI.ANY_SOURCE, tag=_EXIT_TAG, status=status):
        src = status.Get_source()
        ctrl.Recv(bytearray(1), source=src, tag=_EXIT_TAG)
        _state.exited.add(src)


def _gone(members) -> list[int]:
    """The global ranks among ``members`` that have exited."""
    _note_exits()
    return sorted(r for r in members if r in _state.exited)


def _excepthook(exc_type, exc, tb) -> None:
    """An uncaught exception on one rank: print it (with the rank) and stop the whole job."""
    me = _me()
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write("".join(f"[rank {me}] {line}\n" for line in text.rstrip("\n").split("\n")))
    sys.stderr.write(f"ember.distributed: rank {me} failed with {exc_type.__name__}; aborting all ranks\n")
    sys.stderr.flush()
    if not isinstance(exc, PeerFailure):
        _tell_launcher_failed(me)
    if _state.world is not None or _state.control is not None:
        _mpi.mpi().COMM_WORLD.Abort(1)


def _at_exit() -> None:
    """A rank leaving: tell the others, wait (sleeping, not spinning) until all have left, finalize."""
    if _state.control is None:
        return
    MPI = _mpi.mpi()
    ctrl = _state.control
    me, n = ctrl.Get_rank(), ctrl.Get_size()
    notes = [ctrl.Isend(bytearray(1), dest=r, tag=_EXIT_TAG) for r in range(n) if r != me]
    barrier = ctrl.Ibarrier()
    delay = 1e-4
    while not barrier.Test():
        _note_exits()
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
    # Everyone is leaving: take the last notices in, and give ours a moment to be taken.
    deadline = time.monotonic() + 1.0
    while not MPI.Request.Testall(notes) and time.monotonic() < deadline:
        _note_exits()
        time.sleep(1e-3)
    _note_exits()
    _state.control = None
    if not MPI.Is_finalized():
        MPI.Finalize()


def _install_failure_hooks() -> None:
    if _state.hooks_installed:
        return
    _state.hooks_installed = True
    sys.excepthook = _excepthook
    atexit.register(_at_exit)


def _tell_launcher_failed(rank: int) -> None:
    """For ``ember launch``: this rank is the one that failed (it aborts the job next, and the abort takes every
    rank down at once, so the launcher could not tell from the processes which one went first)."""
    path = os.environ.get("EMBER_LAUNCH_RANKS")
    if path:
        try:
            with open(path + ".failed", "a", encoding="utf-8") as f:
                f.write(f"{rank}\n")
        except OSError:
            pass


def _record_ranks() -> None:
    """For ``ember launch``: where each rank runs, so it can name a rank that dies."""
    path = os.environ.get("EMBER_LAUNCH_RANKS")
    pg = _state.world
    info = pg._comm.allgather((socket.gethostname(), os.getpid()))
    if path and pg.rank() == 0:
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(f"{r} {host} {pid}" for r, (host, pid) in enumerate(info)) + "\n")
        except OSError:
            pass
